//! Reaching the request's context from inside a server function: the domain's
//! services, the session, who is signed in, and as whom they act in a workspace.

use tower_sessions::Session;

use crate::errors::AppError;
use domain::Services;
use domain::accounts::{self, Actor, OperatorId, WorkspaceId};

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
