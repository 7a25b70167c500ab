//! Workspaces (tenants): creating one with its default environments, finding
//! the ones an operator belongs to, and where an operator starts.

use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::environments;
use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::members::insert_membership_tx;
use super::names::{EnvironmentName, WorkspaceName};
use super::role::Role;
use crate::db::repo::environments as environment_rows;
use crate::db::repo::workspaces as rows;
pub use crate::db::repo::workspaces::{MemberWorkspaceRow, WorkspaceRow};
use crate::db::tx::Tx;
use crate::db::{Db, now_ms};

/// The environments every new workspace starts with, in this order.
pub const DEFAULT_ENVIRONMENTS: [&str; 2] = ["Development", "Production"];

/// Inserts a workspace and its default environments, answering
/// `WorkspaceNameTaken` for a name in use (in any letter case).
pub(crate) async fn insert_workspace_tx(
    tx: &mut Tx,
    name: &WorkspaceName,
    now: i64,
) -> Result<WorkspaceId, AccountsError> {
    let id = WorkspaceId::generate();
    rows::insert(tx, &id, name.as_str(), &name.folded(), now)
        .await
        .map_err(|e| AccountsError::unique_or(e, AccountsError::WorkspaceNameTaken))?;
    for env in DEFAULT_ENVIRONMENTS {
        let env = EnvironmentName::parse(env).expect("default environment names are valid");
        environments::insert_tx(tx, &id, &env, now).await?;
    }
    Ok(id)
}

/// Creates a workspace with `creator` as its owner. Any signed-in operator may.
pub async fn create(
    db: &Db,
    creator: &OperatorId,
    creator_label: &str,
    name: &WorkspaceName,
    meta: &RequestMeta,
) -> Result<WorkspaceId, AccountsError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = insert_workspace_tx(&mut tx, name, now).await?;
    insert_membership_tx(&mut tx, &id, creator, Role::Owner, now).await?;
    let event = NewAuditEvent {
        workspace_id: id.clone(),
        environment_id: None,
        actor: AuditActor {
            operator_id: Some(creator.clone()),
            label: creator_label.to_owned(),
        },
        action: AuditAction::WorkspaceCreated,
        target: name.as_str().to_owned(),
        detail: detail([]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(id)
}

/// The workspace with this name, in any letter case.
pub async fn find_by_name(
    db: &Db,
    name: &WorkspaceName,
) -> Result<Option<WorkspaceRow>, AccountsError> {
    Ok(rows::find_by_folded_name(db, &name.folded()).await?)
}

/// The workspaces an operator may switch to, with their role in each.
pub async fn of_operator(
    db: &Db,
    operator_id: &OperatorId,
) -> Result<Vec<MemberWorkspaceRow>, AccountsError> {
    Ok(rows::list_for_operator(db, operator_id).await?)
}

/// The operator and every workspace they belong to, by name, in one query;
/// `None` when there is no such operator.
pub async fn operator_with_workspaces(
    db: &Db,
    operator_id: &OperatorId,
) -> Result<Option<(super::operators::OperatorRow, Vec<MemberWorkspaceRow>)>, AccountsError> {
    Ok(rows::operator_with_workspaces(db, operator_id).await?)
}

/// Where an operator starts after signing in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Home {
    /// They belong to no workspace (yet).
    NoWorkspace,
    /// Their first workspace, at its first environment (if it has one).
    Workspace {
        id: WorkspaceId,
        environment_slug: Option<String>,
    },
}

/// The first environment of the operator's first workspace.
pub async fn home(db: &Db, operator_id: &OperatorId) -> Result<Home, AccountsError> {
    let Some(first) = rows::list_for_operator(db, operator_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(Home::NoWorkspace);
    };
    let environments = environment_rows::list(db, &first.id).await?;
    Ok(Home::Workspace {
        environment_slug: environments.into_iter().next().map(|e| e.slug),
        id: first.id,
    })
}
