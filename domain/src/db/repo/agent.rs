//! `agent_tool_calls` and `mcp_sessions`: what agents did through /mcp, and the
//! MCP sessions any instance may continue. Reads for people are scoped by
//! workspace id.

use crate::accounts::{ApiKeyId, ConnectionId, EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::ToolOutcome;

/// One tool call, as recorded.
#[derive(Clone, Debug)]
pub struct ToolCallRecord {
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub key_id: ApiKeyId,
    pub connection_id: Option<ConnectionId>,
    pub tool: &'static str,
    pub outcome: ToolOutcome,
    pub latency_ms: i64,
    pub at: i64,
}

/// Writes tool calls counted in memory, in `tx`.
pub async fn insert_calls_tx(tx: &mut Tx, calls: &[ToolCallRecord]) -> Result<(), DbError> {
    for c in calls {
        on_tx!(tx, conn => {
            sqlx::query(
                "insert into agent_tool_calls (id, workspace_id, environment_id, key_id, \
                 connection_id, tool, outcome, latency_ms, at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&c.id)
            .bind(&c.workspace_id)
            .bind(&c.environment_id)
            .bind(&c.key_id)
            .bind(&c.connection_id)
            .bind(c.tool)
            .bind(c.outcome)
            .bind(c.latency_ms)
            .bind(c.at)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
    }
    Ok(())
}

/// One tool call as the portal shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ToolCallRow {
    pub tool: String,
    pub outcome: ToolOutcome,
    pub latency_ms: i64,
    pub at: i64,
    pub key_id: ApiKeyId,
    pub key_name: String,
    pub key_prefix: String,
    pub key_last_four: String,
    pub connection_id: Option<ConnectionId>,
    pub end_user_id: Option<String>,
}

const CALL_COLUMNS: &str = "t.tool, t.outcome, t.latency_ms, t.at, t.key_id, k.name as key_name, \
     k.prefix as key_prefix, k.last_four as key_last_four, t.connection_id, c.end_user_id";

/// Whose tool calls to read.
pub enum CallsOf<'a> {
    Environment(&'a EnvironmentId),
    Connection(&'a ConnectionId),
}

/// The most recent tool calls of an environment or a connection, newest first.
pub async fn recent(
    db: &Db,
    workspace_id: &WorkspaceId,
    of: CallsOf<'_>,
    limit: i64,
) -> Result<Vec<ToolCallRow>, DbError> {
    let (column, id) = match of {
        CallsOf::Environment(id) => ("environment_id", id.as_str()),
        CallsOf::Connection(id) => ("connection_id", id.as_str()),
    };
    let sql = format!(
        "select {CALL_COLUMNS} from agent_tool_calls t join api_keys k on k.id = t.key_id \
         left join connections c on c.id = t.connection_id \
         where t.workspace_id = $1 and t.{column} = $2 \
         order by t.at desc, t.id desc limit $3"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, ToolCallRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Forgets tool calls older than `before`, and sessions idle since then.
pub async fn prune(db: &Db, calls_before: i64, sessions_before: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("delete from agent_tool_calls where at < $1")
            .bind(calls_before)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    on_pool!(db, pool => {
        sqlx::query("delete from mcp_sessions where last_seen_at < $1")
            .bind(sessions_before)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// A session as stored: the key that opened it and the client's initialize
/// parameters (JSON), once the handshake is done.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub key_id: Option<ApiKeyId>,
    pub state: Option<String>,
    pub last_seen_at: i64,
}

/// Records that `key_id` opened session `id` (once: a second key cannot
/// take it over).
pub async fn open_session(db: &Db, id: &str, key_id: &ApiKeyId, now: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into mcp_sessions (id, key_id, created_at, last_seen_at) \
             values ($1, $2, $3, $3) \
             on conflict (id) do update set key_id = excluded.key_id \
             where mcp_sessions.key_id is null",
        )
        .bind(id)
        .bind(key_id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Stores the session's state (before or after its key is recorded).
pub async fn store_session_state(db: &Db, id: &str, state: &str, now: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into mcp_sessions (id, state, created_at, last_seen_at) values ($1, $2, $3, $3) \
             on conflict (id) do update set state = excluded.state, last_seen_at = excluded.last_seen_at",
        )
        .bind(id)
        .bind(state)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find_session(db: &Db, id: &str) -> Result<Option<SessionRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, SessionRow>(
            "select key_id, state, last_seen_at from mcp_sessions where id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

pub async fn touch_session(db: &Db, id: &str, now: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update mcp_sessions set last_seen_at = $2 where id = $1")
            .bind(id)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

pub async fn delete_session(db: &Db, id: &str) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("delete from mcp_sessions where id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}
