//! Who is acting, in which workspace, with which role.

use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::role::Role;
use crate::db::Db;
use crate::db::repo::memberships;

/// A member of one workspace, acting in it. Only [`member_in`] makes one, after
/// checking the membership, so a service given an `Actor` works in that
/// workspace and no other.
#[derive(Clone, Debug)]
pub struct Actor {
    workspace_id: WorkspaceId,
    operator_id: OperatorId,
    label: String,
    role: Role,
}

/// The operator as a member of the workspace, or `NotFound` when they are not
/// one (or either id does not exist).
pub async fn actor_in(
    db: &Db,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
) -> Result<Actor, AccountsError> {
    member_in(db, workspace_id, operator_id)
        .await
        .map(|(actor, _)| actor)
}

/// [`actor_in`], with whether the workspace requires two-factor sign-in of its
/// members: one query for what a page load checks first.
pub async fn member_in(
    db: &Db,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
) -> Result<(Actor, bool), AccountsError> {
    let (role, email, requires_two_factor) =
        memberships::membership_of(db, workspace_id, operator_id)
            .await?
            .ok_or(AccountsError::NotFound)?;
    let actor = Actor {
        workspace_id: workspace_id.clone(),
        operator_id: operator_id.clone(),
        label: email,
        role,
    };
    Ok((actor, requires_two_factor))
}

impl Actor {
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    pub fn operator_id(&self) -> &OperatorId {
        &self.operator_id
    }

    /// How the actor appears in the audit log (their email).
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Refuses unless the role allows configuring (admins and owners).
    pub fn require_configure(&self) -> Result<(), AccountsError> {
        if self.role.can_configure() {
            Ok(())
        } else {
            Err(AccountsError::Forbidden)
        }
    }

    /// Refuses unless the role allows managing members (owners).
    pub fn require_manage_members(&self) -> Result<(), AccountsError> {
        if self.role.can_manage_members() {
            Ok(())
        } else {
            Err(AccountsError::Forbidden)
        }
    }
}
