//! `pinbridge operator create`: a workspace, an operator and their membership,
//! each found or made, in one transaction. The shell is trusted: no actor.

use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::members::insert_membership_tx;
use super::names::WorkspaceName;
use super::operators::{NewOperator, insert_operator_tx};
use super::role::Role;
use super::workspaces;
use crate::db::repo::{operators, workspaces as workspace_rows};
use crate::db::{Db, now_ms};

/// What [`provision`] did.
#[derive(Clone, Debug)]
pub struct Provisioned {
    pub workspace_id: WorkspaceId,
    pub operator_id: OperatorId,
    pub workspace_created: bool,
    pub operator_created: bool,
}

/// For `pinbridge operator create` (the shell is trusted; no actor): in one
/// transaction, finds the workspace by name or creates it (with its default
/// environments), finds the operator by email or creates it with `password_hash`,
/// and adds the membership. A new workspace's first member must be an owner.
pub async fn provision(
    db: &Db,
    workspace: &WorkspaceName,
    operator: &NewOperator,
    role: Role,
    actor_label: &str,
    meta: &RequestMeta,
) -> Result<Provisioned, AccountsError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let existing = workspace_rows::find_id_by_folded_name_tx(&mut tx, &workspace.folded()).await?;
    let (workspace_id, workspace_created) = match existing {
        Some(id) => (id, false),
        None if role != Role::Owner => return Err(AccountsError::FirstMemberMustBeOwner),
        None => (
            workspaces::insert_workspace_tx(&mut tx, workspace, now).await?,
            true,
        ),
    };
    let (operator_id, operator_created) =
        match operators::find_by_email_tx(&mut tx, operator.email.as_str()).await? {
            Some(row) => (row.id, false),
            None => (insert_operator_tx(&mut tx, operator, now).await?, true),
        };
    insert_membership_tx(&mut tx, &workspace_id, &operator_id, role, now).await?;
    let actor = AuditActor {
        operator_id: None,
        label: actor_label.to_owned(),
    };
    if workspace_created {
        let event = NewAuditEvent {
            workspace_id: workspace_id.clone(),
            environment_id: None,
            actor: actor.clone(),
            action: AuditAction::WorkspaceCreated,
            target: workspace.as_str().to_owned(),
            detail: detail([]),
        };
        audit::append_tx(&mut tx, event, meta).await?;
    }
    let event = NewAuditEvent {
        workspace_id: workspace_id.clone(),
        environment_id: None,
        actor,
        action: AuditAction::MemberAdded,
        target: operator.email.as_str().to_owned(),
        detail: detail([("role", role.as_str().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(Provisioned {
        workspace_id,
        operator_id,
        workspace_created,
        operator_created,
    })
}
