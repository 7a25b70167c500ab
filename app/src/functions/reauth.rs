//! Re-authentication before the most sensitive actions (replacing a Pinterest
//! app secret, deleting an environment or an integration, changes that make or
//! unmake owners): when the password was last entered longer ago than the
//! policy allows, the action is refused with a field error on
//! [`REAUTH_FIELD`](crate::errors::REAUTH_FIELD) until the form is sent again
//! with the password, which then renews the sign-in and lets the action proceed.

use crate::errors::{AppError, REAUTH_FIELD};

/// Refuses the action unless the sign-in is recent, or `password` (the form's
/// `reauth_password`) is the operator's password.
pub async fn confirm_recent(password: Option<&str>) -> Result<(), AppError> {
    use domain::accounts::{AccountsError, sessions};
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let policy = &services.config.accounts;
    if !current.needs_reauthentication(policy) {
        return Ok(());
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AccountsError::ReauthenticationRequired {
            after: domain::accounts::policy::describe(policy.reauth_after),
        }
        .into());
    };
    sessions::reauthenticate(
        &services.db,
        &services.hasher,
        &operator,
        &current.id,
        password,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| match e {
        AccountsError::WrongCurrentPassword => AppError::invalid(
            REAUTH_FIELD,
            "This is not your password: type the password you sign in with.",
        ),
        other => other.into(),
    })
}
