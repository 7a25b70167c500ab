//! Operators and their memberships: adding people to a workspace, changing
//! roles, removing members. A workspace always keeps at least one owner.

use super::access::Actor;
use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::email::Email;
use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::names::{DisplayName, WorkspaceName};
use super::password::PasswordHash;
use super::role::Role;
use super::workspaces;
use crate::domain::db::repo::memberships::{self, MemberRow};
use crate::domain::db::repo::{operators, workspaces as workspace_rows};
use crate::domain::db::tx::{Tx, is_unique_violation};
use crate::domain::db::{Db, DbError, now_ms};

/// An account to create. The password was checked by `NewPassword` and hashed
/// by `Hasher` before it got here.
#[derive(Clone, Debug)]
pub struct NewOperator {
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: PasswordHash,
}

/// Inserts an operator, answering `EmailTaken` for an email in use.
pub(crate) async fn insert_operator_tx(
    tx: &mut Tx,
    new: &NewOperator,
    now: i64,
) -> Result<OperatorId, AccountsError> {
    let id = OperatorId::generate();
    operators::insert(
        tx,
        &id,
        new.email.as_str(),
        new.display_name.as_str(),
        &new.password_hash,
        now,
    )
    .await
    .map_err(|e| unique_or(e, AccountsError::EmailTaken))?;
    Ok(id)
}

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
        .map_err(|e| unique_or(e, AccountsError::AlreadyMember))
}

/// `taken` for a unique violation, the database error otherwise.
pub(crate) fn unique_or(err: DbError, taken: AccountsError) -> AccountsError {
    if is_unique_violation(&err) {
        taken
    } else {
        AccountsError::Db(err)
    }
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
