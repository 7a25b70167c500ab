//! Managing an environment's API keys from the portal: create (the key is
//! shown once), rotate (a new key; the old one keeps working for a grace
//! period), revoke, change the rate limit, and audit expiries. Admins and
//! owners manage keys; every member may list them.

use super::key::{KeyKind, NewKey};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use crate::accounts::{Actor, ApiKeyId, ConnectionId, EnvironmentId};
use crate::connections::ConnectionError;
use crate::db::repo::api_keys as rows;
use crate::db::repo::{connections, environments};
use crate::db::tx::Tx;
use crate::db::{Db, now_ms};
use crate::shared::ApiPermission;

// What the portal's pages read (as `connections::portal` exports its rows).
pub use crate::db::repo::api_keys::{ApiKeyRow, CallsRow};

pub const NAME_FIELD: &str = "name";
pub const PERMISSIONS_FIELD: &str = "permissions";
pub const EXPIRES_FIELD: &str = "expires_in_days";
pub const RATE_LIMIT_FIELD: &str = "rate_limit";
pub const GRACE_FIELD: &str = "grace_secs";
pub const END_USER_FIELD: &str = "end_user_id";

pub const NAME_MAX: usize = 100;
/// Requests per minute a new key may make unless the operator says otherwise.
pub const DEFAULT_RATE_LIMIT: i64 = 6000;
pub const RATE_LIMIT_MAX: i64 = 1_000_000;
pub const EXPIRES_MAX_DAYS: i64 = 3650;
/// The longest a rotated-out key may keep working.
pub const GRACE_MAX_SECS: i64 = 7 * 24 * 3600;
/// Usable keys an environment may hold at once.
pub const KEYS_MAX: i64 = 50;

/// What the "New API key" form sent, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInput {
    pub name: String,
    pub permissions: Vec<ApiPermission>,
    pub expires_in_days: Option<i64>,
    pub rate_limit: i64,
    /// The one end user the key may act for (empty in the form: any).
    pub end_user_id: Option<String>,
}

impl KeyInput {
    pub fn parse(
        name: &str,
        permissions: &[String],
        expires_in_days: &str,
        rate_limit: &str,
        end_user_id: &str,
    ) -> Result<Self, ConnectionError> {
        let name = name.trim();
        let count = name.chars().count();
        if count == 0 || count > NAME_MAX {
            return Err(ConnectionError::invalid(
                NAME_FIELD,
                format!(
                    "Name is required: 1 to {NAME_MAX} characters, e.g. \u{201c}Backend\u{201d} (this one has {count})."
                ),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ConnectionError::invalid(
                NAME_FIELD,
                "Name must not contain control characters such as tabs or line breaks.",
            ));
        }
        let mut set = Vec::new();
        for p in permissions {
            let parsed = ApiPermission::parse(p.trim()).ok_or_else(|| {
                ConnectionError::invalid(
                    PERMISSIONS_FIELD,
                    format!(
                        "Unknown permission \u{201c}{}\u{201d}: choose from {}.",
                        p.chars().take(40).collect::<String>(),
                        ApiPermission::ALL.map(ApiPermission::as_str).join(", ")
                    ),
                )
            })?;
            if !set.contains(&parsed) {
                set.push(parsed);
            }
        }
        if set.is_empty() {
            return Err(ConnectionError::invalid(
                PERMISSIONS_FIELD,
                "Choose at least one permission.",
            ));
        }
        set.sort();
        let expires_in_days = match expires_in_days.trim() {
            "" | "never" => None,
            text => match text.parse::<i64>() {
                Ok(days) if (1..=EXPIRES_MAX_DAYS).contains(&days) => Some(days),
                _ => {
                    return Err(ConnectionError::invalid(
                        EXPIRES_FIELD,
                        format!(
                            "Expiry must be a whole number of days from 1 to {EXPIRES_MAX_DAYS}, or never."
                        ),
                    ));
                }
            },
        };
        let rate_limit = parse_rate_limit(rate_limit)?;
        let end_user_id = crate::connections::links::plain_text(
            END_USER_FIELD,
            "End user id",
            end_user_id,
            crate::connections::links::END_USER_MAX,
        )?;
        Ok(Self {
            name: name.to_owned(),
            permissions: set,
            expires_in_days,
            rate_limit,
            end_user_id: Some(end_user_id).filter(|e| !e.is_empty()),
        })
    }
}

/// Requests per minute: empty means the default.
pub fn parse_rate_limit(text: &str) -> Result<i64, ConnectionError> {
    match text.trim() {
        "" => Ok(DEFAULT_RATE_LIMIT),
        text => match text.parse::<i64>() {
            Ok(n) if (1..=RATE_LIMIT_MAX).contains(&n) => Ok(n),
            _ => Err(ConnectionError::invalid(
                RATE_LIMIT_FIELD,
                format!(
                    "Rate limit must be a whole number of requests per minute from 1 to {RATE_LIMIT_MAX}."
                ),
            )),
        },
    }
}

/// Seconds a rotated-out key keeps working: 0 to 7 days.
pub fn parse_grace(text: &str) -> Result<i64, ConnectionError> {
    match text.trim().parse::<i64>() {
        Ok(n) if (0..=GRACE_MAX_SECS).contains(&n) => Ok(n),
        _ => Err(grace_refused()),
    }
}

fn grace_refused() -> ConnectionError {
    ConnectionError::invalid(
        GRACE_FIELD,
        "The grace period must be from 0 seconds (the old key stops at once) to 7 days.",
    )
}

/// A key just made: the only time its text exists outside the caller.
#[derive(Debug)]
pub struct CreatedKey {
    pub row: ApiKeyRow,
    pub key: NewKey,
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Vec<ApiKeyRow>, ConnectionError> {
    environments::find(db, actor.workspace_id(), environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    Ok(rows::list(db, actor.workspace_id(), environment_id).await?)
}

async fn insert_key(
    tx: &mut Tx,
    actor: &Actor,
    environment_id: &EnvironmentId,
    input: &KeyInput,
    expires_at: Option<i64>,
    now: i64,
) -> Result<CreatedKey, ConnectionError> {
    let ws = actor.workspace_id();
    let env = environments::find_tx(tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if rows::count_usable_tx(tx, environment_id, now).await? >= KEYS_MAX {
        return Err(ConnectionError::Refused(format!(
            "This environment already has {KEYS_MAX} usable API keys: revoke one first."
        )));
    }
    let key = NewKey::generate(KeyKind::of_environment(&env.name));
    let row = ApiKeyRow {
        id: ApiKeyId::generate(),
        workspace_id: ws.clone(),
        environment_id: environment_id.clone(),
        name: input.name.clone(),
        prefix: key.kind.prefix().to_owned(),
        last_four: key.last_four(),
        permissions: ApiPermission::join(&input.permissions),
        rate_limit: input.rate_limit,
        created_by: actor.label().to_owned(),
        created_at: now,
        expires_at,
        revoked_at: None,
        revoked_by: None,
        replaced_by: None,
        last_used_at: None,
        request_count: 0,
        end_user_id: input.end_user_id.clone(),
    };
    rows::insert(tx, &row, key.hash.as_str()).await?;
    Ok(CreatedKey { row, key })
}

fn key_detail(row: &ApiKeyRow) -> serde_json::Map<String, serde_json::Value> {
    detail([
        ("key_id", row.id.as_str().into()),
        (
            "visible",
            format!("{}\u{2026}{}", row.prefix, row.last_four).into(),
        ),
        ("permissions", row.permissions.clone().into()),
        ("rate_limit", row.rate_limit.into()),
        ("expires_at", row.expires_at.into()),
        ("end_user_id", row.end_user_id.clone().into()),
    ])
}

async fn append(
    tx: &mut Tx,
    row: &ApiKeyRow,
    actor: AuditActor,
    action: AuditAction,
    d: serde_json::Map<String, serde_json::Value>,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    audit::append_tx(
        tx,
        NewAuditEvent {
            workspace_id: row.workspace_id.clone(),
            environment_id: Some(row.environment_id.clone()),
            actor,
            action,
            target: row.name.clone(),
            detail: d,
        },
        meta,
    )
    .await?;
    Ok(())
}

pub async fn create(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    input: KeyInput,
    meta: &RequestMeta,
) -> Result<CreatedKey, ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    let expires_at = input.expires_in_days.map(|d| now + d * 86_400_000);
    let mut tx = services.db.begin().await?;
    let created = insert_key(&mut tx, actor, environment_id, &input, expires_at, now).await?;
    append(
        &mut tx,
        &created.row,
        actor.into(),
        AuditAction::ApiKeyCreated,
        key_detail(&created.row),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// A usable key of the actor's workspace in `environment_id`.
async fn usable_tx(
    tx: &mut Tx,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ApiKeyId,
    now: i64,
) -> Result<ApiKeyRow, ConnectionError> {
    let row = rows::find_tx(tx, actor.workspace_id(), id)
        .await?
        .filter(|r| &r.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)?;
    if row.revoked_at.is_some() {
        return Err(ConnectionError::Refused(
            "This key is already revoked.".into(),
        ));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(ConnectionError::Refused("This key has expired.".into()));
    }
    Ok(row)
}

/// A new key with the old one's name, permissions and limit (and its expiry
/// period, counted from now); the old one works for `grace_secs` more.
pub async fn rotate(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ApiKeyId,
    grace_secs: i64,
    meta: &RequestMeta,
) -> Result<CreatedKey, ConnectionError> {
    actor.require_configure()?;
    if !(0..=GRACE_MAX_SECS).contains(&grace_secs) {
        return Err(grace_refused());
    }
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let old = usable_tx(&mut tx, actor, environment_id, id, now).await?;
    if old.replaced_by.is_some() {
        return Err(ConnectionError::Refused(
            "This key was already rotated: rotate its replacement instead.".into(),
        ));
    }
    let input = KeyInput {
        name: old.name.clone(),
        permissions: ApiPermission::parse_list(&old.permissions).unwrap_or_default(),
        expires_in_days: None,
        rate_limit: old.rate_limit,
        end_user_id: old.end_user_id.clone(),
    };
    let lifetime = old.expires_at.map(|at| at - old.created_at);
    let created = insert_key(
        &mut tx,
        actor,
        environment_id,
        &input,
        lifetime.map(|l| now + l),
        now,
    )
    .await?;
    let old_until = now + grace_secs * 1000;
    if !rows::replace_tx(
        &mut tx,
        actor.workspace_id(),
        id,
        &created.row.id,
        old_until,
    )
    .await?
    {
        return Err(ConnectionError::Refused(
            "This key was revoked or rotated meanwhile.".into(),
        ));
    }
    let mut d = key_detail(&created.row);
    d.insert("replaces".into(), old.id.as_str().into());
    d.insert("old_key_works_until".into(), old_until.into());
    append(
        &mut tx,
        &created.row,
        actor.into(),
        AuditAction::ApiKeyRotated,
        d,
        meta,
    )
    .await?;
    tx.commit().await?;
    services.api.forget(id);
    Ok(created)
}

pub async fn revoke(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ApiKeyId,
    meta: &RequestMeta,
) -> Result<ApiKeyRow, ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let row = rows::find_tx(&mut tx, actor.workspace_id(), id)
        .await?
        .filter(|r| &r.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)?;
    if !rows::revoke_tx(&mut tx, actor.workspace_id(), id, actor.label(), now).await? {
        return Err(ConnectionError::Refused(
            "This key is already revoked.".into(),
        ));
    }
    append(
        &mut tx,
        &row,
        actor.into(),
        AuditAction::ApiKeyRevoked,
        key_detail(&row),
        meta,
    )
    .await?;
    tx.commit().await?;
    // At once here; other processes within the key cache's lifetime.
    services.api.forget(id);
    Ok(row)
}

pub async fn set_rate_limit(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ApiKeyId,
    rate_limit: i64,
    meta: &RequestMeta,
) -> Result<ApiKeyRow, ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let mut row = usable_tx(&mut tx, actor, environment_id, id, now).await?;
    let before = row.rate_limit;
    rows::set_rate_limit_tx(&mut tx, actor.workspace_id(), id, rate_limit).await?;
    row.rate_limit = rate_limit;
    let mut d = key_detail(&row);
    d.insert("rate_limit_before".into(), before.into());
    append(
        &mut tx,
        &row,
        actor.into(),
        AuditAction::ApiKeyLimitChanged,
        d,
        meta,
    )
    .await?;
    tx.commit().await?;
    services.api.forget(id);
    Ok(row)
}

/// What each key did on a connection of the actor's workspace.
pub async fn calls_on(
    db: &Db,
    actor: &Actor,
    connection_id: &ConnectionId,
) -> Result<Vec<CallsRow>, ConnectionError> {
    connections::find(db, actor.workspace_id(), connection_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    Ok(rows::calls_on(db, actor.workspace_id(), connection_id).await?)
}

/// Audits keys that expired (each once, whichever process sees it first).
pub(crate) async fn audit_expired(services: &Services) -> Result<(), crate::db::DbError> {
    let now = now_ms();
    for row in rows::expired_unaudited(&services.db, now, 100).await? {
        let mut tx = services.db.begin().await?;
        if !rows::claim_expiry_tx(&mut tx, &row.id).await? {
            continue;
        }
        let mut d = key_detail(&row);
        if row.replaced_by.is_some() {
            d.insert("reason".into(), "rotation grace period ended".into());
        }
        let appended = append(
            &mut tx,
            &row,
            AuditActor::system(),
            AuditAction::ApiKeyExpired,
            d,
            &RequestMeta::default(),
        )
        .await;
        match appended {
            Ok(()) => tx.commit().await?,
            Err(e) => tracing::warn!(error = %e, "could not audit an expired API key"),
        }
    }
    Ok(())
}
