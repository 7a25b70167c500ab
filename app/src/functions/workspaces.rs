//! Workspaces: the frame every workspace page sits in, the list to switch
//! between them, and creating one.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{OperatorView, WorkspaceSummary, WorkspaceView};

/// The workspace as the signed-in operator sees it: their role, its
/// environments, and the other workspaces they may switch to.
#[server(endpoint = "workspaces/view")]
pub async fn load_workspace(workspace: String) -> Result<WorkspaceView, AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    let environments = super::context::environments(&services, &actor)
        .await?
        .into_iter()
        .map(super::views::environment_view)
        .collect();
    let (operator, workspaces) =
        ssr::operator_and_workspaces(&services, actor.operator_id()).await?;
    // Its name is in the switcher's list (one query less than asking again).
    let id = actor.workspace_id().to_string();
    let name = workspaces
        .iter()
        .find(|w| w.id == id)
        .map(|w| w.name.clone())
        .ok_or(AppError::NotFound)?;
    Ok(WorkspaceView {
        id,
        name,
        role: actor.role(),
        environments,
        workspaces,
        operator,
    })
}

/// The signed-in operator and every workspace they belong to.
#[server(endpoint = "workspaces/list")]
pub async fn load_workspaces() -> Result<(OperatorView, Vec<WorkspaceSummary>), AppError> {
    let operator = super::context::signed_in().await?;
    let services = super::context::services()?;
    ssr::operator_and_workspaces(&services, &operator).await
}

/// Creates a workspace (with Development and Production) owned by the signed-in
/// operator, and opens it.
#[server(endpoint = "workspaces/create")]
pub async fn create_workspace(workspace_name: String) -> Result<(), AppError> {
    use domain::accounts::{WorkspaceName, operators, workspaces};
    let operator = super::context::signed_in().await?;
    let services = super::context::services()?;
    let name = WorkspaceName::parse(&workspace_name)?;
    let me = operators::find(&services.db, &operator)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let id = workspaces::create(
        &services.db,
        &operator,
        &me.email,
        &name,
        &super::request::request_meta(),
    )
    .await?;
    leptos_axum::redirect(&format!("/w/{id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::errors::AppError;
    use crate::models::{OperatorView, WorkspaceSummary};
    use domain::Services;
    use domain::accounts::{OperatorId, workspaces};

    pub async fn operator_and_workspaces(
        services: &Services,
        operator: &OperatorId,
    ) -> Result<(OperatorView, Vec<WorkspaceSummary>), AppError> {
        let (me, workspaces) = workspaces::operator_with_workspaces(&services.db, operator)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let workspaces = workspaces
            .into_iter()
            .map(|w| WorkspaceSummary {
                id: w.id.to_string(),
                name: w.name,
                role: w.role,
            })
            .collect();
        Ok((
            OperatorView {
                id: me.id.to_string(),
                email: me.email,
                display_name: me.display_name,
            },
            workspaces,
        ))
    }
}
