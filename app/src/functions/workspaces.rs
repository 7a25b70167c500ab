//! Workspaces: the frame every workspace page sits in, the list to switch
//! between them, and creating one.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{OperatorView, WorkspaceSummary, WorkspaceView};

/// The workspace as the signed-in operator sees it: their role, its
/// environments, and the other workspaces they may switch to.
#[server(endpoint = "workspaces/view")]
pub async fn load_workspace(workspace: String) -> Result<WorkspaceView, AppError> {
    use crate::domain::accounts::environments;
    use crate::domain::db::repo::workspaces as rows;
    let (state, actor) = super::context::actor(&workspace).await?;
    let row = rows::find(&state.db, actor.workspace_id())
        .await?
        .ok_or(AppError::NotFound)?;
    let environments = environments::list(&state.db, &actor)
        .await?
        .into_iter()
        .map(ssr::environment_view)
        .collect();
    let (operator, workspaces) = ssr::operator_and_workspaces(&state, actor.operator_id()).await?;
    Ok(WorkspaceView {
        id: row.id.to_string(),
        name: row.name,
        role: actor.role().into(),
        environments,
        workspaces,
        operator,
    })
}

/// The signed-in operator and every workspace they belong to.
#[server(endpoint = "workspaces/list")]
pub async fn load_workspaces() -> Result<(OperatorView, Vec<WorkspaceSummary>), AppError> {
    let operator = super::context::signed_in().await?;
    let state = super::context::app_state()?;
    ssr::operator_and_workspaces(&state, &operator).await
}

/// Creates a workspace (with Development and Production) owned by the signed-in
/// operator, and opens it.
#[server(endpoint = "workspaces/create")]
pub async fn create_workspace(workspace_name: String) -> Result<(), AppError> {
    use crate::domain::accounts::{WorkspaceName, workspaces};
    use crate::domain::db::repo::operators;
    let operator = super::context::signed_in().await?;
    let state = super::context::app_state()?;
    let name = WorkspaceName::parse(&workspace_name)?;
    let me = operators::find(&state.db, &operator)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let id = workspaces::create(
        &state.db,
        &operator,
        &me.email,
        &name,
        &super::context::request_meta(),
    )
    .await?;
    leptos_axum::redirect(&format!("/w/{id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::domain::accounts::{OperatorId, workspaces};
    use crate::domain::db::repo::environments::EnvironmentRow;
    use crate::domain::db::repo::memberships::decode_role;
    use crate::domain::db::repo::operators;
    use crate::domain::state::AppState;
    use crate::errors::AppError;
    use crate::models::{EnvironmentView, OperatorView, WorkspaceSummary};

    pub fn environment_view(row: EnvironmentRow) -> EnvironmentView {
        EnvironmentView {
            id: row.id.to_string(),
            name: row.name,
            slug: row.slug,
            created_at: row.created_at,
        }
    }

    pub async fn operator_and_workspaces(
        state: &AppState,
        operator: &OperatorId,
    ) -> Result<(OperatorView, Vec<WorkspaceSummary>), AppError> {
        let me = operators::find(&state.db, operator)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let workspaces = workspaces::of_operator(&state.db, operator)
            .await?
            .into_iter()
            .map(|w| {
                Ok(WorkspaceSummary {
                    id: w.id.to_string(),
                    name: w.name,
                    role: decode_role(&w.role)?.into(),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
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
