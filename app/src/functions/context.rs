//! Reaching the request's state from inside a server function: the app state,
//! the session, who is signed in, and as whom they act in a workspace.

use std::net::SocketAddr;

use tower_sessions::Session;

use crate::errors::AppError;
use domain::Services;
use domain::accounts::{self, Actor, OperatorId, RequestMeta, WorkspaceId};

/// The session key holding the signed-in operator's id.
pub(crate) const OPERATOR_KEY: &str = "operator_id";

pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(error = %err, "session layer missing");
        AppError::Internal
    })
}

/// The signed-in operator, or `Unauthenticated`.
pub async fn signed_in() -> Result<OperatorId, AppError> {
    session()
        .await?
        .get::<OperatorId>(OPERATOR_KEY)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The signed-in operator acting in the workspace named by the client. Anything
/// that is not a workspace they belong to (a malformed id, another tenant's id,
/// a deleted workspace) is `NotFound`, so other tenants' ids reveal nothing.
pub async fn actor(workspace: &str) -> Result<(Services, Actor), AppError> {
    let operator = signed_in().await?;
    let services = services()?;
    let workspace_id = WorkspaceId::parse(workspace).ok_or(AppError::NotFound)?;
    let actor = accounts::actor_in(&services.db, &workspace_id, &operator).await?;
    Ok((services, actor))
}

/// Where the request came from, for the audit log and throttling: the peer
/// address (pinbridge does not trust forwarding headers) and the user agent.
pub fn request_meta() -> RequestMeta {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return RequestMeta::default();
    };
    RequestMeta {
        ip: parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string()),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// Whether the request is a plain HTML form post (JavaScript off): its answer is
/// a redirect, so anything to show afterwards must travel in the session flash.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// A local path to continue to after signing in: only absolute paths on this
/// site (`/…`, never `//host` or a full URL), so a link cannot send someone elsewhere.
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    safe.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/w/abc/members")).as_deref(),
            Some("/w/abc/members")
        );
        assert_eq!(local_path(Some("//evil.example/x")), None);
        assert_eq!(local_path(Some("/\\evil.example")), None);
        assert_eq!(local_path(Some("https://evil.example")), None);
        assert_eq!(local_path(Some("/a\nb")), None);
        assert_eq!(local_path(None), None);
    }
}
