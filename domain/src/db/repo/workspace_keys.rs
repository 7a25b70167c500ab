//! `workspace_keys`: owners' keys for their workspace's whole audit log
//! (`GET /v1/audit-events`), stored as their hash like API keys. Every read
//! for a person is scoped by workspace id; the lookup by hash is for
//! authenticating a request.

use std::fmt;

use crate::accounts::WorkspaceId;
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

/// A workspace key's id: UUIDv7 text, as the ids in `accounts` are.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct WorkspaceKeyId(String);

impl WorkspaceKeyId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Parses an id that came from outside (a form). Anything that is not a
    /// UUID is refused here, before it reaches a query.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text.trim())
            .ok()
            .map(|u| Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkspaceKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkspaceKeyRow {
    pub id: WorkspaceKeyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    /// Permission names, space-separated (today only `audit:read`).
    pub permissions: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    /// Written at most once a minute per key, so it is approximate.
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, workspace_id, name, prefix, last_four, permissions, created_by, \
     created_at, revoked_at, revoked_by, last_used_at";

pub async fn insert(tx: &mut Tx, row: &WorkspaceKeyRow, key_hash: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into workspace_keys (id, workspace_id, name, prefix, last_four, key_hash, \
             permissions, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.name)
        .bind(&row.prefix)
        .bind(&row.last_four)
        .bind(key_hash)
        .bind(&row.permissions)
        .bind(&row.created_by)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The key a request presented, by its hash (whatever its state).
pub async fn find_by_hash(db: &Db, key_hash: &str) -> Result<Option<WorkspaceKeyRow>, DbError> {
    let sql = format!("select {COLUMNS} from workspace_keys where key_hash = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, WorkspaceKeyRow>(&sql)
            .bind(key_hash)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// The workspace's keys, newest first, revoked ones included.
pub async fn list(db: &Db, workspace_id: &WorkspaceId) -> Result<Vec<WorkspaceKeyRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from workspace_keys where workspace_id = $1 \
         order by created_at desc, id desc"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, WorkspaceKeyRow>(&sql)
            .bind(workspace_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

pub async fn find_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &WorkspaceKeyId,
) -> Result<Option<WorkspaceKeyRow>, DbError> {
    let sql = format!("select {COLUMNS} from workspace_keys where workspace_id = $1 and id = $2");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, WorkspaceKeyRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// Keys of the workspace that are not revoked.
pub async fn count_usable_tx(tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<i64, DbError> {
    let (n,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "select count(*) from workspace_keys where workspace_id = $1 and revoked_at is null",
        )
        .bind(workspace_id)
        .fetch_one(conn)
        .await
    })?;
    Ok(n)
}

/// Revokes a key that is not revoked yet; false when it already was.
pub async fn revoke_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &WorkspaceKeyId,
    by: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update workspace_keys set revoked_at = $3, revoked_by = $4 \
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

/// Records that the key was used at `at`, unless its last use written is
/// less than `every_ms` older: a poller's every request does not write.
pub async fn touch(db: &Db, id: &WorkspaceKeyId, at: i64, every_ms: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "update workspace_keys set last_used_at = $2 \
             where id = $1 and (last_used_at is null or last_used_at <= $3)",
        )
        .bind(id)
        .bind(at)
        .bind(at - every_ms)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
