//! `audit_events`: the append-only log of who changed what in a workspace.

use crate::accounts::{AuditEventId, EnvironmentId, OperatorId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::AuditAction;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: AuditEventId,
    pub workspace_id: WorkspaceId,
    pub environment_id: Option<EnvironmentId>,
    pub actor_operator_id: Option<OperatorId>,
    pub actor_label: String,
    pub action: AuditAction,
    pub target: String,
    /// A JSON object.
    pub detail: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
}

/// Which events to list. `None` filters match everything.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery<'a> {
    pub environment_id: Option<&'a EnvironmentId>,
    pub actor_operator_id: Option<&'a OperatorId>,
    pub action: Option<AuditAction>,
    /// Only events older than this `(created_at, id)` position: the last row of
    /// the previous page.
    pub before: Option<(i64, &'a AuditEventId)>,
    pub limit: i64,
}

pub async fn insert(tx: &mut Tx, row: &AuditEventRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into audit_events (id, workspace_id, environment_id, actor_operator_id, \
             actor_label, action, target, detail, ip, user_agent, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.actor_operator_id)
        .bind(&row.actor_label)
        .bind(row.action)
        .bind(&row.target)
        .bind(&row.detail)
        .bind(&row.ip)
        .bind(&row.user_agent)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// One workspace's events matching `query`, newest first.
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    query: &AuditQuery<'_>,
) -> Result<Vec<AuditEventRow>, DbError> {
    let (before_at, before_id) = query.before.unzip();
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, AuditEventRow>(
            "select id, workspace_id, environment_id, actor_operator_id, actor_label, action, \
             target, detail, ip, user_agent, created_at from audit_events \
             where workspace_id = $1 \
             and ($2 is null or environment_id = $2) \
             and ($3 is null or actor_operator_id = $3) \
             and ($4 is null or action = $4) \
             and ($5 is null or created_at < $5 or (created_at = $5 and id < $6)) \
             order by created_at desc, id desc limit $7",
        )
        .bind(workspace_id)
        .bind(query.environment_id)
        .bind(query.actor_operator_id)
        .bind(query.action)
        .bind(before_at)
        .bind(before_id)
        .bind(query.limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}
