//! First start: while no workspace has an owner, a setup link (a one-time
//! token) lets one person create the first workspace and its owner.

use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::error::AccountsError;
use super::ids::{OperatorId, WorkspaceId};
use super::members::insert_membership_tx;
use super::names::WorkspaceName;
use super::operators::{NewOperator, insert_operator_tx};
use super::policy::AccountPolicy;
use super::role::Role;
use super::token::{OneTimeToken, TokenHash};
use super::workspaces::insert_workspace_tx;
use crate::db::repo::{memberships, setup_tokens};
use crate::db::{Db, now_ms};

/// Whether first-start setup is still open (no workspace has an owner).
pub async fn needed(db: &Db) -> Result<bool, AccountsError> {
    Ok(!memberships::any_owner_exists(db).await?)
}

/// Issues a setup token while no owner exists; `SetupComplete` otherwise. The
/// token is returned once and only its hash is stored. It works for the
/// policy's setup-link lifetime; earlier tokens stay valid for theirs (each
/// instance that starts may print one) until setup completes.
pub async fn issue_token(db: &Db, policy: &AccountPolicy) -> Result<OneTimeToken, AccountsError> {
    let mut tx = db.begin().await?;
    if memberships::any_owner(&mut tx).await? {
        return Err(AccountsError::SetupComplete);
    }
    let (token, hash) = OneTimeToken::generate();
    let now = now_ms();
    let expires_at = now.saturating_add(policy.setup_link_lifetime_ms());
    setup_tokens::insert(&mut tx, hash.as_str(), now, expires_at).await?;
    tx.commit().await?;
    Ok(token)
}

/// What a setup link's token is worth right now (while setup is needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Open,
    /// Issued, unused, but past its lifetime.
    Expired,
    /// Unknown or used.
    Invalid,
}

/// Whether `token` is a setup link still open for use.
pub async fn token_state(db: &Db, token: &str) -> Result<TokenState, AccountsError> {
    Ok(
        match setup_tokens::open_expiry(db, TokenHash::of(token).as_str()).await? {
            Some(expires_at) if expires_at > now_ms() => TokenState::Open,
            Some(_) => TokenState::Expired,
            None => TokenState::Invalid,
        },
    )
}

/// Whether `token` is a setup link still open for use (while setup is needed).
pub async fn token_is_open(db: &Db, token: &str) -> Result<bool, AccountsError> {
    Ok(token_state(db, token).await? == TokenState::Open)
}

/// What setup created.
#[derive(Clone, Debug)]
pub struct SetupDone {
    pub workspace_id: WorkspaceId,
    pub operator_id: OperatorId,
}

/// Creates the first workspace (with its default environments) and its owner,
/// given a valid setup token. All or nothing, and single use: the first thing
/// it does is mark every open token used (which also serialises concurrent
/// attempts); a token not among them, or an owner already present, rolls
/// everything back.
pub async fn complete(
    db: &Db,
    token: &str,
    workspace: &WorkspaceName,
    owner: &NewOperator,
    meta: &RequestMeta,
) -> Result<SetupDone, AccountsError> {
    let hash = TokenHash::of(token);
    let now = now_ms();
    let mut tx = db.begin().await?;
    let open = setup_tokens::use_all_open(&mut tx, now).await?;
    match open.iter().find(|(h, _)| h == hash.as_str()) {
        None => return Err(AccountsError::SetupTokenInvalid),
        Some((_, expires_at)) if *expires_at <= now => {
            return Err(AccountsError::SetupTokenExpired);
        }
        Some(_) => {}
    }
    if memberships::any_owner(&mut tx).await? {
        return Err(AccountsError::SetupComplete);
    }
    let workspace_id = insert_workspace_tx(&mut tx, workspace, now).await?;
    let operator_id = insert_operator_tx(&mut tx, owner, now).await?;
    insert_membership_tx(&mut tx, &workspace_id, &operator_id, Role::Owner, now).await?;
    let event = NewAuditEvent {
        workspace_id: workspace_id.clone(),
        environment_id: None,
        actor: AuditActor {
            operator_id: Some(operator_id.clone()),
            label: owner.email.as_str().to_owned(),
        },
        action: AuditAction::SetupCompleted,
        target: workspace.as_str().to_owned(),
        detail: detail([("owner", owner.email.as_str().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(SetupDone {
        workspace_id,
        operator_id,
    })
}
