//! The Pinterest settings services' one error type. `Crypto` and `Db` (and an
//! unexpected accounts error) are internal and mapped to a generic message at
//! the edge; every other variant is an answer a person can act on.

use super::credentials::CredentialInput;
use super::scope::ScopeError;
use crate::accounts::AccountsError;
use crate::crypto::CryptoError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum PinterestError {
    #[error(transparent)]
    Invalid(#[from] CredentialInput),
    #[error(transparent)]
    Scopes(#[from] ScopeError),
    /// The environment is not in the caller's workspace (or does not exist).
    #[error("Not found.")]
    NotFound,
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error(
        "Pinterest is not configured in this environment yet: save an App id and App secret key first."
    )]
    NotConfigured,
    /// Someone else changed the settings after this form was loaded.
    #[error("These settings were changed by {by} after you opened the page.")]
    Conflict { by: String, at: i64 },
    /// The settings were deleted after this form was loaded.
    #[error("These settings were deleted after you opened the page. Reload it to start again.")]
    Gone,
    #[error("Type the environment's name exactly to delete its Pinterest configuration.")]
    ConfirmationMismatch,
    #[error(
        "This environment has {connections} Pinterest connection(s): disconnect them before deleting the configuration."
    )]
    InUse { connections: u64 },
    #[error("stored secret could not be opened: {0}")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(AccountsError),
}

impl From<AccountsError> for PinterestError {
    fn from(err: AccountsError) -> Self {
        match err {
            AccountsError::NotFound => Self::NotFound,
            AccountsError::Forbidden => Self::Forbidden,
            AccountsError::Db(e) => Self::Db(e),
            other => Self::Accounts(other),
        }
    }
}
