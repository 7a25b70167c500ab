//! Members and invitations: owners invite people with a role, change roles and
//! remove members; the invited accept through a one-time link.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{InvitationView, IssuedInvitation, MembersView};

/// The workspace's members (any member may see them) and, for owners, the
/// pending invitations.
#[server(endpoint = "members/list")]
pub async fn load_members(workspace: String) -> Result<MembersView, AppError> {
    use crate::domain::accounts::{invitations, members};
    use crate::domain::db::repo::memberships::decode_role;
    use crate::models::{MemberView, PendingInvitationView};
    let (state, actor) = super::context::actor(&workspace).await?;
    let rows = members::list(&state.db, &actor).await?;
    let email_of = |id: &crate::domain::accounts::OperatorId| {
        rows.iter()
            .find(|m| &m.operator_id == id)
            .map_or_else(|| "a former member".to_owned(), |m| m.email.clone())
    };
    let invitations = if actor.role().can_manage_members() {
        invitations::list_pending(&state.db, &actor)
            .await?
            .into_iter()
            .map(|i| {
                Ok(PendingInvitationView {
                    id: i.id.to_string(),
                    invited_by: email_of(&i.invited_by),
                    email: i.email,
                    role: decode_role(&i.role)?.into(),
                    created_at: i.created_at,
                    expires_at: i.expires_at,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?
    } else {
        Vec::new()
    };
    let members = rows
        .iter()
        .map(|m| {
            Ok(MemberView {
                operator_id: m.operator_id.to_string(),
                email: m.email.clone(),
                display_name: m.display_name.clone(),
                role: m.role()?.into(),
                joined_at: m.created_at,
                is_you: &m.operator_id == actor.operator_id(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(MembersView {
        members,
        invitations,
        // A link made by a form sent without JavaScript just before this page load.
        issued: super::flash::with_current(|f| f.invitation.clone()),
    })
}

/// Invites an email with a role (owners only) and answers with the one-time link
/// to pass on. Without JavaScript the link reaches the next page through the flash.
#[server(endpoint = "members/invite")]
pub async fn invite_member(
    workspace: String,
    email: String,
    role: String,
) -> Result<IssuedInvitation, AppError> {
    use super::context::{actor, is_plain_form_post, request_meta, session};
    use crate::domain::accounts::{Email, Role, invitations};
    let (state, actor) = actor(&workspace).await?;
    actor.require_manage_members()?;
    let email = Email::parse(&email)?;
    let role: Role = role.parse()?;
    let issued = invitations::invite(
        &state.db,
        &actor,
        &email,
        role,
        invitations::INVITATION_TTL,
        &request_meta(),
    )
    .await?;
    let shown = IssuedInvitation {
        email: email.as_str().to_owned(),
        role: role.into(),
        link: format!(
            "{}/invitations/accept?token={}",
            state.config.public_url,
            issued.token.expose()
        ),
        expires_at: issued.expires_at,
    };
    if is_plain_form_post() {
        let session = session().await?;
        let kept = shown.clone();
        super::flash::put(&session, move |f| f.invitation = Some(kept)).await?;
    }
    Ok(shown)
}

/// Withdraws a pending invitation (owners only): its link stops working.
#[server(endpoint = "members/revoke-invitation")]
pub async fn revoke_invitation(workspace: String, invitation_id: String) -> Result<(), AppError> {
    use crate::domain::accounts::{InvitationId, invitations};
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_manage_members()?;
    let id = InvitationId::parse(&invitation_id).ok_or(AppError::NotFound)?;
    invitations::revoke(&state.db, &actor, &id, &super::context::request_meta()).await?;
    Ok(())
}

/// Changes a member's role (owners only); the last owner keeps theirs.
#[server(endpoint = "members/change-role")]
pub async fn change_role(
    workspace: String,
    operator_id: String,
    role: String,
) -> Result<(), AppError> {
    use crate::domain::accounts::{OperatorId, Role, members};
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_manage_members()?;
    let id = OperatorId::parse(&operator_id).ok_or(AppError::NotFound)?;
    let role: Role = role
        .parse()
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    members::change_role(
        &state.db,
        &actor,
        &id,
        role,
        &super::context::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    Ok(())
}

/// Removes a member (owners only); the last owner stays. Removing yourself
/// leaves the workspace, so the answer then goes to the home page.
#[server(endpoint = "members/remove")]
pub async fn remove_member(workspace: String, operator_id: String) -> Result<(), AppError> {
    use crate::domain::accounts::{OperatorId, members};
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_manage_members()?;
    let id = OperatorId::parse(&operator_id).ok_or(AppError::NotFound)?;
    members::remove(&state.db, &actor, &id, &super::context::request_meta())
        .await
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    if &id == actor.operator_id() {
        leptos_axum::redirect(&super::auth::home_path(&state, &id).await);
    }
    Ok(())
}

/// What an invitation link offers, for the page that accepts it.
#[server(endpoint = "invitations/view")]
pub async fn load_invitation(token: String) -> Result<InvitationView, AppError> {
    use crate::domain::accounts::{OperatorId, invitations};
    use crate::domain::db::repo::operators;
    let state = super::context::app_state()?;
    let preview = invitations::preview(&state.db, &token).await?;
    let session = super::context::session().await?;
    let signed_in_as = match session
        .get::<OperatorId>(super::context::OPERATOR_KEY)
        .await?
    {
        Some(id) => operators::find(&state.db, &id).await?.map(|o| o.email),
        None => None,
    };
    Ok(InvitationView {
        workspace_name: preview.workspace_name.as_str().to_owned(),
        email: preview.email.as_str().to_owned(),
        role: preview.role.into(),
        expires_at: preview.expires_at,
        account_exists: preview.account_exists,
        signed_in_as,
    })
}

/// Accepts an invitation: as the signed-in operator when the invited email has
/// an account, or by creating that account (name and password). Either way the
/// person ends up signed in and in the workspace.
#[server(endpoint = "invitations/accept")]
pub async fn accept_invitation(
    token: String,
    #[server(default)] display_name: Option<String>,
    #[server(default)] password: Option<String>,
) -> Result<(), AppError> {
    use super::context::{OPERATOR_KEY, app_state, request_meta, session};
    use crate::domain::accounts::invitations::{self, Acceptance};
    use crate::domain::accounts::{DisplayName, NewPassword, OperatorId};
    let state = app_state()?;
    let session = session().await?;
    let preview = invitations::preview(&state.db, &token).await?;
    let acceptance = if preview.account_exists {
        let operator = session
            .get::<OperatorId>(OPERATOR_KEY)
            .await?
            .ok_or_else(|| {
                AppError::Refused(format!(
                    "An account for {} exists: sign in as {} to accept this invitation.",
                    preview.email.as_str(),
                    preview.email.as_str()
                ))
            })?;
        Acceptance::SignedIn(operator)
    } else {
        let display_name = DisplayName::parse(display_name.as_deref().unwrap_or_default())?;
        let password = NewPassword::parse(
            password.as_deref().unwrap_or_default(),
            &preview.email,
            Some(&preview.workspace_name),
        )?;
        let password_hash = state.hasher.hash(&password).await.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })?;
        Acceptance::NewAccount {
            display_name,
            password_hash,
        }
    };
    let accepted = invitations::accept(&state.db, &token, acceptance, &request_meta()).await?;
    super::auth::start_session(&session, &accepted.operator_id).await?;
    leptos_axum::redirect(&format!("/w/{}", accepted.workspace_id));
    Ok(())
}
