//! Who is calling: an application authenticated by one API key, with what it
//! may do.

use crate::accounts::audit::AuditActor;
use crate::accounts::{ApiKeyId, EnvironmentId, WorkspaceId};
use crate::db::repo::api_keys::ApiKeyRow;
use crate::shared::ApiPermission;

/// An application authenticated by one API key.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key_id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    /// The key's name and visible part, e.g. `Backend (pinbridge_prod_…a1B2)`.
    pub label: String,
    pub permissions: Vec<ApiPermission>,
    /// Requests per minute.
    pub rate_limit: u64,
    /// The one end user the key may act for; `None`: any of the environment's.
    pub end_user_id: Option<String>,
    /// Only tools that read: an assistant the end user let read and not
    /// write (OAuth scope `pinterest:read` alone). Keys are never read-only.
    pub read_only: bool,
    /// An assistant signed in as its end user through OAuth (not a key): its
    /// tools take no `connection_id` or `end_user_id`.
    pub signed_in: bool,
}

impl ApiCaller {
    pub(crate) fn of(row: &ApiKeyRow) -> Self {
        Self {
            key_id: row.id.clone(),
            workspace_id: row.workspace_id.clone(),
            environment_id: row.environment_id.clone(),
            label: format!(
                "API key \u{201c}{}\u{201d} ({}\u{2026}{})",
                row.name, row.prefix, row.last_four
            ),
            permissions: ApiPermission::parse_list(&row.permissions).unwrap_or_default(),
            rate_limit: u64::try_from(row.rate_limit).unwrap_or(1),
            end_user_id: row.end_user_id.clone(),
            read_only: false,
            signed_in: false,
        }
    }

    /// Whether this key may act on the connection: any of its environment's,
    /// or only its end user's for a key bound to one.
    pub fn may_reach(&self, row: &crate::db::repo::connections::ConnectionRow) -> bool {
        row.environment_id == self.environment_id
            && self
                .end_user_id
                .as_ref()
                .is_none_or(|bound| *bound == row.end_user_id)
    }

    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            operator_id: None,
            label: self.label.clone(),
        }
    }
}

/// A key as read from the database, kept by a process for a short while:
/// its caller, built once, and what decides whether it is usable now.
#[derive(Debug)]
pub(crate) struct KnownKey {
    pub caller: ApiCaller,
    pub revoked: bool,
    pub expires_at: Option<i64>,
}

impl KnownKey {
    pub(crate) fn of(row: &ApiKeyRow) -> Self {
        Self {
            caller: ApiCaller::of(row),
            revoked: row.revoked_at.is_some(),
            expires_at: row.expires_at,
        }
    }
}
