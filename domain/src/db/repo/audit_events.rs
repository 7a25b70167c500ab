//! `audit_events`: the append-only log of who changed what in a workspace.

use crate::accounts::{AuditEventId, EnvironmentId, OperatorId, WorkspaceId};
use crate::db::repo::statement::{Statement, bind_args};
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

const COLUMNS: &str = "id, workspace_id, environment_id, actor_operator_id, actor_label, action, \
     target, detail, ip, user_agent, created_at";

/// The statement [`list`] runs: only the filters set are in it, so each is
/// served by its index (`audit_events_environment`, `_actor`, `_action`, or
/// `audit_events_workspace_time` for none), read newest first from the
/// position `before`: a page deep in the log costs what the first one does.
pub fn list_statement(workspace_id: &WorkspaceId, query: &AuditQuery<'_>) -> Statement {
    let mut st = Statement::default();
    let mut sql = format!(
        "select {COLUMNS} from audit_events where workspace_id = {}",
        st.text(workspace_id.as_str())
    );
    if let Some(environment_id) = query.environment_id {
        sql.push_str(&format!(
            " and environment_id = {}",
            st.text(environment_id.as_str())
        ));
    }
    if let Some(operator_id) = query.actor_operator_id {
        sql.push_str(&format!(
            " and actor_operator_id = {}",
            st.text(operator_id.as_str())
        ));
    }
    if let Some(action) = query.action {
        sql.push_str(&format!(" and action = {}", st.text(action.as_str())));
    }
    if let Some((at, id)) = query.before {
        // `created_at <= at` bounds the index range; the rest breaks ties.
        let at = st.int(at);
        let id = st.text(id.as_str());
        sql.push_str(&format!(
            " and created_at <= {at} and (created_at < {at} or id < {id})"
        ));
    }
    sql.push_str(&format!(
        " order by created_at desc, id desc limit {}",
        st.int(query.limit)
    ));
    st.sql = sql;
    st
}

/// One workspace's events matching `query`, newest first.
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    query: &AuditQuery<'_>,
) -> Result<Vec<AuditEventRow>, DbError> {
    let st = list_statement(workspace_id, query);
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, AuditEventRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Whether the workspace's log has the event `id`, recorded at `created_at`
/// (a page link's position is one of its events).
pub async fn exists_at(
    db: &Db,
    workspace_id: &WorkspaceId,
    id: &AuditEventId,
    created_at: i64,
) -> Result<bool, DbError> {
    let found: Option<(i32,)> = on_pool!(db, pool => {
        sqlx::query_as(
            "select 1 from audit_events where id = $1 and workspace_id = $2 and created_at = $3",
        )
        .bind(id)
        .bind(workspace_id)
        .bind(created_at)
        .fetch_optional(pool)
        .await
    })?;
    Ok(found.is_some())
}
