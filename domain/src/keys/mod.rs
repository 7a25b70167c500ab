//! The key ring over time: how many values each key seals ([`status`]),
//! re-sealing them under the newest key while pinbridge serves ([`rotate`]),
//! retiring a key no value uses any more ([`check_retire`], [`retired`]), and
//! the serving processes that must know a key before values are sealed with it
//! ([`instances`]).
//!
//! Every sealed column is listed once, in [`SEALED`]. A rotation walks each in
//! key order, in batches, and replaces a value only if it is still the one it
//! read, in one small transaction per batch: a process killed at any moment
//! leaves every value sealed under the old key or the new one, both in the
//! ring, and a refresh that stores new tokens meanwhile is never overwritten.
//! Nothing records progress: running it again finds what is left.

pub mod instances;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::accounts::audit::{self, AuditActor, NewAuditEvent, detail};
use crate::accounts::{RequestMeta, WorkspaceId};
use crate::crypto::{Aad, CryptoError, KeyId, KeyRing, Sealed};
use crate::db::repo::key_canaries;
use crate::db::repo::key_ring::{self as rows, InstanceRow, KeyRingEventRow, SealedValueRow};
use crate::db::{Db, DbError, now_ms};
use crate::key_check;
use crate::shared::AuditAction;

/// What kind of secret a sealed column holds, as `keys status` groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SealedKind {
    PinterestSecret,
    SignInSecret,
    Token,
    WebhookSecret,
    TwoFactorSecret,
}

impl SealedKind {
    pub const ALL: [SealedKind; 5] = [
        Self::PinterestSecret,
        Self::SignInSecret,
        Self::Token,
        Self::WebhookSecret,
        Self::TwoFactorSecret,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::PinterestSecret => "Pinterest app secrets",
            Self::SignInSecret => "agent sign-in client secrets",
            Self::Token => "access and refresh tokens",
            Self::WebhookSecret => "webhook signing secrets",
            Self::TwoFactorSecret => "two-factor secrets",
        }
    }
}

/// How a column's associated data names its row.
#[derive(Clone, Copy, Debug)]
enum Binding {
    /// `<workspace id>/<row key>`.
    WorkspaceAndKey,
    /// The row key alone.
    Key,
}

/// A column that holds values sealed with the key ring. The associated data of
/// each value is this table and column and its row's binding.
#[derive(Clone, Copy, Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The table's primary key column (text).
    pub pk: &'static str,
    /// The column naming the row's workspace, if it has one.
    pub workspace: Option<&'static str>,
    pub kind: SealedKind,
    binding: Binding,
}

impl SealedColumn {
    /// Where it is, for the statements that read and write it.
    pub fn at(&self) -> rows::SealedColumn {
        rows::SealedColumn {
            table: self.table,
            column: self.column,
            pk: self.pk,
            workspace: self.workspace,
        }
    }

    fn row_binding(&self, row: &SealedValueRow) -> String {
        match (self.binding, &row.workspace_id) {
            (Binding::WorkspaceAndKey, Some(ws)) => format!("{ws}/{}", row.pk),
            _ => row.pk.clone(),
        }
    }

    fn aad<'a>(&self, binding: &'a str) -> Aad<'a> {
        Aad {
            table: self.table,
            column: self.column,
            row: binding,
        }
    }
}

/// Every sealed value pinbridge stores, apart from the key canaries (one per
/// key, which prove the key itself) and one-time secrets waiting in a session's
/// flash for a single page load.
pub const SEALED: &[SealedColumn] = &[
    SealedColumn {
        table: "pinterest_settings",
        column: "client_secret",
        pk: "environment_id",
        workspace: Some("workspace_id"),
        kind: SealedKind::PinterestSecret,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "agent_sign_in",
        column: "client_secret",
        pk: "environment_id",
        workspace: Some("workspace_id"),
        kind: SealedKind::SignInSecret,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "connections",
        column: "access_token",
        pk: "id",
        workspace: Some("workspace_id"),
        kind: SealedKind::Token,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "connections",
        column: "refresh_token",
        pk: "id",
        workspace: Some("workspace_id"),
        kind: SealedKind::Token,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "webhook_endpoints",
        column: "secret",
        pk: "id",
        workspace: Some("workspace_id"),
        kind: SealedKind::WebhookSecret,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "webhook_endpoints",
        column: "previous_secret",
        pk: "id",
        workspace: Some("workspace_id"),
        kind: SealedKind::WebhookSecret,
        binding: Binding::WorkspaceAndKey,
    },
    SealedColumn {
        table: "operator_totp",
        column: "secret_sealed",
        pk: "operator_id",
        workspace: None,
        kind: SealedKind::TwoFactorSecret,
        binding: Binding::Key,
    },
];

/// Why a key ring command refused or failed. One line each; never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(
        "pinbridge on {host} (pid {pid}, seen {seen_s} s ago) does not have key {key}: restart every instance with the new key ring first, then run `pinbridge keys rotate` again"
    )]
    InstanceLacksKey {
        host: String,
        pid: i64,
        seen_s: i64,
        key: String,
    },
    #[error(
        "pinbridge on {host} (pid {pid}, seen {seen_s} s ago) still seals new values with key {key}: restart it with the new key ring first"
    )]
    InstanceSealsWith {
        host: String,
        pid: i64,
        seen_s: i64,
        key: String,
    },
    #[error(
        "key {key} still seals {count} value(s): run `pinbridge keys rotate` first (`pinbridge keys status` shows what is left)"
    )]
    StillInUse { key: String, count: i64 },
    #[error(
        "key {0} is the key that seals new values: add a new key (`pinbridge keys add`), restart, rotate, and then retire this one"
    )]
    Primary(String),
    #[error("key {0} is not in the key ring (`pinbridge keys status` lists the keys)")]
    NotInRing(String),
    #[error(
        "{count} value(s) could not be opened with the key ring and were left as they were; the first: {first}"
    )]
    Unopened { count: usize, first: String },
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("{0}")]
    Db(#[from] DbError),
    /// Recording the new key's canary failed.
    #[error(transparent)]
    KeyCheck(#[from] key_check::KeyCheckError),
    /// Writing a workspace's audit record failed.
    #[error(transparent)]
    Audit(#[from] crate::accounts::AccountsError),
}

/// How many values one key id seals, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyUse {
    pub key_id: String,
    pub in_ring: bool,
    /// The ring's first key, which seals new values.
    pub primary: bool,
    /// Whether the database holds this key's canary (it has sealed data here).
    pub canary: bool,
    pub by_kind: BTreeMap<SealedKind, i64>,
}

impl KeyUse {
    pub fn total(&self) -> i64 {
        self.by_kind.values().sum()
    }
}

/// `pinbridge keys status`: every key of the ring and every key id a stored
/// value names, the ring's order first.
#[derive(Clone, Debug)]
pub struct KeyStatus {
    pub keys: Vec<KeyUse>,
    pub instances: Vec<InstanceRow>,
    pub events: Vec<KeyRingEventRow>,
}

impl KeyStatus {
    pub fn count_for(&self, key_id: &str) -> i64 {
        self.keys
            .iter()
            .find(|k| k.key_id == key_id)
            .map_or(0, KeyUse::total)
    }
}

pub async fn status(db: &Db, ring: &KeyRing) -> Result<KeyStatus, KeysError> {
    let mut keys: Vec<KeyUse> = ring
        .ids()
        .enumerate()
        .map(|(i, id)| KeyUse {
            key_id: id.to_string(),
            in_ring: true,
            primary: i == 0,
            ..KeyUse::default()
        })
        .collect();
    let entry = |keys: &mut Vec<KeyUse>, id: &str| -> usize {
        match keys.iter().position(|k| k.key_id == id) {
            Some(i) => i,
            None => {
                keys.push(KeyUse {
                    key_id: id.to_owned(),
                    ..KeyUse::default()
                });
                keys.len() - 1
            }
        }
    };
    for canary in key_canaries::list(db).await? {
        let i = entry(&mut keys, &canary.key_id);
        keys[i].canary = true;
    }
    for column in SEALED {
        for (id, n) in rows::count_by_key(db, &column.at()).await? {
            let i = entry(&mut keys, &id);
            *keys[i].by_kind.entry(column.kind).or_default() += n;
        }
    }
    Ok(KeyStatus {
        keys,
        instances: instances::live(db).await?,
        events: rows::recent_events(db, 10).await?,
    })
}

/// Where a rotation stands, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Values looked at so far (re-sealed, or found changed meanwhile).
    pub done: u64,
    /// Values not under the newest key when the rotation started.
    pub total: u64,
}

/// What a rotation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub key_id: String,
    /// Values re-sealed under the newest key.
    pub resealed: u64,
    /// Values another process replaced while this one re-sealed them (a
    /// refresh's new tokens, a new secret); left as written, looked at again.
    pub changed_meanwhile: u64,
    /// Re-sealed values per workspace (two-factor secrets have none).
    pub by_workspace: BTreeMap<String, u64>,
    /// Values sealed with other keys after the rotation: zero when it finished.
    pub remaining: i64,
}

/// How rows are looked at in one step.
pub const DEFAULT_BATCH: usize = 500;

/// How often a rotation goes over the columns again for values that changed
/// while it worked; each pass finds fewer.
const MAX_PASSES: usize = 5;

/// `pinbridge keys rotate`: re-seals every value not under the ring's first key.
/// Refuses while a live instance lacks that key (it could not open what this
/// seals). `actor` is how the audit log names who ran it.
pub async fn rotate(
    db: &Db,
    ring: &KeyRing,
    batch: usize,
    actor: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<RotationReport, KeysError> {
    let primary = ring.primary_id().clone();
    refuse_instances_without(db, &primary).await?;
    // The canary first: from now on start-up asks for this key.
    key_check::record_primary(db, ring).await?;
    let before = status(db, ring).await?;
    let total: i64 = before
        .keys
        .iter()
        .filter(|k| k.key_id != primary.as_str())
        .map(KeyUse::total)
        .sum();
    let total = u64::try_from(total).unwrap_or(0);
    event(
        db,
        "rotation.started",
        primary.as_str(),
        actor,
        detail([("values", total.into())]),
    )
    .await?;
    let current = format!("pb1:{primary}:");
    let batch = i64::try_from(batch.clamp(1, 10_000)).unwrap_or(500);
    let mut report = RotationReport {
        key_id: primary.to_string(),
        ..RotationReport::default()
    };
    let mut unopened: Vec<String> = Vec::new();
    let mut done = 0u64;
    progress(Progress { done, total });
    for _ in 0..MAX_PASSES {
        let mut changed_this_pass = 0u64;
        for column in SEALED {
            let mut after = String::new();
            loop {
                let page = rows::page_not_under(db, &column.at(), &current, &after, batch).await?;
                let Some(last) = page.last() else { break };
                after = last.pk.clone();
                let mut resealed = Vec::with_capacity(page.len());
                for row in &page {
                    let binding = column.row_binding(row);
                    let stored = Sealed::from_stored(row.value.clone());
                    match ring.open(&stored, column.aad(&binding)) {
                        Ok(plain) => {
                            let new = ring.seal(&plain, column.aad(&binding))?;
                            resealed.push((row, new));
                        }
                        Err(e) => {
                            if !unopened.iter().any(|u| u.starts_with(&where_(column, row))) {
                                unopened.push(format!("{}: {e}", where_(column, row)));
                            }
                        }
                    }
                }
                let values: Vec<(&str, &str, &str)> = resealed
                    .iter()
                    .map(|(row, new)| (row.pk.as_str(), row.value.as_str(), new.as_stored()))
                    .collect();
                let mut tx = db.begin().await?;
                let replaced_pks: std::collections::HashSet<String> =
                    rows::replace_many_tx(&mut tx, &column.at(), &values)
                        .await?
                        .into_iter()
                        .collect();
                tx.commit().await?;
                let replaced: Vec<&SealedValueRow> = resealed
                    .iter()
                    .map(|(row, _)| *row)
                    .filter(|row| replaced_pks.contains(&row.pk))
                    .collect();
                changed_this_pass += u64::try_from(resealed.len() - replaced.len()).unwrap_or(0);
                for row in &replaced {
                    report.resealed += 1;
                    if let Some(ws) = &row.workspace_id {
                        *report.by_workspace.entry(ws.clone()).or_default() += 1;
                    }
                }
                done += u64::try_from(resealed.len()).unwrap_or(0);
                progress(Progress {
                    done,
                    total: total.max(done),
                });
            }
        }
        report.changed_meanwhile += changed_this_pass;
        if changed_this_pass == 0 {
            break;
        }
    }
    let after = status(db, ring).await?;
    report.remaining = after
        .keys
        .iter()
        .filter(|k| k.key_id != primary.as_str())
        .map(KeyUse::total)
        .sum();
    for (workspace, count) in &report.by_workspace {
        let Some(workspace_id) = WorkspaceId::parse(workspace) else {
            continue;
        };
        audit::append(
            db,
            NewAuditEvent {
                workspace_id,
                environment_id: None,
                actor: AuditActor {
                    operator_id: None,
                    label: actor.to_owned(),
                },
                action: AuditAction::SecretsResealed,
                target: format!("encryption key {primary}"),
                detail: detail([("values", (*count).into())]),
            },
            &RequestMeta::default(),
        )
        .await?;
    }
    event(
        db,
        "rotation.finished",
        primary.as_str(),
        actor,
        detail([
            ("resealed", report.resealed.into()),
            ("changed_meanwhile", report.changed_meanwhile.into()),
            ("remaining", report.remaining.into()),
            ("unopened", unopened.len().into()),
        ]),
    )
    .await?;
    if let Some(first) = unopened.first() {
        return Err(KeysError::Unopened {
            count: unopened.len(),
            first: first.clone(),
        });
    }
    Ok(report)
}

/// A value's place, for messages: never the value.
fn where_(column: &SealedColumn, row: &SealedValueRow) -> String {
    format!("{}.{} of row {}", column.table, column.column, row.pk)
}

/// Checks that `key_id` may leave the ring: it is in it, not the sealing key,
/// seals nothing, and no live instance still seals with it.
pub async fn check_retire(db: &Db, ring: &KeyRing, key_id: &str) -> Result<(), KeysError> {
    let id = KeyId::parse(key_id).map_err(|_| KeysError::NotInRing(key_id.to_owned()))?;
    if !ring.contains(&id) {
        return Err(KeysError::NotInRing(key_id.to_owned()));
    }
    if ring.primary_id() == &id {
        return Err(KeysError::Primary(key_id.to_owned()));
    }
    let now = now_ms();
    if let Some(i) = instances::live(db)
        .await?
        .into_iter()
        .find(|i| i.key_ids.split(',').next() == Some(key_id))
    {
        return Err(KeysError::InstanceSealsWith {
            host: i.host,
            pid: i.pid,
            seen_s: (now - i.seen_at).max(0) / 1000,
            key: key_id.to_owned(),
        });
    }
    let count = status(db, ring).await?.count_for(key_id);
    if count > 0 {
        return Err(KeysError::StillInUse {
            key: key_id.to_owned(),
            count,
        });
    }
    Ok(())
}

/// Records that `key_id` left the ring: its canary goes (start-up stops asking
/// for it), and the event is kept. Call after [`check_retire`], before the key
/// leaves the key file: a key file that still holds a forgotten key is harmless,
/// a canary whose key is gone stops every start.
pub async fn retired(db: &Db, key_id: &str, actor: &str) -> Result<(), KeysError> {
    let had_canary = rows::delete_canary(db, key_id).await?;
    event(
        db,
        "key.retired",
        key_id,
        actor,
        detail([("had_sealed_data", had_canary.into())]),
    )
    .await
}

/// Records that `key_id` was added to the ring (first, sealing once instances restart).
pub async fn added(db: &Db, key_id: &str, actor: &str, stored_in: &str) -> Result<(), KeysError> {
    event(
        db,
        "key.added",
        key_id,
        actor,
        detail([("stored_in", stored_in.into())]),
    )
    .await
}

async fn refuse_instances_without(db: &Db, key: &KeyId) -> Result<(), KeysError> {
    let now = now_ms();
    for i in instances::live(db).await? {
        if !i.key_ids.split(',').any(|k| k == key.as_str()) {
            return Err(KeysError::InstanceLacksKey {
                host: i.host,
                pid: i.pid,
                seen_s: (now - i.seen_at).max(0) / 1000,
                key: key.to_string(),
            });
        }
    }
    Ok(())
}

async fn event(
    db: &Db,
    action: &str,
    key_id: &str,
    actor: &str,
    detail: serde_json::Map<String, Value>,
) -> Result<(), KeysError> {
    rows::insert_event(
        db,
        &KeyRingEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            action: action.to_owned(),
            key_id: key_id.to_owned(),
            detail: Value::Object(detail).to_string(),
            actor_label: actor.to_owned(),
            host: instances::host_name(),
            created_at: now_ms(),
        },
    )
    .await?;
    Ok(())
}
