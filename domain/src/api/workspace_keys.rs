//! Workspace keys: an owner's key for the workspace's whole audit log, for
//! security tooling that reads every environment's records and the
//! workspace's own (members, sign-ins, settings) at `GET /v1/audit-events`,
//! and nothing else: every other `/v1` endpoint refuses it.
//!
//! Its text has an API key's shape with a prefix of its own
//! (`pinbridge_ws_…`, see [`super::key`]), so a person or a secret scanner
//! tells it apart, and only its SHA-256 is stored. Owners alone create, list
//! and revoke them, each audited (never with the key). A key is read from the
//! database on every request, not kept in the API's key cache: revoking one
//! stops it at once in every process, and a poller's requests cost one
//! indexed read each.

use std::fmt;

use super::key::{self, KeyShape};
use super::runtime::LAST_USED_EVERY_MS;
use super::{ApiError, AuthProblem};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, NewAuditEvent, RequestMeta, detail};
use crate::accounts::{Actor, ApiKeyId, Role, WorkspaceId};
use crate::connections::ConnectionError;
use crate::crypto::SecretString;
use crate::db::repo::workspace_keys as rows;
use crate::db::tx::Tx;
use crate::db::{Db, now_ms};
use crate::shared::ApiPermission;

// What the portal's Audit log page reads.
pub use crate::db::repo::workspace_keys::{WorkspaceKeyId, WorkspaceKeyRow};

/// How every workspace key begins.
pub const PREFIX: &str = "pinbridge_ws_";
pub const NAME_FIELD: &str = "name";
pub const NAME_MAX: usize = 100;
/// Unrevoked keys a workspace may hold at once.
pub const KEYS_MAX: i64 = 20;
/// Requests per minute each workspace key may make: ample for a poller,
/// too few to hammer the database with the whole log.
pub const RATE_LIMIT: u64 = 600;

/// A caller authenticated by a workspace key: it reads its workspace's
/// audit log, all of it, and does nothing else.
#[derive(Clone, Debug)]
pub struct WorkspaceCaller {
    pub key_id: WorkspaceKeyId,
    pub workspace_id: WorkspaceId,
    /// The key's name and visible part, e.g. `Workspace key “SIEM” (pinbridge_ws_…a1B2)`.
    pub label: String,
    /// The key's id as the API's rate limiter and request metrics count
    /// callers. (The usage the limiter counts is written to `api_keys`,
    /// where no row has this id: nothing is written for it.)
    pub rate_key: ApiKeyId,
}

/// Whether an `Authorization` header value presents a workspace key, well
/// formed or not: the API answers it as one, never as a malformed API key.
pub fn presented(authorization: &str) -> bool {
    super::bearer(authorization).is_ok_and(|text| text.starts_with(PREFIX))
}

/// The caller behind an `Authorization` header value holding a workspace
/// key, if the key is usable now. Shape and checksum are checked before the
/// database is read; the last use is written at most once a minute.
pub async fn authenticate(
    services: &Services,
    authorization: Option<&str>,
) -> Result<WorkspaceCaller, ApiError> {
    let value = authorization.ok_or(ApiError::Unauthorized(AuthProblem::Missing))?;
    let text = super::bearer(value)?;
    let hash = key::parse_prefixed(PREFIX, text).map_err(|shape| {
        ApiError::Unauthorized(match shape {
            KeyShape::Malformed => AuthProblem::Malformed,
            KeyShape::Checksum => AuthProblem::Checksum,
        })
    })?;
    let row = rows::find_by_hash(&services.db, hash.as_str())
        .await?
        .ok_or(ApiError::Unauthorized(AuthProblem::Unknown))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(AuthProblem::Revoked));
    }
    let permissions = ApiPermission::parse_list(&row.permissions).unwrap_or_default();
    if !permissions.contains(&ApiPermission::AuditRead) {
        return Err(ApiError::MissingPermission(ApiPermission::AuditRead));
    }
    let rate_key = ApiKeyId::parse(row.id.as_str())
        .ok_or_else(|| ApiError::Internal("a workspace key's id is not a UUID".into()))?;
    // The request is answered even when its use cannot be written just now.
    if let Err(e) = rows::touch(&services.db, &row.id, now_ms(), LAST_USED_EVERY_MS).await {
        tracing::warn!(error = %e, "could not record a workspace key's last use");
    }
    Ok(WorkspaceCaller {
        label: label(&row),
        key_id: row.id,
        workspace_id: row.workspace_id,
        rate_key,
    })
}

fn label(row: &WorkspaceKeyRow) -> String {
    format!(
        "Workspace key \u{201c}{}\u{201d} ({}\u{2026}{})",
        row.name, row.prefix, row.last_four
    )
}

/// What the "New workspace key" form's name may be: 1 to [`NAME_MAX`]
/// characters, no control characters.
pub fn parse_name(name: &str) -> Result<String, ConnectionError> {
    let name = crate::connections::links::plain_text(NAME_FIELD, "Name", name, NAME_MAX)?;
    if name.is_empty() {
        return Err(ConnectionError::invalid(
            NAME_FIELD,
            format!(
                "Name is required: 1 to {NAME_MAX} characters, e.g. \u{201c}SIEM export\u{201d}."
            ),
        ));
    }
    Ok(name)
}

/// Workspace keys open the whole log, every environment's included: owners
/// alone see and manage them.
fn require_owner(actor: &Actor) -> Result<(), ConnectionError> {
    if actor.role() == Role::Owner {
        Ok(())
    } else {
        Err(ConnectionError::Forbidden)
    }
}

/// A key just made: the only time its text exists outside the caller. No
/// `Debug` or `Serialize` can leak it.
pub struct CreatedWorkspaceKey {
    pub row: WorkspaceKeyRow,
    text: SecretString,
}

impl CreatedWorkspaceKey {
    pub fn expose(&self) -> &str {
        self.text.expose()
    }
}

impl fmt::Debug for CreatedWorkspaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedWorkspaceKey")
            .field("row", &self.row)
            .field("text", &"redacted")
            .finish()
    }
}

/// The actor's workspace's keys, newest first, revoked ones included.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<WorkspaceKeyRow>, ConnectionError> {
    require_owner(actor)?;
    Ok(rows::list(db, actor.workspace_id()).await?)
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    name: &str,
    meta: &RequestMeta,
) -> Result<CreatedWorkspaceKey, ConnectionError> {
    require_owner(actor)?;
    let name = parse_name(name)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    if rows::count_usable_tx(&mut tx, actor.workspace_id()).await? >= KEYS_MAX {
        return Err(ConnectionError::Refused(format!(
            "This workspace already has {KEYS_MAX} workspace keys: revoke one first."
        )));
    }
    let (text, hash) = key::generate_prefixed(PREFIX);
    let row = WorkspaceKeyRow {
        id: WorkspaceKeyId::generate(),
        workspace_id: actor.workspace_id().clone(),
        name,
        prefix: PREFIX.to_owned(),
        last_four: text.last4(),
        permissions: ApiPermission::join(&[ApiPermission::AuditRead]),
        created_by: actor.label().to_owned(),
        created_at: now,
        revoked_at: None,
        revoked_by: None,
        last_used_at: None,
    };
    rows::insert(&mut tx, &row, hash.as_str()).await?;
    append(&mut tx, actor, &row, AuditAction::WorkspaceKeyCreated, meta).await?;
    tx.commit().await?;
    Ok(CreatedWorkspaceKey { row, text })
}

/// The key stops working at once, in every process (keys are not cached).
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    id: &WorkspaceKeyId,
    meta: &RequestMeta,
) -> Result<WorkspaceKeyRow, ConnectionError> {
    require_owner(actor)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut row = rows::find_tx(&mut tx, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if !rows::revoke_tx(&mut tx, actor.workspace_id(), id, actor.label(), now).await? {
        return Err(ConnectionError::Refused(
            "This key is already revoked.".into(),
        ));
    }
    row.revoked_at = Some(now);
    row.revoked_by = Some(actor.label().to_owned());
    append(&mut tx, actor, &row, AuditAction::WorkspaceKeyRevoked, meta).await?;
    tx.commit().await?;
    Ok(row)
}

/// Records a change to a key: which key (its visible part), never its text.
async fn append(
    tx: &mut Tx,
    actor: &Actor,
    row: &WorkspaceKeyRow,
    action: AuditAction,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    audit::append_tx(
        tx,
        NewAuditEvent {
            workspace_id: row.workspace_id.clone(),
            environment_id: None,
            actor: actor.into(),
            action,
            target: row.name.clone(),
            detail: detail([
                ("key_id", row.id.as_str().into()),
                (
                    "visible",
                    format!("{}\u{2026}{}", row.prefix, row.last_four).into(),
                ),
                ("permissions", row.permissions.clone().into()),
            ]),
        },
        meta,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_keys_are_told_apart_from_api_keys() {
        let (text, _) = key::generate_prefixed(PREFIX);
        assert!(presented(&format!("Bearer {}", text.expose())));
        assert!(presented(&format!("bearer {}", text.expose())));
        assert!(presented("Bearer pinbridge_ws_garbled"));
        assert!(!presented("Bearer pinbridge_dev_abc"));
        assert!(!presented(text.expose()), "no scheme");
        assert!(key::parse(text.expose()).is_err(), "not an API key");
        assert!(!format!("{:?}", text).contains(&text.expose()[13..]));
    }

    #[test]
    fn names_are_required_and_plain() {
        assert_eq!(parse_name("  SIEM  ").unwrap(), "SIEM");
        assert!(parse_name("").is_err());
        assert!(parse_name("a\tb").is_err());
        assert!(parse_name(&"x".repeat(NAME_MAX + 1)).is_err());
    }
}
