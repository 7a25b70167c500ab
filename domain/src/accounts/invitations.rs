//! Invitations: an owner invites an email with a role and passes the one-time
//! link on; accepting it creates the account or adds the membership.

use std::time::Duration;

use super::access::Actor;
use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::email::Email;
use super::error::AccountsError;
use super::ids::{InvitationId, OperatorId, WorkspaceId};
use super::members::insert_membership_tx;
use super::names::{DisplayName, WorkspaceName};
use super::operators::{NewOperator, insert_operator_tx};
use super::password::PasswordHash;
use super::role::Role;
use super::token::{OneTimeToken, TokenHash};
use crate::db::repo::invitations::{self as rows, InvitationRow};
use crate::db::repo::{memberships, operators, workspaces};
use crate::db::{Db, now_ms};

/// How long an invitation link stays valid unless the caller says otherwise.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A new invitation; `token` goes into the link and is never shown again.
#[derive(Debug)]
pub struct IssuedInvitation {
    pub id: InvitationId,
    pub token: OneTimeToken,
    pub expires_at: i64,
}

/// Invites `email` with `role` (owners only). Refused with `AlreadyMember` when
/// that email's operator already belongs to the workspace.
pub async fn invite(
    db: &Db,
    actor: &Actor,
    email: &Email,
    role: Role,
    ttl: Duration,
    meta: &RequestMeta,
) -> Result<IssuedInvitation, AccountsError> {
    actor.require_manage_members()?;
    let ws = actor.workspace_id();
    let now = now_ms();
    let mut tx = db.begin().await?;
    if let Some(op) = operators::find_by_email_tx(&mut tx, email.as_str()).await?
        && memberships::role_tx(&mut tx, ws, &op.id).await?.is_some()
    {
        return Err(AccountsError::AlreadyMember);
    }
    let (token, hash) = OneTimeToken::generate();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let row = InvitationRow {
        id: InvitationId::generate(),
        workspace_id: ws.clone(),
        email: email.as_str().to_owned(),
        role,
        invited_by: actor.operator_id().clone(),
        created_at: now,
        expires_at: now.saturating_add(ttl_ms),
        accepted_at: None,
        accepted_by: None,
    };
    rows::insert(&mut tx, &row, hash.as_str()).await?;
    let event = NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: None,
        actor: actor.into(),
        action: AuditAction::MemberInvited,
        target: email.as_str().to_owned(),
        detail: detail([
            ("role", role.as_str().into()),
            ("expires_at", row.expires_at.into()),
        ]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(IssuedInvitation {
        id: row.id,
        token,
        expires_at: row.expires_at,
    })
}

/// Invitations not yet accepted (owners only), newest first.
pub async fn list_pending(db: &Db, actor: &Actor) -> Result<Vec<InvitationRow>, AccountsError> {
    actor.require_manage_members()?;
    Ok(rows::list_pending(db, actor.workspace_id()).await?)
}

/// Withdraws an unaccepted invitation (owners only).
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    id: &InvitationId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    actor.require_manage_members()?;
    if !rows::delete_pending(db, actor.workspace_id(), id).await? {
        return Err(AccountsError::NotFound);
    }
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: None,
        actor: actor.into(),
        action: AuditAction::InvitationRevoked,
        target: id.to_string(),
        detail: detail([]),
    };
    audit::append(db, event, meta).await
}

/// What the acceptance page shows before the person commits.
#[derive(Clone, Debug)]
pub struct InvitationPreview {
    pub workspace_id: WorkspaceId,
    /// Also what a new password is checked against.
    pub workspace_name: WorkspaceName,
    pub email: Email,
    pub role: Role,
    pub expires_at: i64,
    /// Whether the invited email has an account (then: sign in and accept;
    /// otherwise: choose a name and a password).
    pub account_exists: bool,
}

/// Looks an open invitation up by its token; `InvitationInvalid` when the token
/// is unknown, expired or used.
pub async fn preview(db: &Db, token: &str) -> Result<InvitationPreview, AccountsError> {
    let hash = TokenHash::of(token);
    let row = rows::find_open_by_token(db, hash.as_str(), now_ms())
        .await?
        .ok_or(AccountsError::InvitationInvalid)?;
    let workspace = workspaces::find(db, &row.workspace_id)
        .await?
        .ok_or(AccountsError::InvitationInvalid)?;
    let account_exists = operators::credentials_by_email(db, &row.email)
        .await?
        .is_some();
    Ok(InvitationPreview {
        workspace_id: row.workspace_id,
        workspace_name: WorkspaceName::from_stored(workspace.name),
        email: Email::from_stored(row.email),
        role: row.role,
        expires_at: row.expires_at,
        account_exists,
    })
}

/// How the person accepting identifies themself.
#[derive(Clone, Debug)]
pub enum Acceptance {
    /// No account yet: create one for the invited email. The password was checked
    /// (against the invited email and the workspace name from [`preview`]) and hashed.
    NewAccount {
        display_name: DisplayName,
        password_hash: PasswordHash,
    },
    /// The operator signed in to this session; must be the invited email's account.
    SignedIn(OperatorId),
}

#[derive(Clone, Debug)]
pub struct Accepted {
    pub workspace_id: WorkspaceId,
    pub operator_id: OperatorId,
    pub role: Role,
}

/// Accepts an invitation: all or nothing, and single use. The invitation is
/// claimed first (only an unaccepted, unexpired one can be), then the account
/// is created or matched and the membership added; any refusal rolls the claim
/// back, so the link still works for the right person.
pub async fn accept(
    db: &Db,
    token: &str,
    acceptance: Acceptance,
    meta: &RequestMeta,
) -> Result<Accepted, AccountsError> {
    let hash = TokenHash::of(token);
    let now = now_ms();
    let mut tx = db.begin().await?;
    let invitation = rows::claim(&mut tx, hash.as_str(), now)
        .await?
        .ok_or(AccountsError::InvitationInvalid)?;
    let role = invitation.role;
    let existing = operators::find_by_email_tx(&mut tx, &invitation.email).await?;
    let operator_id = match (existing, acceptance) {
        (Some(op), Acceptance::SignedIn(signed_in)) if op.id == signed_in => op.id,
        (Some(_), Acceptance::NewAccount { .. }) => return Err(AccountsError::AccountExists),
        (_, Acceptance::SignedIn(_)) => {
            return Err(AccountsError::InvitationForAnotherAccount {
                invited: invitation.email,
            });
        }
        (
            None,
            Acceptance::NewAccount {
                display_name,
                password_hash,
            },
        ) => {
            let new = NewOperator {
                email: Email::from_stored(invitation.email.clone()),
                display_name,
                password_hash,
            };
            insert_operator_tx(&mut tx, &new, now).await?
        }
    };
    insert_membership_tx(&mut tx, &invitation.workspace_id, &operator_id, role, now).await?;
    rows::set_accepted_by(
        &mut tx,
        &invitation.workspace_id,
        &invitation.id,
        &operator_id,
    )
    .await?;
    let event = NewAuditEvent {
        workspace_id: invitation.workspace_id.clone(),
        environment_id: None,
        actor: AuditActor {
            operator_id: Some(operator_id.clone()),
            label: invitation.email.clone(),
        },
        action: AuditAction::InvitationAccepted,
        target: invitation.email.clone(),
        detail: detail([("role", role.as_str().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(Accepted {
        workspace_id: invitation.workspace_id,
        operator_id,
        role,
    })
}
