//! Assistants end users let in: listed and revoked by the environment's
//! operators (the Agents page) and by the end user themself.

use super::OAuthError;
use crate::Services;
use crate::accounts::audit::{AuditActor, RequestMeta};
use crate::accounts::{Actor, EnvironmentId};
use crate::connections::ConnectionError;
use crate::db::now_ms;
use crate::db::repo::agent_oauth::{self as rows, GrantListed, GrantRow};
use crate::db::repo::environments;
use crate::db::tx::Tx;
use crate::shared::{AgentScope, AuditAction};

/// An assistant an end user let in, as people see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizedClient {
    pub grant_id: String,
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub end_user_id: String,
    pub scope: Vec<AgentScope>,
    /// When the end user first let it in.
    pub first_at: i64,
    /// Its last request (written at most once a minute).
    pub last_used_at: Option<i64>,
}

impl From<GrantListed> for AuthorizedClient {
    fn from(row: GrantListed) -> Self {
        Self {
            grant_id: row.id,
            client_id: row.client_id,
            client_name: row.client_name,
            redirect_uris: serde_json::from_str(&row.redirect_uris).unwrap_or_default(),
            end_user_id: row.end_user_id,
            scope: AgentScope::parse_list(&row.scope).unwrap_or_default(),
            first_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// The environment's authorized assistants, by end user (any member).
pub async fn list(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Vec<AuthorizedClient>, ConnectionError> {
    environments::find(&services.db, actor.workspace_id(), environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let rows = rows::list_grants(&services.db, actor.workspace_id(), environment_id, None).await?;
    Ok(rows.into_iter().map(AuthorizedClient::from).collect())
}

/// Revokes one (owners and admins): its tokens stop working at once.
pub async fn revoke(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    grant_id: &str,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    actor.require_configure()?;
    let mut tx = services.db.begin().await?;
    let grant = rows::find_grant_tx(&mut tx, actor.workspace_id(), environment_id, grant_id)
        .await?
        .filter(|g| g.revoked_at.is_none())
        .ok_or(ConnectionError::NotFound)?;
    revoke_tx(&mut tx, &grant, AuditActor::from(actor), meta).await?;
    tx.commit().await?;
    services.api.forget(&grant.key_id);
    Ok(())
}

/// The assistants one end user let in (their "Connected assistants" page).
pub async fn of_end_user(
    services: &Services,
    environment: &environments::EnvironmentRow,
    end_user_id: &str,
) -> Result<Vec<AuthorizedClient>, OAuthError> {
    let rows = rows::list_grants(
        &services.db,
        &environment.workspace_id,
        &environment.id,
        Some(end_user_id),
    )
    .await?;
    Ok(rows.into_iter().map(AuthorizedClient::from).collect())
}

/// The end user revokes one of theirs; false when it is not theirs (or was
/// already revoked).
pub async fn revoke_own(
    services: &Services,
    environment: &environments::EnvironmentRow,
    end_user_id: &str,
    grant_id: &str,
    meta: &RequestMeta,
) -> Result<bool, OAuthError> {
    let mut tx = services.db.begin().await?;
    let grant = rows::find_grant_tx(
        &mut tx,
        &environment.workspace_id,
        &environment.id,
        grant_id,
    )
    .await?
    .filter(|g| g.revoked_at.is_none() && g.end_user_id == end_user_id);
    let Some(grant) = grant else {
        return Ok(false);
    };
    revoke_tx(&mut tx, &grant, super::end_user_actor(end_user_id), meta).await?;
    tx.commit().await?;
    services.api.forget(&grant.key_id);
    Ok(true)
}

async fn revoke_tx(
    tx: &mut Tx,
    grant: &GrantRow,
    actor: AuditActor,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    let client = rows::client_name_tx(tx, &grant.client_id).await?;
    rows::revoke_grant_tx(tx, grant, &actor.label, now_ms()).await?;
    let target = client.unwrap_or_else(|| grant.client_id.clone());
    let action = AuditAction::AgentClientRevoked;
    super::grant_audit(tx, grant, actor, action, &target, meta).await?;
    Ok(())
}
