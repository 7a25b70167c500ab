//! Two-factor sign-in: the code asked for after the password (a pending
//! sign-in in the session, with a limited number of attempts), enrolment from
//! the account page, turning it off, and owners requiring it in a workspace.

use leptos::prelude::*;

use crate::errors::AppError;

#[cfg(feature = "ssr")]
use super::context::{PENDING_KEY, PendingSignIn};

/// The session key where new recovery codes wait for the page after a plain form post.
#[cfg(feature = "ssr")]
pub(crate) const NEW_CODES_KEY: &str = "new_recovery_codes";
/// Wrong codes allowed per pending sign-in; then the password is asked again.
pub const CODE_ATTEMPTS: u32 = 5;
/// How long the code may take after the password.
#[cfg(feature = "ssr")]
const PENDING_FOR_MS: i64 = 5 * 60_000;

/// Whether this browser has a sign-in waiting for its code.
#[server(endpoint = "auth/sign-in-code-view")]
pub async fn load_sign_in_code() -> Result<bool, AppError> {
    let session = super::context::session().await?;
    Ok(session.get::<PendingSignIn>(PENDING_KEY).await?.is_some())
}

/// The second step of signing in: a code from the authenticator app, or a
/// recovery code. After [`CODE_ATTEMPTS`] wrong codes the sign-in starts over.
#[server(endpoint = "auth/sign-in-code")]
pub async fn sign_in_code(code: String) -> Result<(), AppError> {
    use super::context::{services, session};
    use super::request::request_meta;
    use domain::accounts::AccountsError as E;
    use domain::accounts::two_factor::{self, Verified};
    let services = services()?;
    let session = session().await?;
    let Some(mut pending) = session.get::<PendingSignIn>(PENDING_KEY).await? else {
        return Err(AppError::Refused(
            "Sign in with your email and password first.".to_owned(),
        ));
    };
    if domain::db::now_ms().saturating_sub(pending.started_at) > PENDING_FOR_MS {
        session.remove_value(PENDING_KEY).await?;
        return Err(AppError::Refused(
            "This sign-in took too long: sign in again with your email and password.".to_owned(),
        ));
    }
    let stamp = domain::accounts::sessions::password_stamp(&services.db, &pending.operator).await?;
    if stamp != pending.password_stamp {
        session.remove_value(PENDING_KEY).await?;
        return Err(AppError::Refused(
            "Your password changed since you typed it: sign in again with the new one.".to_owned(),
        ));
    }
    let meta = request_meta();
    match two_factor::verify(
        &services.db,
        &services.keys,
        &pending.operator,
        &code,
        &meta,
    )
    .await
    {
        Ok(verified) => {
            domain::accounts::sign_in::record_signed_in(&services.db, &pending.operator, &meta)
                .await?;
            super::auth::start_session(&session, &pending.operator).await?;
            if let Verified::RecoveryCode { left } = verified {
                super::flash::tell(&[format!(
                    "You signed in with a recovery code; {left} left. Set up two-factor sign-in again on your account page if you lost your device."
                )])
                .await?;
            }
            let to = match pending.next.take() {
                Some(next) => next,
                None => super::auth::home_path(&services, &pending.operator).await,
            };
            leptos_axum::redirect(&to);
            Ok(())
        }
        Err(e @ (E::TwoFactorCodeWrong | E::TwoFactorCodeUsed | E::TwoFactorCodeMalformed)) => {
            pending.attempts += 1;
            two_factor::record_failure(&services.db, &pending.operator, &meta).await?;
            if pending.attempts >= CODE_ATTEMPTS {
                session.remove_value(PENDING_KEY).await?;
                return Err(AppError::Refused(format!(
                    "{CODE_ATTEMPTS} wrong codes: sign in again with your email and password."
                )));
            }
            let left = CODE_ATTEMPTS - pending.attempts;
            session.insert(PENDING_KEY, &pending).await?;
            Err(AppError::invalid(
                "code",
                format!(
                    "{e} {left} attempt{} left.",
                    if left == 1 { "" } else { "s" }
                ),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Starts enrolment: a new secret, shown on the account page as a QR code and
/// as text until a first code confirms it.
#[server(endpoint = "account/two-factor/start")]
pub async fn start_two_factor() -> Result<(), AppError> {
    let (operator, _) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    domain::accounts::two_factor::begin(&services.db, &services.keys, &operator).await?;
    Ok(())
}

/// Confirms enrolment with a first code; answers the recovery codes, shown once.
#[server(endpoint = "account/two-factor/confirm")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    let (operator, _) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let codes = domain::accounts::two_factor::confirm(
        &services.db,
        &services.keys,
        &operator,
        &code,
        &super::request::request_meta(),
    )
    .await?;
    let codes: Vec<String> = codes.iter().map(|c| c.expose().to_owned()).collect();
    if super::request::is_plain_form_post() {
        // The next page load shows them, once (see `take_new_codes`).
        super::context::session()
            .await?
            .insert(NEW_CODES_KEY, &codes)
            .await?;
    }
    Ok(codes)
}

/// Recovery codes a plain form post just made, taken out of the session.
#[cfg(feature = "ssr")]
pub(crate) async fn take_new_codes() -> Result<Vec<String>, AppError> {
    let session = super::context::session().await?;
    Ok(session
        .remove::<Vec<String>>(NEW_CODES_KEY)
        .await?
        .unwrap_or_default())
}

/// Turns two-factor sign-in off, given the password.
#[server(endpoint = "account/two-factor/disable")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    use domain::accounts::AccountsError;
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    domain::accounts::two_factor::disable(
        &services.db,
        &services.hasher,
        &operator,
        &current.id,
        &password,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| match e {
        AccountsError::WrongCurrentPassword => AppError::invalid("password", e.to_string()),
        other => other.into(),
    })?;
    super::flash::tell(&["Two-factor sign-in is off.".to_owned()]).await?;
    Ok(())
}

/// Whether the workspace requires two-factor sign-in (any member may read it).
#[server(endpoint = "workspaces/two-factor-view")]
pub async fn load_two_factor_requirement(workspace: String) -> Result<bool, AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    Ok(
        domain::accounts::two_factor::workspace_requires(&services.db, actor.workspace_id())
            .await?,
    )
}

/// Owners require (or stop requiring) two-factor sign-in of every member.
#[server(endpoint = "workspaces/two-factor")]
pub async fn set_two_factor_requirement(
    workspace: String,
    #[server(default)] required: Option<String>,
) -> Result<bool, AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    let required = match required.as_deref() {
        None | Some("false") | Some("off") => false,
        Some("true") | Some("on") => true,
        Some(_) => {
            return Err(AppError::invalid("required", "Choose on or off."));
        }
    };
    domain::accounts::two_factor::set_workspace_requirement(
        &services.db,
        &actor,
        required,
        &super::request::request_meta(),
    )
    .await?;
    super::flash::tell(&[if required {
        "Every member now needs two-factor sign-in to use this workspace.".to_owned()
    } else {
        "Two-factor sign-in is no longer required in this workspace.".to_owned()
    }])
    .await?;
    Ok(required)
}
