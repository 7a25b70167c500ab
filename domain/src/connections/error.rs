//! The connections services' one error type. `Crypto` and `Db` are internal and
//! mapped to a generic message at the edge; every other variant is an answer a
//! person can act on.

use crate::accounts::AccountsError;
use crate::crypto::CryptoError;
use crate::db::DbError;

/// Form fields of the connect-link and return-origins forms.
pub const END_USER_FIELD: &str = "end_user_id";
pub const DISPLAY_NAME_FIELD: &str = "display_name";
pub const RETURN_URL_FIELD: &str = "return_url";
pub const ORIGINS_FIELD: &str = "origins";

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Bad input: the field and what is wrong with it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The environment or connection is not in the caller's workspace.
    #[error("Not found.")]
    NotFound,
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Refused in this case, with why (Pinterest not configured, disabled…).
    #[error("{0}")]
    Refused(String),
    #[error("stored token could not be opened: {0}")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(AccountsError),
}

impl ConnectionError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<AccountsError> for ConnectionError {
    fn from(err: AccountsError) -> Self {
        match err {
            AccountsError::NotFound => Self::NotFound,
            AccountsError::Forbidden => Self::Forbidden,
            AccountsError::Db(e) => Self::Db(e),
            other => Self::Accounts(other),
        }
    }
}
