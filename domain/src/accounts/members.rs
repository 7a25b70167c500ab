//! Memberships: who belongs to a workspace with which role; changing roles and
//! removing members. A workspace always keeps at least one owner.

use super::access::Actor;
use super::audit::{self, AuditAction, NewAuditEvent, RequestMeta, detail};
use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::role::Role;
use crate::db::Db;
use crate::db::repo::memberships;
pub use crate::db::repo::memberships::MemberRow;
use crate::db::repo::{operators, workspaces as workspace_rows};
use crate::db::tx::Tx;

/// Adds a membership, answering `AlreadyMember` when there is one.
pub(crate) async fn insert_membership_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
    role: Role,
    now: i64,
) -> Result<(), AccountsError> {
    memberships::insert(tx, workspace_id, operator_id, role, now)
        .await
        .map_err(|e| AccountsError::unique_or(e, AccountsError::AlreadyMember))
}

/// The workspace's members. Any member may list them.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<MemberRow>, AccountsError> {
    Ok(memberships::list(db, actor.workspace_id()).await?)
}

/// Re-reads the actor's role inside the transaction (after the workspace lock),
/// so an owner demoted a moment ago cannot still manage members.
async fn recheck_owner(tx: &mut Tx, actor: &Actor) -> Result<(), AccountsError> {
    match memberships::role_tx(tx, actor.workspace_id(), actor.operator_id()).await? {
        Some(role) if role.can_manage_members() => Ok(()),
        Some(_) => Err(AccountsError::Forbidden),
        None => Err(AccountsError::NotFound),
    }
}

/// Opens a transaction holding the workspace's lock, with the actor still an owner.
async fn begin_member_change(db: &Db, actor: &Actor) -> Result<Tx, AccountsError> {
    actor.require_manage_members()?;
    let mut tx = db.begin().await?;
    if !workspace_rows::lock(&mut tx, actor.workspace_id()).await? {
        return Err(AccountsError::NotFound);
    }
    recheck_owner(&mut tx, actor).await?;
    Ok(tx)
}

/// Changes a member's role (owners only). Demoting the last owner is refused;
/// the check and the change happen under the workspace's lock, so two owners
/// demoting each other at once cannot leave the workspace without one.
pub async fn change_role(
    db: &Db,
    actor: &Actor,
    operator_id: &OperatorId,
    role: Role,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let mut tx = begin_member_change(db, actor).await?;
    let ws = actor.workspace_id();
    let current = memberships::role_tx(&mut tx, ws, operator_id)
        .await?
        .ok_or(AccountsError::NotFound)?;
    if current == role {
        return Ok(());
    }
    if current == Role::Owner && memberships::count_owners(&mut tx, ws).await? <= 1 {
        return Err(AccountsError::LastOwner);
    }
    memberships::update_role(&mut tx, ws, operator_id, role).await?;
    let target = target_label(&mut tx, operator_id).await?;
    let event = NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: None,
        actor: actor.into(),
        action: AuditAction::MemberRoleChanged,
        target,
        detail: detail([
            ("from", current.as_str().into()),
            ("to", role.as_str().into()),
        ]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member (owners only; an owner may remove themself). Removing the
/// last owner is refused, race-safely as in [`change_role`].
pub async fn remove(
    db: &Db,
    actor: &Actor,
    operator_id: &OperatorId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let mut tx = begin_member_change(db, actor).await?;
    let ws = actor.workspace_id();
    let current = memberships::role_tx(&mut tx, ws, operator_id)
        .await?
        .ok_or(AccountsError::NotFound)?;
    if current == Role::Owner && memberships::count_owners(&mut tx, ws).await? <= 1 {
        return Err(AccountsError::LastOwner);
    }
    memberships::delete(&mut tx, ws, operator_id).await?;
    let target = target_label(&mut tx, operator_id).await?;
    let event = NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: None,
        actor: actor.into(),
        action: AuditAction::MemberRemoved,
        target,
        detail: detail([("role", current.as_str().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(())
}

async fn target_label(tx: &mut Tx, operator_id: &OperatorId) -> Result<String, AccountsError> {
    let email = operators::email_tx(tx, operator_id).await?;
    Ok(email.unwrap_or_else(|| operator_id.to_string()))
}
