//! What the drift view and promotion read and write beyond the other repos:
//! an environment's return origins, webhook endpoints and API keys with who
//! changed them and when, and the few changes a promotion makes. Every
//! statement is scoped by workspace id as well as environment id.

use crate::accounts::{ApiKeyId, EnvironmentId, WebhookEndpointId, WorkspaceId};
use crate::db::DbError;
use crate::db::tx::{Tx, on_tx};

/// One allowed return origin, and who added it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OriginRow {
    pub origin: String,
    pub added_by: String,
    pub added_at: i64,
}

/// What the drift view compares of a webhook endpoint (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EndpointConfigRow {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub created_by: String,
    pub updated_by: Option<String>,
    pub updated_at: i64,
}

/// What the drift view compares of an API key (never the key or its hash).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyConfigRow {
    pub id: ApiKeyId,
    pub name: String,
    pub permissions: String,
    pub rate_limit: i64,
    pub end_user_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

pub async fn origins_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<OriginRow>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, OriginRow>(
            "select origin, added_by, added_at from return_origins \
             where workspace_id = $1 and environment_id = $2 order by origin",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .fetch_all(conn)
        .await
    })?;
    Ok(rows)
}

pub async fn add_origin_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    origin: &str,
    by: &str,
    now: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into return_origins (environment_id, workspace_id, origin, added_by, added_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(environment_id)
        .bind(workspace_id)
        .bind(origin)
        .bind(by)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn remove_origin_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    origin: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "delete from return_origins \
             where workspace_id = $1 and environment_id = $2 and origin = $3",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .bind(origin)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The environment's endpoints, oldest first.
pub async fn endpoints_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<EndpointConfigRow>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, EndpointConfigRow>(
            "select id, url, description, event_types, enabled, created_by, updated_by, updated_at \
             from webhook_endpoints where workspace_id = $1 and environment_id = $2 \
             order by created_at, id",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .fetch_all(conn)
        .await
    })?;
    Ok(rows)
}

/// Who changed an endpoint last (written beside every change of its settings).
pub async fn set_endpoint_updated_by_tx(
    tx: &mut Tx,
    id: &WebhookEndpointId,
    by: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("update webhook_endpoints set updated_by = $1 where id = $2")
            .bind(by)
            .bind(id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// A promotion's change to an endpoint: its description, event types and
/// whether it is on (the URL is what matched it; the secret stays).
pub async fn update_endpoint_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    row: &EndpointConfigRow,
    by: &str,
    now: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update webhook_endpoints set description = $1, event_types = $2, enabled = $3, \
             disabled_reason = case when $3 then null else disabled_reason end, \
             updated_by = $4, updated_at = $5 where workspace_id = $6 and id = $7",
        )
        .bind(&row.description)
        .bind(&row.event_types)
        .bind(row.enabled)
        .bind(by)
        .bind(now)
        .bind(workspace_id)
        .bind(&row.id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The environment's usable keys (not revoked, not expired; agent grants are
/// not keys), oldest first.
pub async fn keys_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    now: i64,
) -> Result<Vec<KeyConfigRow>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, KeyConfigRow>(
            "select id, name, permissions, rate_limit, end_user_id, created_by, created_at \
             from api_keys where workspace_id = $1 and environment_id = $2 and kind = 'key' \
             and revoked_at is null and (expires_at is null or expires_at > $3) \
             order by created_at, id",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .bind(now)
        .fetch_all(conn)
        .await
    })?;
    Ok(rows)
}

/// A promotion's change to a key: its permissions and rate limit.
pub async fn update_key_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
    permissions: &str,
    rate_limit: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update api_keys set permissions = $1, rate_limit = $2 \
             where workspace_id = $3 and id = $4",
        )
        .bind(permissions)
        .bind(rate_limit)
        .bind(workspace_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
