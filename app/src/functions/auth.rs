//! Signing in and out, and first-start setup.
//!
//! The session holds only the signed-in operator's id. Its id is cycled whenever
//! someone signs in (so an id planted before sign-in is worthless afterwards)
//! and the session is flushed at sign-out.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{SetupLinkState, SignInView};

/// What the sign-in page needs before the form is shown.
#[server(endpoint = "auth/sign-in-view")]
pub async fn load_sign_in() -> Result<SignInView, AppError> {
    let services = super::context::services()?;
    let setup_needed = domain::accounts::setup::needed(&services.db).await?;
    Ok(SignInView { setup_needed })
}

/// Signs in, then continues to `next` (a local path) or the home page.
#[server(endpoint = "auth/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use super::context::{services, session};
    use super::request::{local_path, request_meta};
    let services = services()?;
    let session = session().await?;
    let accepted = domain::accounts::sign_in::sign_in(
        &services.db,
        &services.hasher,
        &email,
        &password,
        &request_meta(),
    )
    .await?;
    let operator = accepted.operator;
    if accepted.code_needed {
        use super::context::{PENDING_KEY, PendingSignIn};
        // The password was right; the session is not signed in until the code is.
        session.cycle_id().await?;
        let password_stamp =
            domain::accounts::sessions::password_stamp(&services.db, &operator).await?;
        let pending = PendingSignIn {
            operator,
            attempts: 0,
            started_at: domain::db::now_ms(),
            next: local_path(next.as_deref()),
            password_stamp,
        };
        session.insert(PENDING_KEY, &pending).await?;
        leptos_axum::redirect("/sign-in/code");
        return Ok(());
    }
    start_session(&session, &operator).await?;
    let to = match local_path(next.as_deref()) {
        Some(next) => next,
        None => home_path(&services, &operator).await,
    };
    leptos_axum::redirect(&to);
    Ok(())
}

/// Signs out: records it, then empties the session and removes its cookie.
#[server(endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::context::{OPERATOR_KEY, services, session};
    use super::request::request_meta;
    let services = services()?;
    let session = session().await?;
    if let Some(operator) = session
        .get::<domain::accounts::OperatorId>(OPERATOR_KEY)
        .await?
    {
        if let Some(id) = session
            .get::<domain::accounts::SignInId>(super::context::SIGN_IN_KEY)
            .await?
        {
            domain::accounts::sessions::forget(&services.db, &operator, &id).await?;
        }
        domain::accounts::sign_in::record_sign_out(&services.db, &operator, &request_meta())
            .await?;
    }
    session.flush().await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Whether the setup link in the page's address can still be used.
#[server(endpoint = "auth/setup-view")]
pub async fn load_setup(token: String) -> Result<SetupLinkState, AppError> {
    use domain::accounts::setup;
    let services = super::context::services()?;
    if !setup::needed(&services.db).await? {
        return Ok(SetupLinkState::Complete);
    }
    Ok(match setup::token_state(&services.db, &token).await? {
        setup::TokenState::Open => SetupLinkState::Open,
        setup::TokenState::Expired => SetupLinkState::Expired,
        setup::TokenState::Invalid => SetupLinkState::Invalid,
    })
}

/// Creates the first workspace and its owner with a setup link's token, signs
/// the new owner in and opens the workspace.
#[server(endpoint = "auth/setup")]
pub async fn complete_setup(
    token: String,
    workspace_name: String,
    display_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use super::context::{services, session};
    use super::request::request_meta;
    use domain::accounts::operators::NewOperator;
    use domain::accounts::{DisplayName, Email, NewPassword, WorkspaceName, setup};

    let services = services()?;
    let workspace = WorkspaceName::parse(&workspace_name)?;
    let display_name = DisplayName::parse(&display_name)?;
    let email = Email::parse(&email)?;
    let password = NewPassword::parse(&password, &email, Some(&workspace))?;
    // Refuse a used link before paying for the hash.
    match setup::token_state(&services.db, &token).await? {
        setup::TokenState::Open => {}
        _ if !setup::needed(&services.db).await? => {
            return Err(domain::accounts::AccountsError::SetupComplete.into());
        }
        setup::TokenState::Expired => {
            return Err(domain::accounts::AccountsError::SetupTokenExpired.into());
        }
        setup::TokenState::Invalid => {
            return Err(domain::accounts::AccountsError::SetupTokenInvalid.into());
        }
    }
    let owner = NewOperator {
        email,
        display_name,
        password_hash: services.hasher.hash(&password).await.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })?,
    };
    let done = setup::complete(&services.db, &token, &workspace, &owner, &request_meta()).await?;
    let session = session().await?;
    start_session(&session, &done.operator_id).await?;
    leptos_axum::redirect(&format!("/w/{}", done.workspace_id));
    Ok(())
}

/// Binds the session to `operator` under a fresh session id, with a new
/// sign-in record (which the account page lists and can end).
#[cfg(feature = "ssr")]
pub(crate) async fn start_session(
    session: &tower_sessions::Session,
    operator: &domain::accounts::OperatorId,
) -> Result<(), AppError> {
    let services = super::context::services()?;
    let sign_in = domain::accounts::sessions::start(
        &services.db,
        operator,
        &services.config.accounts,
        &super::request::request_meta(),
    )
    .await?;
    session.cycle_id().await?;
    session.remove_value(super::context::PENDING_KEY).await?;
    session
        .insert(super::context::OPERATOR_KEY, operator)
        .await?;
    session
        .insert(super::context::SIGN_IN_KEY, &sign_in)
        .await?;
    Ok(())
}

#[cfg(feature = "ssr")]
pub use guard::{home_path, route_guard};

#[cfg(feature = "ssr")]
mod guard {
    use axum::extract::{Request, State};
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Redirect, Response};
    use http::Method;
    use tower_sessions::Session;

    use crate::functions::context::{RequestMemo, verify_session};
    use domain::Services;
    use domain::accounts::OperatorId;
    use domain::accounts::workspaces::{self, Home};

    /// Pages that need a signed-in operator.
    fn needs_operator(path: &str) -> bool {
        path == "/" || path == "/workspaces" || path == "/account" || path.starts_with("/w/")
    }

    /// Middleware for page loads: signed-out visitors of portal pages go to the
    /// sign-in page (and come back afterwards); `/` takes a signed-in operator to
    /// their first workspace. Server functions check the session themselves.
    pub async fn route_guard(
        State(services): State<Services>,
        session: Session,
        mut request: Request,
        next: Next,
    ) -> Response {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return next.run(request).await;
        }
        let memo = RequestMemo::default();
        request.extensions_mut().insert(memo.clone());
        let operator = match verify_session(&services, &session).await {
            Ok(signed_in) => {
                memo.set_sign_in(signed_in.clone());
                signed_in.map(|(operator, _)| operator)
            }
            Err(err) => {
                tracing::error!(error = %err, "could not read the session");
                None
            }
        };
        let path = request.uri().path();
        match operator {
            None if needs_operator(path) => {
                let wanted = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
                let to = if wanted == "/" {
                    "/sign-in".to_owned()
                } else {
                    let next: String =
                        url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
                    format!("/sign-in?next={next}")
                };
                Redirect::to(&to).into_response()
            }
            Some(operator) if path == "/" => match home_of(&services, &operator).await {
                Some(home) => Redirect::to(&home).into_response(),
                None => next.run(request).await,
            },
            Some(_) if path == "/sign-in" => Redirect::to("/").into_response(),
            Some(operator) if path.starts_with("/w/") => {
                // A workspace that requires two-factor sign-in sends members
                // without it to their account page to turn it on first.
                let ws = path["/w/".len()..].split('/').next().unwrap_or_default();
                let missing = match domain::accounts::WorkspaceId::parse(ws) {
                    Some(ws) => crate::functions::context::two_factor_missing_in(&services, &ws, &operator, Some(&memo))
                        .await
                        .unwrap_or_else(|err| {
                            tracing::error!(error = %err, "could not check the workspace's two-factor requirement");
                            false
                        }),
                    None => false,
                };
                if missing {
                    Redirect::to("/account?two_factor_required=1").into_response()
                } else {
                    next.run(request).await
                }
            }
            _ => next.run(request).await,
        }
    }

    /// Where an operator starts: their first workspace's first environment, or
    /// the workspace list (also when that cannot be read just now).
    pub async fn home_path(services: &Services, operator: &OperatorId) -> String {
        home_of(services, operator)
            .await
            .unwrap_or_else(|| "/workspaces".to_owned())
    }

    /// The first environment of the operator's first workspace, or the workspace
    /// list when they belong to none.
    async fn home_of(services: &Services, operator: &OperatorId) -> Option<String> {
        match workspaces::home(&services.db, operator).await {
            Ok(Home::NoWorkspace) => Some("/workspaces".into()),
            Ok(Home::Workspace {
                id,
                environment_slug: Some(slug),
            }) => Some(format!("/w/{id}/e/{slug}/integrations")),
            Ok(Home::Workspace {
                id,
                environment_slug: None,
            }) => Some(format!("/w/{id}/environments")),
            Err(err) => {
                tracing::error!(error = %err, "could not find the operator's first workspace");
                None
            }
        }
    }
}
