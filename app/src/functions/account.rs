//! The signed-in operator's own account: their sign-ins (list, end one, end
//! the others) and their password. Each acts on the session's operator only.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{AccountView, PasswordChanged};

/// The account page: who is signed in, their sign-ins and two-factor state.
#[server(endpoint = "account/view")]
pub async fn load_account() -> Result<AccountView, AppError> {
    use crate::models::{OperatorView, SessionView};
    use domain::accounts::sessions;
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let me = domain::accounts::operators::find(&services.db, &operator)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let list = sessions::list(&services.db, &operator, &services.config.accounts).await?;
    Ok(AccountView {
        operator: OperatorView {
            id: operator.to_string(),
            email: me.email,
            display_name: me.display_name,
        },
        sessions: list
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current.id,
                id: s.id.to_string(),
                signed_in_at: s.signed_in_at,
                last_seen_at: s.last_seen_at,
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect(),
        reauth_needed: current.needs_reauthentication(&services.config.accounts),
        two_factor: two_factor_view(&services, &operator).await?,
        notices: super::flash::notices(),
    })
}

#[cfg(feature = "ssr")]
async fn two_factor_view(
    services: &domain::Services,
    operator: &domain::accounts::OperatorId,
) -> Result<crate::models::TwoFactorView, AppError> {
    use crate::models::{EnrolmentView, TwoFactorView};
    use domain::accounts::two_factor;
    let status = two_factor::status(&services.db, operator).await?;
    let pending = match two_factor::pending(&services.db, &services.keys, operator).await? {
        Some(enrolment) => Some(EnrolmentView {
            secret: enrolment.secret.expose().to_owned(),
            qr_svg: qr_svg(enrolment.url.expose())?,
        }),
        None => None,
    };
    Ok(TwoFactorView {
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        required_by: two_factor::required_by(&services.db, operator).await?,
        pending,
        new_recovery_codes: super::two_factor::take_new_codes().await?,
    })
}

/// `text` as a QR code in an SVG document.
#[cfg(feature = "ssr")]
fn qr_svg(text: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "could not make a QR code");
        AppError::Internal
    })?;
    let document = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inside an HTML page the SVG element alone, without the XML declaration.
    Ok(match document.find("<svg") {
        Some(at) => document[at..].to_owned(),
        None => document,
    })
}

/// Changes the password, given the current one. Every other sign-in of the
/// operator ends; this one continues under a fresh session id.
#[server(endpoint = "account/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<PasswordChanged, AppError> {
    use super::request::request_meta;
    use domain::accounts::{AccountsError, sessions};
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let ended = sessions::change_password(
        &services.db,
        &services.hasher,
        &operator,
        &current.id,
        &current_password,
        &new_password,
        &request_meta(),
    )
    .await
    .map_err(|e| match e {
        // The policy's messages are about the password being chosen.
        AccountsError::Invalid(invalid) => AppError::invalid("new_password", invalid.to_string()),
        other => other.into(),
    })?;
    super::context::session().await?.cycle_id().await?;
    let notice = match ended {
        0 => "Your password was changed.".to_owned(),
        1 => "Your password was changed, and your 1 other session was ended.".to_owned(),
        n => format!("Your password was changed, and your {n} other sessions were ended."),
    };
    super::flash::tell(&[notice]).await?;
    Ok(PasswordChanged {
        sessions_ended: ended,
    })
}

/// Ends one of the operator's other sign-ins (that browser is signed out).
#[server(endpoint = "account/end-session")]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    use domain::accounts::{SignInId, sessions};
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let id = SignInId::parse(&session_id).ok_or(AppError::NotFound)?;
    if id == current.id {
        return Err(AppError::Refused(
            "This is the session you are using: sign out instead.".to_owned(),
        ));
    }
    sessions::end(
        &services.db,
        &operator,
        &id,
        &super::request::request_meta(),
    )
    .await?;
    super::flash::tell(&["The session was ended.".to_owned()]).await?;
    Ok(())
}

/// Ends every sign-in of the operator but this one; answers how many ended.
#[server(endpoint = "account/end-other-sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use domain::accounts::sessions;
    let (operator, current) = super::context::current_sign_in().await?;
    let services = super::context::services()?;
    let ended = sessions::end_others(
        &services.db,
        &operator,
        &current.id,
        &super::request::request_meta(),
    )
    .await?;
    let notice = match ended {
        0 => "There were no other sessions to end.".to_owned(),
        1 => "1 other session was ended.".to_owned(),
        n => format!("{n} other sessions were ended."),
    };
    super::flash::tell(&[notice]).await?;
    Ok(ended)
}
