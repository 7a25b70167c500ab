//! Members and invitations: owners invite people with a role, change roles and
//! remove members; the invited accept through a one-time link.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{InvitationView, IssuedInvitation, MembersView};

/// The workspace's members (any member may see them) and, for owners, the
/// pending invitations.
#[server(endpoint = "members/list")]
pub async fn load_members(workspace: String) -> Result<MembersView, AppError> {
    use crate::models::{MemberView, PendingInvitationView};
    use domain::accounts::{invitations, members};
    let (services, actor) = super::context::actor(&workspace).await?;
    let rows = members::list(&services.db, &actor).await?;
    let email_of = |id: &domain::accounts::OperatorId| {
        rows.iter()
            .find(|m| &m.operator_id == id)
            .map_or_else(|| "a former member".to_owned(), |m| m.email.clone())
    };
    let invitations = if actor.role().can_manage_members() {
        invitations::list_pending(&services.db, &actor)
            .await?
            .into_iter()
            .map(|i| PendingInvitationView {
                id: i.id.to_string(),
                invited_by: email_of(&i.invited_by),
                email: i.email,
                role: i.role,
                created_at: i.created_at,
                expires_at: i.expires_at,
            })
            .collect()
    } else {
        Vec::new()
    };
    let members = rows
        .iter()
        .map(|m| MemberView {
            operator_id: m.operator_id.to_string(),
            email: m.email.clone(),
            display_name: m.display_name.clone(),
            role: m.role,
            joined_at: m.created_at,
            is_you: &m.operator_id == actor.operator_id(),
        })
        .collect();
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
    #[server(default)] reauth_password: Option<String>,
) -> Result<IssuedInvitation, AppError> {
    use super::context::{actor, session};
    use super::request::{is_plain_form_post, request_meta};
    use domain::accounts::{Email, Role, invitations};
    let (services, actor) = actor(&workspace).await?;
    let email = Email::parse(&email)?;
    let role: Role = role.parse()?;
    if role == Role::Owner && actor.role().can_manage_members() {
        super::reauth::confirm_recent(reauth_password.as_deref()).await?;
    }
    let issued = invitations::invite(
        &services.db,
        &actor,
        &email,
        role,
        invitations::INVITATION_TTL,
        &request_meta(),
    )
    .await?;
    let shown = IssuedInvitation {
        email: email.as_str().to_owned(),
        role,
        link: format!(
            "{}/invitations/accept?token={}",
            services.config.public_url,
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
    use domain::accounts::{InvitationId, invitations};
    let (services, actor) = super::context::actor(&workspace).await?;
    let id = InvitationId::parse(&invitation_id).ok_or(AppError::NotFound)?;
    invitations::revoke(&services.db, &actor, &id, &super::request::request_meta()).await?;
    Ok(())
}

/// Changes a member's role (owners only); the last owner keeps theirs.
#[server(endpoint = "members/change-role")]
pub async fn change_role(
    workspace: String,
    operator_id: String,
    role: String,
    #[server(default)] reauth_password: Option<String>,
) -> Result<(), AppError> {
    use domain::accounts::{OperatorId, Role, members};
    let (services, actor) = super::context::actor(&workspace).await?;
    let id = OperatorId::parse(&operator_id).ok_or(AppError::NotFound)?;
    let role: Role = role
        .parse()
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    if role == Role::Owner || is_owner(&services, &actor, &id).await? {
        super::reauth::confirm_recent(reauth_password.as_deref())
            .await
            .map_err(|e| e.for_row(id.as_str()))?;
    }
    members::change_role(
        &services.db,
        &actor,
        &id,
        role,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    Ok(())
}

/// Removes a member (owners only); the last owner stays. Removing yourself
/// leaves the workspace, so the answer then goes to the home page.
#[server(endpoint = "members/remove")]
pub async fn remove_member(
    workspace: String,
    operator_id: String,
    #[server(default)] reauth_password: Option<String>,
) -> Result<(), AppError> {
    use domain::accounts::{OperatorId, members};
    let (services, actor) = super::context::actor(&workspace).await?;
    let id = OperatorId::parse(&operator_id).ok_or(AppError::NotFound)?;
    if is_owner(&services, &actor, &id).await? {
        super::reauth::confirm_recent(reauth_password.as_deref())
            .await
            .map_err(|e| e.for_row(id.as_str()))?;
    }
    members::remove(&services.db, &actor, &id, &super::request::request_meta())
        .await
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    if &id == actor.operator_id() {
        leptos_axum::redirect(&super::auth::home_path(&services, &id).await);
    }
    Ok(())
}

/// Whether `id` is an owner of the actor's workspace, as an owner sees it
/// (changes to owners need a recent password); `false` for anyone else asking.
#[cfg(feature = "ssr")]
async fn is_owner(
    services: &domain::Services,
    actor: &domain::accounts::Actor,
    id: &domain::accounts::OperatorId,
) -> Result<bool, AppError> {
    if !actor.role().can_manage_members() {
        return Ok(false);
    }
    Ok(domain::accounts::members::list(&services.db, actor)
        .await?
        .iter()
        .any(|m| &m.operator_id == id && m.role == domain::accounts::Role::Owner))
}

/// What an invitation link offers, for the page that accepts it.
#[server(endpoint = "invitations/view")]
pub async fn load_invitation(token: String) -> Result<InvitationView, AppError> {
    use domain::accounts::{OperatorId, invitations, operators};
    let services = super::context::services()?;
    let preview = invitations::preview(&services.db, &token).await?;
    let session = super::context::session().await?;
    let signed_in_as = match session
        .get::<OperatorId>(super::context::OPERATOR_KEY)
        .await?
    {
        Some(id) => operators::find(&services.db, &id).await?.map(|o| o.email),
        None => None,
    };
    Ok(InvitationView {
        workspace_name: preview.workspace_name.as_str().to_owned(),
        email: preview.email.as_str().to_owned(),
        role: preview.role,
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
    use super::context::{OPERATOR_KEY, services, session};
    use super::request::request_meta;
    use domain::accounts::invitations::{self, Acceptance};
    use domain::accounts::{DisplayName, NewPassword, OperatorId};
    let services = services()?;
    let session = session().await?;
    let preview = invitations::preview(&services.db, &token).await?;
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
        let password_hash = services.hasher.hash(&password).await.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })?;
        Acceptance::NewAccount {
            display_name,
            password_hash,
        }
    };
    let accepted = invitations::accept(&services.db, &token, acceptance, &request_meta()).await?;
    super::auth::start_session(&session, &accepted.operator_id).await?;
    leptos_axum::redirect(&format!("/w/{}", accepted.workspace_id));
    Ok(())
}
