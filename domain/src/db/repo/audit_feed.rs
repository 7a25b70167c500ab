//! `audit_events` read as a feed (`GET /v1/audit-events`): oldest first by
//! each record's place in its workspace's hash chain (`seq`), from a place
//! on. The table and its rows belong to [`super::audit_events`].

use super::audit_events::{AuditEventRow, COLUMNS};
use crate::accounts::{AuditEventId, EnvironmentId, WorkspaceId};
use crate::db::repo::statement::{Statement, bind_args};
use crate::db::{Db, DbError, on_pool};
use crate::shared::AuditAction;

/// Which records to read. `None` (and no actions) match everything.
#[derive(Clone, Debug, Default)]
pub struct FeedQuery<'a> {
    pub environment_id: Option<&'a EnvironmentId>,
    /// The actor as recorded (an operator's email, an API key's label), exactly.
    pub actor_label: Option<&'a str>,
    /// Any of these actions; empty: any action.
    pub actions: &'a [AuditAction],
    /// Written at or after this instant (Unix ms).
    pub since: Option<i64>,
    /// Written before this instant (Unix ms).
    pub until: Option<i64>,
    /// Only records after this place in the chain: the last of the previous page.
    pub after_seq: Option<i64>,
    pub limit: i64,
}

/// The statement [`page`] runs: only the filters set are in it. The chain's
/// index (`audit_events_chain`, on `workspace_id, seq`) serves the order and
/// the position, so a page far into the log costs what the first one does;
/// the other filters are checked on the records it walks.
///
/// Records not chained yet (`seq` null: written before the chain began,
/// until the workspace's next record chains them) are left out: they have
/// no place to resume from.
pub fn page_statement(workspace_id: &WorkspaceId, query: &FeedQuery<'_>) -> Statement {
    let mut st = Statement::default();
    let mut sql = format!(
        "select {COLUMNS} from audit_events where workspace_id = {} and seq is not null",
        st.text(workspace_id.as_str())
    );
    if let Some(seq) = query.after_seq {
        sql.push_str(&format!(" and seq > {}", st.int(seq)));
    }
    if let Some(environment_id) = query.environment_id {
        sql.push_str(&format!(
            " and environment_id = {}",
            st.text(environment_id.as_str())
        ));
    }
    if let Some(label) = query.actor_label {
        sql.push_str(&format!(" and actor_label = {}", st.text(label)));
    }
    if !query.actions.is_empty() {
        let placeholders = query
            .actions
            .iter()
            .map(|action| st.text(action.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" and action in ({placeholders})"));
    }
    if let Some(since) = query.since {
        sql.push_str(&format!(" and created_at >= {}", st.int(since)));
    }
    if let Some(until) = query.until {
        sql.push_str(&format!(" and created_at < {}", st.int(until)));
    }
    sql.push_str(&format!(" order by seq limit {}", st.int(query.limit)));
    st.sql = sql;
    st
}

/// One workspace's chained records matching `query`, oldest first.
pub async fn page(
    db: &Db,
    workspace_id: &WorkspaceId,
    query: &FeedQuery<'_>,
) -> Result<Vec<AuditEventRow>, DbError> {
    let st = page_statement(workspace_id, query);
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, AuditEventRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Whether the workspace's chain has the record `id` at place `seq` (in
/// `environment_id`, when given): a cursor handed out names one, a forged or
/// garbled one does not.
pub async fn has_place(
    db: &Db,
    workspace_id: &WorkspaceId,
    seq: i64,
    id: &AuditEventId,
    environment_id: Option<&EnvironmentId>,
) -> Result<bool, DbError> {
    let found: Option<(i32,)> = match environment_id {
        None => on_pool!(db, pool => {
            sqlx::query_as(
                "select 1 from audit_events where workspace_id = $1 and seq = $2 and id = $3",
            )
            .bind(workspace_id)
            .bind(seq)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?,
        Some(environment_id) => on_pool!(db, pool => {
            sqlx::query_as(
                "select 1 from audit_events where workspace_id = $1 and seq = $2 and id = $3 \
                 and environment_id = $4",
            )
            .bind(workspace_id)
            .bind(seq)
            .bind(id)
            .bind(environment_id)
            .fetch_optional(pool)
            .await
        })?,
    };
    Ok(found.is_some())
}
