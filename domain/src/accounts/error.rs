//! The accounts services' one error type. Every variant but `Hashing` and `Db`
//! is an answer a person can act on; those two are internal and must be mapped
//! to a generic message at the edge.

use super::input::InvalidInput;
use super::password::HashingError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The thing does not exist in the caller's workspace, or the caller is not a
    /// member. The same answer for both, so ids of other tenants reveal nothing.
    #[error("Not found.")]
    NotFound,
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error("This setup link is not valid or was already used.")]
    SetupTokenInvalid,
    #[error(
        "This setup link has expired. Run `pinbridge setup-link` on the server (or restart pinbridge) for a new one."
    )]
    SetupTokenExpired,
    #[error("Setup is complete: an owner exists. Ask an owner for an invitation.")]
    SetupComplete,
    #[error("This invitation link is not valid, has expired or was already used.")]
    InvitationInvalid,
    #[error("This invitation is for {invited}: sign in with that account to accept it.")]
    InvitationForAnotherAccount { invited: String },
    #[error("An account with this email exists already: sign in to accept the invitation.")]
    AccountExists,
    #[error("An operator with this email exists already.")]
    EmailTaken,
    #[error("A workspace with this name exists already.")]
    WorkspaceNameTaken,
    #[error("This workspace already has an environment with this name.")]
    EnvironmentNameTaken,
    #[error(
        "This name gives the address “{slug}”, which another environment in this workspace uses; choose a different name."
    )]
    EnvironmentSlugTaken { slug: String },
    #[error("Type the environment's name exactly to delete it.")]
    EnvironmentConfirmationMismatch,
    #[error("This environment has {connections} connection(s): remove them before deleting it.")]
    EnvironmentInUse { connections: u64 },
    #[error("A workspace must keep at least one environment.")]
    LastEnvironment,
    #[error("A new workspace's first member must be an owner.")]
    FirstMemberMustBeOwner,
    #[error("This person is already a member of the workspace.")]
    AlreadyMember,
    #[error("A workspace must keep at least one owner.")]
    LastOwner,
    #[error("Too many failed sign-ins: try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    #[error("Email or password is wrong.")]
    InvalidCredentials,
    /// The password typed to confirm an action is not the operator's.
    #[error("This is not your current password.")]
    WrongCurrentPassword,
    #[error("Too many wrong passwords: you were signed out. Sign in again.")]
    SignedOutAfterWrongPasswords,
    /// The action needs the password again: it was last entered too long ago.
    #[error(
        "Enter your password to confirm: this action needs it when you signed in more than {after} ago."
    )]
    ReauthenticationRequired { after: String },
    #[error("Two-factor sign-in is already on.")]
    TwoFactorAlreadyOn,
    #[error("Start setting up two-factor sign-in first.")]
    TwoFactorNotStarted,
    #[error("Enter the 6-digit code your authenticator app shows (or a recovery code).")]
    TwoFactorCodeMalformed,
    #[error(
        "This code is not right. Check your authenticator app's clock, and try the newest code."
    )]
    TwoFactorCodeWrong,
    #[error("This code was used already: wait for the next one.")]
    TwoFactorCodeUsed,
    #[error(
        "Two-factor sign-in cannot be turned off while these workspaces require it: {workspaces}."
    )]
    TwoFactorRequiredBy { workspaces: String },
    #[error("Turn on two-factor sign-in for your own account before requiring it of others.")]
    TwoFactorNeededToRequire,
    /// A TOTP secret could not be made, sealed or opened (internal).
    #[error("two-factor secret: {0}")]
    TwoFactorSetup(String),
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AccountsError {
    /// `taken` for a unique violation (the name, email or membership exists),
    /// the database error otherwise.
    pub(crate) fn unique_or(err: DbError, taken: AccountsError) -> AccountsError {
        if crate::db::tx::is_unique_violation(&err) {
            taken
        } else {
            AccountsError::Db(err)
        }
    }
}
