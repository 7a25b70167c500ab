//! The API's one error type, and why credentials were refused.

use super::caller::ApiCaller;
use crate::connections::ConnectionError;
use crate::connections::tokens::TokenProblem;
use crate::db::DbError;
use crate::shared::{ApiPermission, Health};

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
    /// An id that cannot be one (not a UUID): not found either, saying why.
    #[error(
        "`{0}` is not a connection id: connection ids are UUIDs, as `id` in GET /v1/connections."
    )]
    NotAnId(String),
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

impl ApiCaller {
    /// Refuses unless the key holds `permission`.
    pub fn require(&self, permission: ApiPermission) -> Result<(), ApiError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::MissingPermission(permission))
        }
    }
}
