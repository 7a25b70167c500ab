//! The audit log: what changed in a workspace, who did it, when, from where.
//!
//! Records are written in the same transaction as the change they describe, so
//! a change is never without its record (and a refused change leaves none).
//! The `detail` object is built by pinbridge, never copied from a request, and
//! any key that names a secret is redacted before it is stored. Each record
//! is chained to the one before it in its workspace ([`super::audit_chain`])
//! and goes out on the audit stream to the webhook endpoints subscribed to
//! `audit.*`, in that same transaction.

use serde_json::{Map, Value};

use super::access::Actor;
use super::audit_chain;
use super::error::AccountsError;
use super::ids::{AuditEventId, EnvironmentId, OperatorId, WorkspaceId};
pub use crate::db::repo::audit_events::AuditEventRow;
use crate::db::repo::audit_events::{self, AuditQuery};
use crate::db::tx::Tx;
use crate::db::{Db, now_ms};

pub use crate::shared::AuditAction;

/// Where a request came from, recorded with each event.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Longest user agent kept; the rest is cut so a client cannot bloat the log.
const USER_AGENT_MAX: usize = 512;

/// Who did it, as recorded: an operator, or a label such as "setup" or "cli".
#[derive(Clone, Debug)]
pub struct AuditActor {
    pub operator_id: Option<OperatorId>,
    pub label: String,
}

impl AuditActor {
    /// pinbridge itself: the scheduler, refreshes and probes.
    pub fn system() -> Self {
        Self {
            operator_id: None,
            label: "pinbridge".to_owned(),
        }
    }
}

impl From<&Actor> for AuditActor {
    fn from(actor: &Actor) -> Self {
        Self {
            operator_id: Some(actor.operator_id().clone()),
            label: actor.label().to_owned(),
        }
    }
}

/// One event to append.
#[derive(Clone, Debug)]
pub struct NewAuditEvent {
    pub workspace_id: WorkspaceId,
    pub environment_id: Option<EnvironmentId>,
    pub actor: AuditActor,
    pub action: AuditAction,
    /// What was acted on, human-readable (an email, an environment's name).
    pub target: String,
    pub detail: Map<String, Value>,
}

/// Keys whose values are never stored, whatever code builds the detail.
const SECRET_KEY_PARTS: [&str; 4] = ["password", "secret", "token", "hash"];

fn redact(detail: Map<String, Value>) -> Map<String, Value> {
    detail
        .into_iter()
        .map(|(k, v)| {
            let lower = k.to_lowercase();
            if SECRET_KEY_PARTS.iter().any(|part| lower.contains(part)) {
                (k, Value::String("[redacted]".into()))
            } else {
                (k, v)
            }
        })
        .collect()
}

/// Appends an event inside the caller's transaction: at the end of its
/// workspace's hash chain, and into the webhook outbox for every endpoint
/// subscribed to the audit stream. Rolled back with the transaction, record
/// and events alike.
pub async fn append_tx(
    tx: &mut Tx,
    event: NewAuditEvent,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let user_agent = meta
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect::<String>());
    let mut row = AuditEventRow {
        id: AuditEventId::generate(),
        workspace_id: event.workspace_id,
        environment_id: event.environment_id,
        actor_operator_id: event.actor.operator_id,
        actor_label: event.actor.label,
        action: event.action,
        target: event.target,
        detail: Value::Object(redact(event.detail)).to_string(),
        ip: meta.ip.clone(),
        user_agent,
        created_at: now_ms(),
        seq: None,
        prev_hash: None,
        hash: None,
    };
    audit_chain::insert_tx(tx, &mut row).await?;
    crate::webhooks::events::audit_tx(tx, &row).await?;
    Ok(())
}

/// Appends an event on its own (for events that change nothing else, such as sign-ins).
pub async fn append(
    db: &Db,
    event: NewAuditEvent,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let mut tx = db.begin().await?;
    append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Records something an operator did to their own account (a password change,
/// an ended session) in each workspace they belong to, with them as actor and
/// target: each workspace's owners see activity on their members' accounts.
pub async fn append_for_operator(
    db: &Db,
    operator_id: &OperatorId,
    action: AuditAction,
    detail: Map<String, Value>,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let Some(operator) = crate::db::repo::operators::find(db, operator_id).await? else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    for workspace_id in crate::db::repo::memberships::workspace_ids_of(db, operator_id).await? {
        let event = NewAuditEvent {
            workspace_id,
            environment_id: None,
            actor: AuditActor {
                operator_id: Some(operator_id.clone()),
                label: operator.email.clone(),
            },
            action,
            target: operator.email.clone(),
            detail: detail.clone(),
        };
        append_tx(&mut tx, event, meta).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Largest page the log hands out at once.
pub const AUDIT_PAGE_MAX: u32 = 200;
/// Page size when the filter does not say.
pub const AUDIT_PAGE_DEFAULT: u32 = 50;

/// Filters and position for listing the log.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub environment_id: Option<EnvironmentId>,
    pub actor_operator_id: Option<OperatorId>,
    pub action: Option<AuditAction>,
    /// The cursor of the previous page ([`AuditPage::next`]); `None` for the newest.
    pub after: Option<AuditCursor>,
    /// Page size, at most [`AUDIT_PAGE_MAX`]; 0 means [`AUDIT_PAGE_DEFAULT`].
    pub limit: u32,
}

/// The position after the last event of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    pub created_at: i64,
    pub id: AuditEventId,
}

#[derive(Clone, Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEventRow>,
    /// Where the next (older) page starts; `None` when this one is the last.
    pub next: Option<AuditCursor>,
}

/// The actor's workspace's events, newest first, filtered and paged. Any member may read.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &AuditFilter,
) -> Result<AuditPage, AccountsError> {
    let limit = match filter.limit {
        0 => AUDIT_PAGE_DEFAULT,
        n => n.min(AUDIT_PAGE_MAX),
    };
    let query = AuditQuery {
        environment_id: filter.environment_id.as_ref(),
        actor_operator_id: filter.actor_operator_id.as_ref(),
        action: filter.action,
        before: filter.after.as_ref().map(|c| (c.created_at, &c.id)),
        // One more than asked tells whether another page follows.
        limit: i64::from(limit) + 1,
    };
    let mut events = audit_events::list(db, actor.workspace_id(), &query).await?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next = if more {
        events.last().map(|e| AuditCursor {
            created_at: e.created_at,
            id: e.id.clone(),
        })
    } else {
        None
    };
    Ok(AuditPage { events, next })
}

/// Whether `cursor` is a position in the actor's workspace's log (one of its
/// events, at its time): a page link made by [`list`] is, a forged or garbled
/// one is not, and is refused rather than shown as an arbitrary page.
pub async fn cursor_exists(
    db: &Db,
    actor: &Actor,
    cursor: &AuditCursor,
) -> Result<bool, AccountsError> {
    Ok(audit_events::exists_at(db, actor.workspace_id(), &cursor.id, cursor.created_at).await?)
}

/// Builds a `detail` object from pairs.
pub fn detail<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_keys_are_redacted() {
        let d = redact(detail([
            ("role", "admin".into()),
            ("password", "hunter2hunter2".into()),
            ("ClientSecret", "s3cr3t".into()),
            ("token_hash", "abc".into()),
        ]));
        assert_eq!(d["role"], "admin");
        assert_eq!(d["password"], "[redacted]");
        assert_eq!(d["ClientSecret"], "[redacted]");
        assert_eq!(d["token_hash"], "[redacted]");
    }
}
