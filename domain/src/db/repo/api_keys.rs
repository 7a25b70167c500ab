//! `api_keys` and `connection_api_calls`: environment API keys (stored as their
//! hash) and what each key did on each connection. Every read for a person is
//! scoped by workspace id; the lookup by hash is for authenticating a request.

use crate::accounts::{ApiKeyId, ConnectionId, EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub permissions: String,
    pub rate_limit: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub replaced_by: Option<ApiKeyId>,
    pub last_used_at: Option<i64>,
    pub request_count: i64,
    /// The one end user the key may act for; `None`: any of the environment's.
    pub end_user_id: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, workspace_id, environment_id, name, prefix, last_four, permissions, \
     rate_limit, created_by, created_at, expires_at, revoked_at, revoked_by, replaced_by, \
     last_used_at, request_count, end_user_id";

pub async fn insert(tx: &mut Tx, row: &ApiKeyRow, key_hash: &str) -> Result<(), DbError> {
    insert_of_kind(tx, row, key_hash, "key").await
}

/// The key row an agent grant acts as (see `agent::oauth`): no key text
/// exists for it, and the keys page neither lists nor changes it.
pub async fn insert_for_grant(tx: &mut Tx, row: &ApiKeyRow, key_hash: &str) -> Result<(), DbError> {
    insert_of_kind(tx, row, key_hash, "agent_grant").await
}

async fn insert_of_kind(
    tx: &mut Tx,
    row: &ApiKeyRow,
    key_hash: &str,
    kind: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into api_keys (id, workspace_id, environment_id, name, prefix, last_four, \
             key_hash, permissions, rate_limit, created_by, created_at, expires_at, end_user_id, \
             kind) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.name)
        .bind(&row.prefix)
        .bind(&row.last_four)
        .bind(key_hash)
        .bind(&row.permissions)
        .bind(row.rate_limit)
        .bind(&row.created_by)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(&row.end_user_id)
        .bind(kind)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The key a request presented, by its hash (whatever its state).
pub async fn find_by_hash(db: &Db, key_hash: &str) -> Result<Option<ApiKeyRow>, DbError> {
    let sql = format!("select {COLUMNS} from api_keys where key_hash = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ApiKeyRow>(&sql).bind(key_hash).fetch_optional(pool).await
    })?;
    Ok(row)
}

pub async fn find_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
) -> Result<Option<ApiKeyRow>, DbError> {
    // An agent grant's row is the Agents page's: the keys page cannot rotate,
    // revoke or re-limit it (a rotation would hand out a usable key for it).
    let sql = format!(
        "select {COLUMNS} from api_keys where workspace_id = $1 and id = $2 and kind = 'key'"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, ApiKeyRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// The environment's keys, newest first.
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from api_keys where workspace_id = $1 and environment_id = $2 \
         and kind = 'key' order by created_at desc, id desc"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, ApiKeyRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Keys of the environment that can still be used at `now`.
pub async fn count_usable_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    now: i64,
) -> Result<i64, DbError> {
    let (n,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "select count(*) from api_keys where environment_id = $1 and kind = 'key' \
             and revoked_at is null and (expires_at is null or expires_at > $2)",
        )
        .bind(environment_id)
        .bind(now)
        .fetch_one(conn)
        .await
    })?;
    Ok(n)
}

/// Revokes a key that is not revoked yet; false when it already was.
pub async fn revoke_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
    by: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update api_keys set revoked_at = $3, revoked_by = $4 \
             where workspace_id = $1 and id = $2 and revoked_at is null",
        )
        .bind(workspace_id)
        .bind(id)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Marks a key as replaced by a rotation; it expires at `expires_at` (kept
/// when it would have expired sooner). False when it was revoked or rotated
/// meanwhile.
pub async fn replace_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
    replaced_by: &ApiKeyId,
    expires_at: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update api_keys set replaced_by = $3, \
               expires_at = case when expires_at is not null and expires_at < $4 \
                                 then expires_at else $4 end \
             where workspace_id = $1 and id = $2 and revoked_at is null and replaced_by is null",
        )
        .bind(workspace_id)
        .bind(id)
        .bind(replaced_by)
        .bind(expires_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn set_rate_limit_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
    rate_limit: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query("update api_keys set rate_limit = $3 where workspace_id = $1 and id = $2")
            .bind(workspace_id)
            .bind(id)
            .bind(rate_limit)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Adds requests made since the last flush, and the last-used time when given.
pub async fn add_usage(
    db: &Db,
    id: &ApiKeyId,
    requests: i64,
    last_used_at: Option<i64>,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "update api_keys set request_count = request_count + $2, \
               last_used_at = case when $3 is null then last_used_at \
                                   when last_used_at is null or last_used_at < $3 then $3 \
                                   else last_used_at end \
             where id = $1",
        )
        .bind(id)
        .bind(requests)
        .bind(last_used_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Calls one key made on one connection, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub token: i64,
    pub proxy: i64,
    pub tool: i64,
}

/// Adds calls a key made on a connection since the last flush.
pub async fn add_calls(
    db: &Db,
    connection_id: &ConnectionId,
    key_id: &ApiKeyId,
    counts: CallCounts,
    now: i64,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into connection_api_calls (connection_id, key_id, token_calls, proxy_calls, \
               tool_calls, last_at) \
             values ($1, $2, $3, $4, $5, $6) \
             on conflict (connection_id, key_id) do update set \
               token_calls = connection_api_calls.token_calls + $3, \
               proxy_calls = connection_api_calls.proxy_calls + $4, \
               tool_calls = connection_api_calls.tool_calls + $5, \
               last_at = $6",
        )
        .bind(connection_id)
        .bind(key_id)
        .bind(counts.token)
        .bind(counts.proxy)
        .bind(counts.tool)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// One key's calls on one connection, with the key's name and visible part.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CallsRow {
    pub key_id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub token_calls: i64,
    pub proxy_calls: i64,
    pub tool_calls: i64,
    pub last_at: i64,
}

pub async fn calls_on(
    db: &Db,
    workspace_id: &WorkspaceId,
    connection_id: &ConnectionId,
) -> Result<Vec<CallsRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, CallsRow>(
            "select k.id as key_id, k.name, k.prefix, k.last_four, c.token_calls, c.proxy_calls, c.tool_calls, c.last_at \
             from connection_api_calls c join api_keys k on k.id = c.key_id \
             where k.workspace_id = $1 and c.connection_id = $2 order by c.last_at desc",
        )
        .bind(workspace_id)
        .bind(connection_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// Keys that expired before `now` and whose expiry is not audited yet.
pub async fn expired_unaudited(db: &Db, now: i64, limit: i64) -> Result<Vec<ApiKeyRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from api_keys where expiry_audited = 0 and revoked_at is null \
         and expires_at is not null and expires_at <= $1 order by expires_at limit $2"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, ApiKeyRow>(&sql).bind(now).bind(limit).fetch_all(pool).await
    })?;
    Ok(rows)
}

/// Claims the audit of a key's expiry: true for exactly one caller, whichever
/// process asks.
pub async fn claim_expiry_tx(tx: &mut Tx, id: &ApiKeyId) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query("update api_keys set expiry_audited = 1 where id = $1 and expiry_audited = 0")
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
