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
    /// The record's place in its workspace's hash chain (from 1), the hash
    /// of the record before it and its own; `None` only for records written
    /// before the chain began, until the next append chains them.
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
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
        sqlx::query(&format!(
            "insert into audit_events ({COLUMNS}) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
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
        .bind(row.seq)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub const COLUMNS: &str = "id, workspace_id, environment_id, actor_operator_id, actor_label, action, \
     target, detail, ip, user_agent, created_at, seq, prev_hash, hash";

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

// The hash chain (`accounts::audit_chain`): each workspace's head, and the
// records read and written in chain order.

/// A record as its hash covers it: every column as stored, as text, so that
/// a value edited into something pinbridge never writes (an action it does
/// not know, an id that is no UUID) is still read, and reported as an edit
/// rather than failing the check.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainRow {
    pub id: String,
    pub workspace_id: String,
    pub environment_id: Option<String>,
    pub actor_operator_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Gives the workspace a chain head at place 0 (`genesis` as its hash) if it
/// has none yet. On PostgreSQL a concurrent transaction inserting the same
/// head waits here until the first commits, then does nothing.
pub async fn ensure_head_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    genesis: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into audit_chain_heads (workspace_id, seq, hash) values ($1, 0, $2) \
             on conflict (workspace_id) do nothing",
        )
        .bind(workspace_id)
        .bind(genesis)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The workspace's chain head, `(seq, hash)`, held for the rest of the
/// transaction. On PostgreSQL `for update` makes appends to one workspace
/// take turns; SQLite has no row locks and needs none, since its write
/// transactions (`BEGIN IMMEDIATE`) already run one at a time.
pub async fn lock_head_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
) -> Result<Option<(i64, String)>, DbError> {
    let sql = match tx {
        Tx::Postgres(_) => {
            "select seq, hash from audit_chain_heads where workspace_id = $1 for update"
        }
        Tx::Sqlite(_) => "select seq, hash from audit_chain_heads where workspace_id = $1",
    };
    let head = on_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, String)>(sql)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(head)
}

pub async fn set_head_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    seq: i64,
    hash: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("update audit_chain_heads set seq = $1, hash = $2 where workspace_id = $3")
            .bind(seq)
            .bind(hash)
            .bind(workspace_id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Up to `limit` of the workspace's records that have no place in its chain
/// yet, oldest first (`created_at`, then id).
pub async fn unchained_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    limit: i64,
) -> Result<Vec<ChainRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from audit_events where workspace_id = $1 and seq is null \
         order by created_at, id limit $2"
    );
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, ChainRow>(&sql)
            .bind(workspace_id)
            .bind(limit)
            .fetch_all(conn)
            .await
    })?;
    Ok(rows)
}

/// Gives an unchained record its place, the previous record's hash and its own.
pub async fn chain_tx(
    tx: &mut Tx,
    id: &str,
    seq: i64,
    prev_hash: &str,
    hash: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update audit_events set seq = $1, prev_hash = $2, hash = $3 \
             where id = $4 and seq is null",
        )
        .bind(seq)
        .bind(prev_hash)
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The workspaces whose chain has not begun (no head, or one at place 0)
/// and that have records without a place: those written before the chain
/// existed. A workspace whose chain has begun is not among them, whatever
/// it holds: a record without a place there was put in behind pinbridge's
/// back, and is reported, never chained.
pub async fn workspaces_to_chain(db: &Db) -> Result<Vec<WorkspaceId>, DbError> {
    let ids = on_pool!(db, pool => {
        sqlx::query_scalar::<_, WorkspaceId>(
            "select w.id from workspaces w \
             where not exists (select 1 from audit_chain_heads h \
               where h.workspace_id = w.id and h.seq > 0) \
             and exists (select 1 from audit_events a \
               where a.workspace_id = w.id and a.seq is null) \
             order by w.id",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(ids)
}

/// The workspace's chain head, `(seq, hash)`, if it has one.
pub async fn head(db: &Db, workspace_id: &WorkspaceId) -> Result<Option<(i64, String)>, DbError> {
    let head = on_pool!(db, pool => {
        sqlx::query_as::<_, (i64, String)>(
            "select seq, hash from audit_chain_heads where workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(head)
}

/// Up to `limit` of the workspace's chained records after place `after`, in
/// chain order (served by `audit_events_chain`): a page of the chain.
pub async fn chain_page(
    db: &Db,
    workspace_id: &WorkspaceId,
    after: i64,
    limit: i64,
) -> Result<Vec<ChainRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from audit_events where workspace_id = $1 and seq > $2 \
         order by seq limit $3"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, ChainRow>(&sql)
            .bind(workspace_id)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// The oldest of the workspace's records without a place in its chain.
pub async fn first_unchained(
    db: &Db,
    workspace_id: &WorkspaceId,
) -> Result<Option<ChainRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from audit_events where workspace_id = $1 and seq is null \
         order by created_at, id limit 1"
    );
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ChainRow>(&sql)
            .bind(workspace_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// Every workspace, `(id, name)`, by name: the logs `audit verify` checks.
pub async fn chained_workspaces(db: &Db) -> Result<Vec<(WorkspaceId, String)>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (WorkspaceId, String)>(
            "select id, name from workspaces order by name_folded, id",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}
