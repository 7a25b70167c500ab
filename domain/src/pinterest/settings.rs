//! An environment's Pinterest settings: read them, save them (first time or
//! again, keeping or replacing the secret), enable or disable the integration,
//! check the credentials with Pinterest, delete the configuration.
//!
//! Saves are optimistic: each one names the version it was made from, and a
//! save from an older version is refused with who changed it and when, so two
//! admins cannot silently overwrite each other. Every change is audited in the
//! same transaction, with old and new values, and never the secret.

use serde_json::Value;

use super::check::{self, CheckRequest, CheckResult};
use super::credentials::{ClientId, CredentialInput, NewSecret};
use super::error::PinterestError;
use super::scope::ScopeSet;
use crate::Services;
use crate::accounts::audit::{self, AuditAction, NewAuditEvent, detail};
use crate::accounts::{Actor, EnvironmentId, RequestMeta, WorkspaceId};
use crate::crypto::{Aad, KeyRing, Sealed, SecretString, fingerprint_of};
use crate::db::repo::environments;
use crate::db::repo::pinterest_settings::{self as rows, PinterestSettingsRow};
use crate::db::tx::is_unique_violation;
use crate::db::{Db, now_ms};
use crate::shared::{CheckOutcome, PinterestApi};

/// What the audit log names as the target of these events.
const AUDIT_TARGET: &str = "Pinterest";

/// The sealed secret is bound to its workspace, environment and column.
fn secret_binding(workspace_id: &WorkspaceId, environment_id: &EnvironmentId) -> String {
    format!("{workspace_id}/{environment_id}")
}

fn secret_aad(binding: &str) -> Aad<'_> {
    Aad {
        table: "pinterest_settings",
        column: "client_secret",
        row: binding,
    }
}

/// Opens the stored App secret key of `row` (only to send it to Pinterest).
pub(crate) fn open_secret(
    keys: &KeyRing,
    row: &PinterestSettingsRow,
) -> Result<SecretString, crate::crypto::CryptoError> {
    let binding = secret_binding(&row.workspace_id, &row.environment_id);
    keys.open_str(
        &Sealed::from_stored(row.client_secret.clone()),
        secret_aad(&binding),
    )
}

/// Who set the stored secret and when; the secret itself never leaves the database
/// except to go to Pinterest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretInfo {
    /// Its last four characters, as `…abcd`.
    pub fingerprint: String,
    pub set_by: String,
    pub set_at: i64,
}

/// The last credential check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCheck {
    pub outcome: CheckOutcome,
    pub at: i64,
    pub by: String,
    pub http_status: Option<u16>,
    pub latency_ms: Option<i64>,
    pub summary: String,
    pub message: Option<String>,
}

/// One environment's settings, as the portal shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinterestSettings {
    pub environment_id: EnvironmentId,
    pub client_id: ClientId,
    pub secret: SecretInfo,
    pub scopes: ScopeSet,
    pub api: PinterestApi,
    pub enabled: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub last_check: Option<LastCheck>,
}

impl PinterestSettings {
    fn from_row(row: &PinterestSettingsRow) -> Self {
        let last_check = match (row.checked_at, row.check_outcome) {
            (Some(at), Some(outcome)) => Some(LastCheck {
                outcome,
                at,
                by: row.checked_by.clone().unwrap_or_default(),
                http_status: row.check_http_status.and_then(|s| u16::try_from(s).ok()),
                latency_ms: row.check_latency_ms,
                summary: row.check_summary.clone().unwrap_or_default(),
                message: row.check_message.clone(),
            }),
            _ => None,
        };
        Self {
            environment_id: row.environment_id.clone(),
            client_id: ClientId::from_stored(row.client_id.clone()),
            secret: SecretInfo {
                fingerprint: fingerprint_of(&row.secret_last4),
                set_by: row.secret_set_by.clone(),
                set_at: row.secret_set_at,
            },
            scopes: ScopeSet::from_stored(&row.scopes),
            api: row.api,
            enabled: row.enabled,
            version: row.version,
            updated_by: row.updated_by.clone(),
            updated_at: row.updated_at,
            last_check,
        }
    }
}

/// The environment's settings, or `None` while Pinterest is not configured there.
pub async fn find(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Option<PinterestSettings>, PinterestError> {
    let row = rows::find(db, actor.workspace_id(), environment_id).await?;
    Ok(row.as_ref().map(PinterestSettings::from_row))
}

/// A save from the settings form.
#[derive(Debug)]
pub struct SaveRequest {
    pub environment_id: EnvironmentId,
    /// The version the form was loaded with; 0 when nothing was configured.
    pub expected_version: i64,
    pub client_id: ClientId,
    /// `None` keeps the stored secret (required on the first save).
    pub secret: Option<NewSecret>,
    pub scopes: ScopeSet,
    pub api: PinterestApi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The environment's first configuration.
    Created,
    Updated {
        secret_replaced: bool,
    },
    /// The form held what was already stored; nothing was written.
    Unchanged,
}

#[derive(Debug)]
pub struct Saved {
    pub settings: PinterestSettings,
    pub outcome: SaveOutcome,
    /// Spaces around the typed secret were removed before it was stored.
    pub secret_trimmed: bool,
}

pub async fn save(
    db: &Db,
    keys: &KeyRing,
    actor: &Actor,
    request: SaveRequest,
    meta: &RequestMeta,
) -> Result<Saved, PinterestError> {
    actor.require_configure()?;
    let ws = actor.workspace_id().clone();
    let env_id = request.environment_id.clone();
    let binding = secret_binding(&ws, &env_id);
    let secret_trimmed = request.secret.as_ref().is_some_and(|s| s.trimmed);
    let mut tx = db.begin().await?;
    environments::find_tx(&mut tx, &ws, &env_id)
        .await?
        .ok_or(PinterestError::NotFound)?;
    let current = rows::find_tx(&mut tx, &ws, &env_id).await?;
    let now = now_ms();
    let (row, outcome) = match current {
        None => {
            if request.expected_version != 0 {
                return Err(PinterestError::Gone);
            }
            let secret = request
                .secret
                .ok_or(CredentialInput::SecretRequired)?
                .secret;
            let row = PinterestSettingsRow {
                environment_id: env_id.clone(),
                workspace_id: ws.clone(),
                client_id: request.client_id.as_str().to_owned(),
                client_secret: keys
                    .seal_str(secret.expose(), secret_aad(&binding))?
                    .as_stored()
                    .to_owned(),
                secret_last4: secret.last4(),
                secret_set_by: actor.label().to_owned(),
                secret_set_at: now,
                scopes: request.scopes.to_stored(),
                api: request.api,
                enabled: true,
                version: 1,
                updated_by: actor.label().to_owned(),
                updated_at: now,
                checked_at: None,
                checked_by: None,
                check_outcome: None,
                check_http_status: None,
                check_latency_ms: None,
                check_summary: None,
                check_message: None,
            };
            if let Err(e) = rows::insert(&mut tx, &row).await {
                if is_unique_violation(&e) {
                    // Another admin's first save won the race.
                    drop(tx);
                    return Err(conflict(db, &ws, &env_id).await);
                }
                return Err(e.into());
            }
            let event = audit_event(
                actor,
                &env_id,
                AuditAction::PinterestConfigured,
                detail([
                    ("client_id", row.client_id.clone().into()),
                    ("scopes", row.scopes.clone().into()),
                    ("api", row.api.into()),
                    ("fingerprint", fingerprint_of(&row.secret_last4).into()),
                ]),
            );
            audit::append_tx(&mut tx, event, meta).await?;
            (row, SaveOutcome::Created)
        }
        Some(before) => {
            if before.version != request.expected_version {
                return Err(PinterestError::Conflict {
                    by: before.updated_by,
                    at: before.updated_at,
                });
            }
            let replaced = match &request.secret {
                Some(new) => {
                    let stored = keys.open_str(
                        &Sealed::from_stored(before.client_secret.clone()),
                        secret_aad(&binding),
                    )?;
                    (stored.expose() != new.secret.expose()).then(|| new.secret.clone())
                }
                None => None,
            };
            let after = updated_row(
                &before,
                &request,
                replaced.as_ref(),
                keys,
                &binding,
                actor,
                now,
            )?;
            let changed_settings = after.client_id != before.client_id
                || after.scopes != before.scopes
                || after.api != before.api;
            if !changed_settings && replaced.is_none() {
                return Ok(Saved {
                    settings: PinterestSettings::from_row(&before),
                    outcome: SaveOutcome::Unchanged,
                    secret_trimmed,
                });
            }
            if !rows::update_if_version(&mut tx, &after, before.version).await? {
                drop(tx);
                return Err(conflict(db, &ws, &env_id).await);
            }
            if changed_settings {
                let event = audit_event(
                    actor,
                    &env_id,
                    AuditAction::PinterestSettingsChanged,
                    change_detail(&before, &after),
                );
                audit::append_tx(&mut tx, event, meta).await?;
            }
            if replaced.is_some() {
                let event = audit_event(
                    actor,
                    &env_id,
                    AuditAction::PinterestSecretReplaced,
                    detail([
                        (
                            "fingerprint_before",
                            fingerprint_of(&before.secret_last4).into(),
                        ),
                        (
                            "fingerprint_after",
                            fingerprint_of(&after.secret_last4).into(),
                        ),
                        ("client_id", after.client_id.clone().into()),
                        ("scopes", after.scopes.clone().into()),
                    ]),
                );
                audit::append_tx(&mut tx, event, meta).await?;
            }
            (
                after,
                SaveOutcome::Updated {
                    secret_replaced: replaced.is_some(),
                },
            )
        }
    };
    tx.commit().await?;
    Ok(Saved {
        settings: PinterestSettings::from_row(&row),
        outcome,
        secret_trimmed,
    })
}

/// The row after a save from `before`. A new App id or secret forgets the last
/// credential check, which was about the old ones.
fn updated_row(
    before: &PinterestSettingsRow,
    request: &SaveRequest,
    new_secret: Option<&SecretString>,
    keys: &KeyRing,
    binding: &str,
    actor: &Actor,
    now: i64,
) -> Result<PinterestSettingsRow, PinterestError> {
    let mut after = before.clone();
    after.client_id = request.client_id.as_str().to_owned();
    after.scopes = request.scopes.to_stored();
    after.api = request.api;
    after.version = before.version + 1;
    after.updated_by = actor.label().to_owned();
    after.updated_at = now;
    if let Some(secret) = new_secret {
        after.client_secret = keys
            .seal_str(secret.expose(), secret_aad(binding))?
            .as_stored()
            .to_owned();
        after.secret_last4 = secret.last4();
        after.secret_set_by = actor.label().to_owned();
        after.secret_set_at = now;
    }
    if new_secret.is_some() || after.client_id != before.client_id {
        after.checked_at = None;
        after.checked_by = None;
        after.check_outcome = None;
        after.check_http_status = None;
        after.check_latency_ms = None;
        after.check_summary = None;
        after.check_message = None;
    }
    Ok(after)
}

/// Old and new values of what a save changed (scopes always, both ways).
fn change_detail(
    before: &PinterestSettingsRow,
    after: &PinterestSettingsRow,
) -> serde_json::Map<String, Value> {
    let old = ScopeSet::from_stored(&before.scopes);
    let new = ScopeSet::from_stored(&after.scopes);
    let list = |scopes: Vec<super::Scope>| {
        Value::from(
            scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    let mut d = detail([
        ("scopes_before", before.scopes.clone().into()),
        ("scopes_after", after.scopes.clone().into()),
        ("scopes_added", list(new.without(&old))),
        ("scopes_removed", list(old.without(&new))),
    ]);
    if before.client_id != after.client_id {
        d.insert("client_id_before".into(), before.client_id.clone().into());
        d.insert("client_id_after".into(), after.client_id.clone().into());
    }
    if before.api != after.api {
        d.insert("api_before".into(), before.api.as_str().into());
        d.insert("api_after".into(), after.api.as_str().into());
    }
    d
}

fn audit_event(
    actor: &Actor,
    environment_id: &EnvironmentId,
    action: AuditAction,
    detail: serde_json::Map<String, Value>,
) -> NewAuditEvent {
    NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: Some(environment_id.clone()),
        actor: actor.into(),
        action,
        target: AUDIT_TARGET.to_owned(),
        detail,
    }
}

/// The refusal for a save that lost a race: who changed the settings and when
/// (read after the losing transaction is gone).
async fn conflict(db: &Db, ws: &WorkspaceId, env_id: &EnvironmentId) -> PinterestError {
    match rows::find(db, ws, env_id).await {
        Ok(Some(row)) => PinterestError::Conflict {
            by: row.updated_by,
            at: row.updated_at,
        },
        Ok(None) => PinterestError::Gone,
        Err(e) => e.into(),
    }
}

/// Turns the integration on or off in the environment. Off, no new connection
/// can be made there (existing ones keep their tokens).
pub async fn set_enabled(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    enabled: bool,
    meta: &RequestMeta,
) -> Result<PinterestSettings, PinterestError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = db.begin().await?;
    environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotFound)?;
    let before = rows::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotConfigured)?;
    if before.enabled == enabled {
        return Ok(PinterestSettings::from_row(&before));
    }
    rows::set_enabled(&mut tx, ws, environment_id, enabled).await?;
    let action = if enabled {
        AuditAction::PinterestEnabled
    } else {
        AuditAction::PinterestDisabled
    };
    audit::append_tx(
        &mut tx,
        audit_event(actor, environment_id, action, detail([])),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(PinterestSettings::from_row(&PinterestSettingsRow {
        enabled,
        ..before
    }))
}

/// Deletes the environment's configuration (secret included) once the
/// environment's name is typed again; answers that name. Refused while connections
/// that hold tokens exist: they are counted inside the transaction.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    typed_name: &str,
    meta: &RequestMeta,
) -> Result<String, PinterestError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = db.begin().await?;
    let env = environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotFound)?;
    let before = rows::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotConfigured)?;
    if typed_name.trim() != env.name {
        return Err(PinterestError::ConfirmationMismatch);
    }
    let live = crate::db::repo::connections::count_live_tx(&mut tx, ws, environment_id).await?;
    let connections = u64::try_from(live).unwrap_or(0);
    if connections > 0 {
        return Err(PinterestError::InUse { connections });
    }
    rows::delete(&mut tx, ws, environment_id).await?;
    let event = audit_event(
        actor,
        environment_id,
        AuditAction::PinterestDeleted,
        detail([
            ("client_id", before.client_id.into()),
            ("scopes", before.scopes.into()),
        ]),
    );
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(env.name)
}

/// Asks Pinterest whether it accepts the stored App id and secret, and stores
/// the answer. A result about credentials that changed during the check is
/// not stored (the save that changed them is reported instead).
pub async fn check_credentials(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    meta: &RequestMeta,
) -> Result<PinterestSettings, PinterestError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    environments::find(&services.db, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotFound)?;
    let row = rows::find(&services.db, ws, environment_id)
        .await?
        .ok_or(PinterestError::NotConfigured)?;
    let secret = open_secret(&services.keys, &row)?;
    let client_id = ClientId::from_stored(row.client_id.clone());
    let token_url = services.config.token_url();
    let redirect_uri = services.config.redirect_uri();
    let result = check::probe(
        &services.http,
        CheckRequest {
            token_url: &token_url,
            redirect_uri: &redirect_uri,
            client_id: &client_id,
            secret: &secret,
            timeout: services.config.pinterest_timeout,
        },
    )
    .await;
    drop(secret);
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    if !rows::record_check(
        &mut tx,
        ws,
        environment_id,
        row.version,
        &stored_check(&result, actor, now),
    )
    .await?
    {
        drop(tx);
        return Err(conflict(&services.db, ws, environment_id).await);
    }
    let mut d = detail([
        ("outcome", result.outcome.as_str().into()),
        ("latency_ms", result.latency_ms.into()),
    ]);
    if let Some(status) = result.http_status {
        d.insert("http_status".into(), status.into());
    }
    audit::append_tx(
        &mut tx,
        audit_event(
            actor,
            environment_id,
            AuditAction::PinterestCredentialsChecked,
            d,
        ),
        meta,
    )
    .await?;
    tx.commit().await?;
    let mut settings = PinterestSettings::from_row(&row);
    settings.last_check = Some(LastCheck {
        outcome: result.outcome,
        at: now,
        by: actor.label().to_owned(),
        http_status: result.http_status,
        latency_ms: Some(result.latency_ms),
        summary: result.summary,
        message: result.message,
    });
    Ok(settings)
}

fn stored_check(result: &CheckResult, actor: &Actor, now: i64) -> rows::StoredCheck {
    rows::StoredCheck {
        checked_at: now,
        checked_by: actor.label().to_owned(),
        outcome: result.outcome,
        http_status: result.http_status.map(i32::from),
        latency_ms: result.latency_ms,
        summary: result.summary.clone(),
        message: result.message.clone(),
    }
}
