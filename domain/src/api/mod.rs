//! The application API's domain: environment API keys ([`keys`], their text in
//! [`key`]), who is calling ([`ApiCaller`], from [`authenticate`]), what a
//! caller may do with connections ([`calls`]) and the Pinterest proxy
//! ([`proxy`]). The `/v1` handlers and the MCP tools are thin layers over it.
//!
//! A key belongs to exactly one environment: every operation here looks a
//! connection up by the key's workspace *and* environment, so another
//! environment's or workspace's ids are simply not found.

pub mod calls;
pub mod key;
pub mod keys;
pub mod proxy;
pub mod runtime;

use crate::Services;
use crate::accounts::audit::AuditActor;
use crate::accounts::{ApiKeyId, EnvironmentId, WorkspaceId};
use crate::connections::ConnectionError;
use crate::connections::tokens::TokenProblem;
use crate::db::repo::api_keys::{self as rows, ApiKeyRow};
use crate::db::{DbError, now_ms};
use crate::shared::{ApiPermission, Health};

pub use runtime::{Admission, CallKind, Runtime};

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
}

impl ApiCaller {
    fn of(row: &ApiKeyRow) -> Self {
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
        }
    }

    pub fn require(&self, permission: ApiPermission) -> Result<(), ApiError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::MissingPermission(permission))
        }
    }

    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            operator_id: None,
            label: self.label.clone(),
        }
    }
}

/// Why a request's credentials were refused (each answered 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthProblem {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// Something that is not a pinbridge key.
    Malformed,
    /// A pinbridge key with a wrong checksum: mistyped or cut short.
    Checksum,
    /// Well-formed, but no such key exists.
    Unknown,
    Expired,
    Revoked,
}

impl AuthProblem {
    pub fn detail(self) -> &'static str {
        match self {
            Self::Missing => {
                "Send the environment's API key as `Authorization: Bearer pinbridge_…` (create one on the environment's API keys page)."
            }
            Self::Malformed => {
                "The Authorization header does not hold a pinbridge API key: it must be `Bearer ` followed by a key starting with pinbridge_prod_ or pinbridge_dev_."
            }
            Self::Checksum => {
                "This API key's checksum does not match: it was mistyped or cut short. Copy it again."
            }
            Self::Unknown => "This API key does not exist.",
            Self::Expired => {
                "This API key has expired. Create or rotate a key on the API keys page."
            }
            Self::Revoked => "This API key was revoked. Create a new key on the API keys page.",
        }
    }
}

/// The API's one error type: every variant but `Internal` is an answer the
/// calling application can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.detail())]
    Unauthorized(AuthProblem),
    #[error("This API key lacks the `{0}` permission.")]
    MissingPermission(ApiPermission),
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Refused in this state, with why (Pinterest not configured, already
    /// disconnected…).
    #[error("{0}")]
    Refused(String),
    /// The end user must connect again (the connection needs re-authorization,
    /// was disconnected, or lacks scopes).
    #[error("{reason}")]
    Reconnect { health: Health, reason: String },
    /// Pinterest cannot be reached or answered with a server error.
    #[error("{0}")]
    Unavailable(String),
    /// Pinterest did not answer in time.
    #[error("Pinterest did not answer in time.")]
    UpstreamTimeout,
    /// Another process held the connection for longer than a refresh takes.
    #[error("The connection is busy; try again in a moment.")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<ConnectionError> for ApiError {
    fn from(err: ConnectionError) -> Self {
        match err {
            ConnectionError::Invalid { field, message } => Self::Invalid { field, message },
            ConnectionError::NotFound => Self::NotFound,
            ConnectionError::Refused(m) => Self::Refused(m),
            ConnectionError::Forbidden => {
                Self::Internal("operator role check on an API path".into())
            }
            ConnectionError::Crypto(e) => Self::Internal(e.to_string()),
            ConnectionError::Db(e) => Self::Internal(e.to_string()),
            ConnectionError::Accounts(e) => Self::Internal(e.to_string()),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<TokenProblem> for ApiError {
    fn from(problem: TokenProblem) -> Self {
        match problem {
            TokenProblem::NotFound => Self::NotFound,
            TokenProblem::NotUsable { health, reason } => Self::Reconnect { health, reason },
            TokenProblem::Unavailable { reason } => Self::Unavailable(reason),
            TokenProblem::Busy => Self::Busy,
        }
    }
}

/// The caller behind an `Authorization` header value, if its key is usable now.
///
/// Shape and checksum are checked first (no database read for a mistyped
/// key); a key read from the database is trusted for
/// [`runtime::KEY_CACHE_TTL`], so revocation elsewhere is seen within that.
pub async fn authenticate(
    services: &Services,
    authorization: Option<&str>,
) -> Result<ApiCaller, ApiError> {
    let value = authorization.ok_or(ApiError::Unauthorized(AuthProblem::Missing))?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let text = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .ok_or(ApiError::Unauthorized(AuthProblem::Malformed))?;
    let (_, hash) = key::parse(text).map_err(|shape| {
        ApiError::Unauthorized(match shape {
            key::KeyShape::Malformed => AuthProblem::Malformed,
            key::KeyShape::Checksum => AuthProblem::Checksum,
        })
    })?;
    let row = match services.api.cached(&hash) {
        Some(row) => row,
        None => {
            let row = rows::find_by_hash(&services.db, hash.as_str()).await?;
            services.api.remember(hash, row.clone());
            row
        }
    };
    let row = row.ok_or(ApiError::Unauthorized(AuthProblem::Unknown))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(AuthProblem::Revoked));
    }
    if row.expires_at.is_some_and(|at| at <= now_ms()) {
        return Err(ApiError::Unauthorized(AuthProblem::Expired));
    }
    Ok(ApiCaller::of(&row))
}

/// Writes the usage counted in memory, and audits keys that expired. Run
/// every few seconds by each process, and once more when it stops.
pub async fn maintain(services: &Services, stopping: bool) -> Result<(), DbError> {
    let flush = services.api.take(stopping);
    let now = now_ms();
    let mut failed = runtime::Flush::default();
    let mut error = None;
    for (id, n, last_used) in flush.keys {
        if let Err(e) = rows::add_usage(&services.db, &id, n, last_used).await {
            failed.keys.push((id, n, None));
            error = Some(e);
        }
    }
    for (conn, key, token, proxy) in flush.calls {
        if let Err(e) = rows::add_calls(&services.db, &conn, &key, token, proxy, now).await {
            failed.calls.push((conn, key, token, proxy));
            error = Some(e);
        }
    }
    services.api.put_back(failed);
    keys::audit_expired(services).await?;
    error.map_or(Ok(()), Err)
}

/// Runs [`maintain`] every `every` until the task is dropped.
pub async fn run_maintenance(services: Services, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = maintain(&services, false).await {
            tracing::warn!(error = %e, "could not write API usage");
        }
    }
}
