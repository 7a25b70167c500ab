//! `connections` and what makes and watches them: `connect_links`,
//! `oauth_states`, `return_origins`, `connection_probes`, `health_runs`.
//!
//! Statements the portal runs are scoped by workspace id. The end-user pages
//! find a link or a state by its token's hash alone (whoever holds it is not an
//! operator), and the scheduler works across all workspaces by lease.

use crate::accounts::{
    ConnectLinkId, ConnectionId, EnvironmentId, HealthRunId, ProbeId, WorkspaceId,
};
use crate::db::repo::statement::{Statement, bind_args};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::{Health, ProbeOutcome, Trigger};

// ---------------------------------------------------------------- return origins

pub async fn list_origins(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = on_pool!(db, pool => {
        sqlx::query_as(
            "select origin from return_origins where workspace_id = $1 and environment_id = $2 \
             order by origin",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().map(|(o,)| o).collect())
}

/// Replaces the environment's allow-list with `origins`.
pub async fn replace_origins(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    origins: &[String],
    by: &str,
    now: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("delete from return_origins where workspace_id = $1 and environment_id = $2")
            .bind(workspace_id)
            .bind(environment_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    for origin in origins {
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
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

const ORIGIN_ALLOWED: &str = "select origin from return_origins \
     where workspace_id = $1 and environment_id = $2 and origin = $3";

/// Whether `origin` is on the environment's allow-list right now.
pub async fn origin_allowed(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    origin: &str,
) -> Result<bool, DbError> {
    let row: Option<(String,)> = on_pool!(db, pool => {
        sqlx::query_as(
            ORIGIN_ALLOWED,
        )
        .bind(workspace_id)
        .bind(environment_id)
        .bind(origin)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.is_some())
}

/// [`origin_allowed`] inside a transaction.
pub async fn origin_allowed_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    origin: &str,
) -> Result<bool, DbError> {
    let row: Option<(String,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            ORIGIN_ALLOWED,
        )
        .bind(workspace_id)
        .bind(environment_id)
        .bind(origin)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row.is_some())
}

// ---------------------------------------------------------------- connect links

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkRow {
    pub id: ConnectLinkId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub return_url: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub connection_id: Option<ConnectionId>,
}

const LINK_COLUMNS: &str = "id, workspace_id, environment_id, end_user_id, display_name, \
     return_url, created_by, created_at, expires_at, used_at, connection_id";

pub async fn insert_link(tx: &mut Tx, row: &LinkRow, token_hash: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into connect_links (id, token_hash, workspace_id, environment_id, end_user_id, \
             display_name, return_url, created_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&row.id)
        .bind(token_hash)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.end_user_id)
        .bind(&row.display_name)
        .bind(&row.return_url)
        .bind(&row.created_by)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// A link by its token's hash, whatever its state (the page says why it cannot be used).
pub async fn find_link_by_token(db: &Db, token_hash: &str) -> Result<Option<LinkRow>, DbError> {
    let sql = format!("select {LINK_COLUMNS} from connect_links where token_hash = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, LinkRow>(&sql).bind(token_hash).fetch_optional(pool).await
    })?;
    Ok(row)
}

pub async fn find_link(db: &Db, id: &ConnectLinkId) -> Result<Option<LinkRow>, DbError> {
    let sql = format!("select {LINK_COLUMNS} from connect_links where id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, LinkRow>(&sql).bind(id).fetch_optional(pool).await
    })?;
    Ok(row)
}

/// Uses the link up for `connection_id`; false when it already was, or expired.
pub async fn use_link(
    tx: &mut Tx,
    id: &ConnectLinkId,
    connection_id: &ConnectionId,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connect_links set used_at = $1, connection_id = $2 \
             where id = $3 and used_at is null and expires_at > $1",
        )
        .bind(now)
        .bind(connection_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

// ---------------------------------------------------------------- OAuth states

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StateRow {
    pub state_hash: String,
    pub link_id: ConnectLinkId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub browser_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Started in a popup (`?display=popup`): the result goes to the opener.
    pub popup: bool,
}

/// Stores a new state for its link and invalidates (deletes) the link's
/// oldest outstanding ones (unused, unexpired) beyond the newest `keep`, in
/// one transaction: a link never has more than `keep` live attempts. Answers
/// how many were invalidated.
pub async fn insert_state_keeping(db: &Db, row: &StateRow, keep: i64) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query(
            "insert into oauth_states (state_hash, link_id, workspace_id, environment_id, \
             browser_hash, created_at, expires_at, popup) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.state_hash)
        .bind(&row.link_id)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.browser_hash)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.popup)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let dropped = on_tx!(&mut tx, conn => {
        sqlx::query(
            "delete from oauth_states \
             where link_id = $1 and used_at is null and expires_at > $2 \
             and state_hash not in (\
               select state_hash from oauth_states \
               where link_id = $1 and used_at is null and expires_at > $2 \
               order by created_at desc, state_hash desc limit $3)",
        )
        .bind(&row.link_id)
        .bind(row.created_at)
        .bind(keep)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(dropped)
}

pub async fn find_state(db: &Db, state_hash: &str) -> Result<Option<StateRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, StateRow>(
            "select state_hash, link_id, workspace_id, environment_id, browser_hash, created_at, \
             expires_at, used_at, popup from oauth_states where state_hash = $1",
        )
        .bind(state_hash)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// Marks the state used if it is unused, unexpired and bound to this browser:
/// one statement, so of two callbacks with the same state exactly one wins.
pub async fn consume_state(
    db: &Db,
    state_hash: &str,
    browser_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update oauth_states set used_at = $1 \
             where state_hash = $2 and browser_hash = $3 and used_at is null and expires_at > $1",
        )
        .bind(now)
        .bind(state_hash)
        .bind(browser_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Removes states that expired before `before` (kept a while so a late
/// callback is told "expired" rather than "unknown").
pub async fn delete_old_states(db: &Db, before: i64) -> Result<u64, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query("delete from oauth_states where expires_at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done)
}

// ---------------------------------------------------------------- connections

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: ConnectionId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub account_id: String,
    pub account_username: String,
    pub account_type: String,
    pub scopes_granted: String,
    pub scopes_required: String,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub token_version: i64,
    pub health: Health,
    pub health_reason: String,
    pub health_since: i64,
    pub created_at: i64,
    pub authorized_at: i64,
    pub last_refresh_at: Option<i64>,
    pub refresh_count: i64,
    pub next_refresh_at: Option<i64>,
    pub refresh_failures: i64,
    pub last_refresh_error: Option<String>,
    pub next_probe_at: Option<i64>,
    pub last_probe_at: Option<i64>,
    pub account_mismatch: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub lease_fence: i64,
}

const COLUMNS: &str = "id, workspace_id, environment_id, end_user_id, display_name, account_id, \
     account_username, account_type, scopes_granted, scopes_required, access_token, \
     refresh_token, access_expires_at, refresh_expires_at, token_version, health, health_reason, \
     health_since, created_at, authorized_at, last_refresh_at, refresh_count, next_refresh_at, \
     refresh_failures, last_refresh_error, next_probe_at, last_probe_at, account_mismatch, \
     lease_owner, lease_until, lease_fence";

/// The same columns qualified by the table alias `c` (for joins and CTEs).
fn qualified() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn find(
    db: &Db,
    workspace_id: &WorkspaceId,
    id: &ConnectionId,
) -> Result<Option<ConnectionRow>, DbError> {
    let sql = format!("select {COLUMNS} from connections where workspace_id = $1 and id = $2");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// By id alone: for the scheduler and token callers that already hold a lease or
/// were handed the id by pinbridge itself.
pub async fn find_by_id(db: &Db, id: &ConnectionId) -> Result<Option<ConnectionRow>, DbError> {
    let sql = format!("select {COLUMNS} from connections where id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(&sql).bind(id).fetch_optional(pool).await
    })?;
    Ok(row)
}

/// The end user's connection in the environment, if any.
pub async fn find_by_end_user(
    db: &Db,
    environment_id: &EnvironmentId,
    end_user_id: &str,
) -> Result<Option<ConnectionRow>, DbError> {
    let sql =
        format!("select {COLUMNS} from connections where environment_id = $1 and end_user_id = $2");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(&sql)
            .bind(environment_id)
            .bind(end_user_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

pub async fn find_by_end_user_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    end_user_id: &str,
) -> Result<Option<ConnectionRow>, DbError> {
    let sql =
        format!("select {COLUMNS} from connections where environment_id = $1 and end_user_id = $2");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, ConnectionRow>(&sql)
            .bind(environment_id)
            .bind(end_user_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// Binds every column of `$row`, in [`COLUMNS`] order, to `$query`.
macro_rules! bind_connection {
    ($query:expr, $r:expr) => {
        $query
            .bind(&$r.id)
            .bind(&$r.workspace_id)
            .bind(&$r.environment_id)
            .bind(&$r.end_user_id)
            .bind(&$r.display_name)
            .bind(&$r.account_id)
            .bind(&$r.account_username)
            .bind(&$r.account_type)
            .bind(&$r.scopes_granted)
            .bind(&$r.scopes_required)
            .bind(&$r.access_token)
            .bind(&$r.refresh_token)
            .bind($r.access_expires_at)
            .bind($r.refresh_expires_at)
            .bind($r.token_version)
            .bind($r.health)
            .bind(&$r.health_reason)
            .bind($r.health_since)
            .bind($r.created_at)
            .bind($r.authorized_at)
            .bind($r.last_refresh_at)
            .bind($r.refresh_count)
            .bind($r.next_refresh_at)
            .bind($r.refresh_failures)
            .bind(&$r.last_refresh_error)
            .bind($r.next_probe_at)
            .bind($r.last_probe_at)
            .bind(&$r.account_mismatch)
            .bind(&$r.lease_owner)
            .bind($r.lease_until)
            .bind($r.lease_fence)
    };
}

/// `insert into connections (…) values ($1, …, $31)` followed by `tail`.
fn insert_sql(tail: &str) -> String {
    let placeholders = (1..=COLUMNS.split(", ").count())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("insert into connections ({COLUMNS}) values ({placeholders}){tail}")
}

/// Inserts a connection. One the end user already has in the environment
/// fails with a unique violation. (For tests that need connections to exist.)
#[cfg(feature = "testing")]
pub async fn insert(tx: &mut Tx, r: &ConnectionRow) -> Result<(), DbError> {
    let sql = insert_sql("");
    on_tx!(tx, conn => {
        bind_connection!(sqlx::query(&sql), r).execute(conn).await.map(|_| ())
    })?;
    Ok(())
}

/// Inserts a connection unless the end user has one in the environment;
/// answers whether it did. On PostgreSQL an insert racing another
/// transaction's for the same end user waits for it, then does nothing.
pub async fn insert_unless_end_user_has_one(
    tx: &mut Tx,
    r: &ConnectionRow,
) -> Result<bool, DbError> {
    let sql = insert_sql(" on conflict (environment_id, end_user_id) do nothing");
    let inserted = on_tx!(tx, conn => {
        bind_connection!(sqlx::query(&sql), r)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(inserted == 1)
}

/// A new authorization over an existing connection: new account, scopes and
/// tokens, state back to what the handshake decided; the id stays.
pub async fn reauthorize(tx: &mut Tx, r: &ConnectionRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update connections set display_name = $1, account_id = $2, account_username = $3, \
             account_type = $4, scopes_granted = $5, scopes_required = $6, access_token = $7, \
             refresh_token = $8, access_expires_at = $9, refresh_expires_at = $10, \
             token_version = token_version + 1, health = $11, health_reason = $12, \
             health_since = $13, authorized_at = $14, next_refresh_at = $15, refresh_failures = 0, \
             last_refresh_error = null, next_probe_at = $16, account_mismatch = null \
             where id = $17",
        )
        .bind(&r.display_name)
        .bind(&r.account_id)
        .bind(&r.account_username)
        .bind(&r.account_type)
        .bind(&r.scopes_granted)
        .bind(&r.scopes_required)
        .bind(&r.access_token)
        .bind(&r.refresh_token)
        .bind(r.access_expires_at)
        .bind(r.refresh_expires_at)
        .bind(r.health)
        .bind(&r.health_reason)
        .bind(r.health_since)
        .bind(r.authorized_at)
        .bind(r.next_refresh_at)
        .bind(r.next_probe_at)
        .bind(&r.id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// A position in an environment's list of connections, which runs newest
/// first: a connection's creation time, then its id (ids break ties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: ConnectionId,
}

impl Cursor {
    pub fn of(row: &ConnectionRow) -> Self {
        Self {
            created_at: row.created_at,
            id: row.id.clone(),
        }
    }
}

/// Where a page of the list starts, and so which way it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// The newest connections.
    Newest,
    /// Those after the cursor (older than it).
    After(Cursor),
    /// Those before the cursor (newer than it).
    Before(Cursor),
    /// The oldest connections.
    Oldest,
}

impl Position {
    /// Whether the page is read oldest first (and then turned around).
    pub fn ascending(&self) -> bool {
        matches!(self, Position::Before(_) | Position::Oldest)
    }

    pub fn cursor(&self) -> Option<&Cursor> {
        match self {
            Position::After(c) | Position::Before(c) => Some(c),
            Position::Newest | Position::Oldest => None,
        }
    }
}

/// `lower(column)` as the search indexes hold it: on PostgreSQL compared byte
/// by byte (`collate "C"`), so that the names starting with a text are one range.
fn folded(db: &Db, column: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("lower({column})"),
        Db::Postgres(_) => format!("(lower({column}) collate \"C\")"),
    }
}

/// The columns a search matches, in the order [`SearchFields`] holds them.
pub const SEARCHED: [&str; 3] = ["end_user_id", "display_name", "account_username"];

/// Above every character: `text` followed by it is past every name that
/// starts with `text` (in byte order).
const PAST_PREFIX: char = char::MAX;

/// The statement [`list`] runs: the environment's connections (in `health`
/// when set) from `position`, `limit` of them in the order they are read,
/// `columns` of each. It walks `connections_list` (or `connections_state_list`)
/// from the position: the last page costs what the first does.
pub fn list_statement(
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    health: Option<Health>,
    end_user_id: Option<&str>,
    position: &Position,
    limit: i64,
    columns: &str,
) -> Statement {
    let mut st = Statement::default();
    let mut sql = format!(
        "select {columns} from connections where environment_id = {} and workspace_id = {}",
        st.text(environment_id.as_str()),
        st.text(workspace_id.as_str())
    );
    if let Some(h) = health {
        sql.push_str(&format!(" and health = {}", st.text(h.as_str())));
    }
    if let Some(end_user_id) = end_user_id {
        // One end user has at most one connection here (a unique index).
        sql.push_str(&format!(" and end_user_id = {}", st.text(end_user_id)));
    }
    let (cmp, order) = if position.ascending() {
        (">", "asc")
    } else {
        ("<", "desc")
    };
    if let Some(c) = position.cursor() {
        // `created_at` bounds the index range; the id breaks ties.
        let at = st.int(c.created_at);
        let id = st.text(c.id.as_str());
        sql.push_str(&format!(
            " and created_at {cmp}= {at} and (created_at {cmp} {at} or id {cmp} {id})"
        ));
    }
    sql.push_str(&format!(
        " order by created_at {order}, id {order} limit {}",
        st.int(limit)
    ));
    st.sql = sql;
    st
}

/// Up to `limit` of the environment's connections (in `health` when set) from
/// `position`, in the order they are read: newest first, or oldest first for
/// [`Position::Before`] and [`Position::Oldest`].
pub async fn list(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    health: Option<Health>,
    position: &Position,
    limit: i64,
) -> Result<Vec<ConnectionRow>, DbError> {
    let st = list_statement(
        workspace_id,
        environment_id,
        health,
        None,
        position,
        limit,
        COLUMNS,
    );
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, ConnectionRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// The connections `ids` of the workspace, in the order of `ids`.
pub async fn find_many(
    db: &Db,
    workspace_id: &WorkspaceId,
    ids: &[ConnectionId],
) -> Result<Vec<ConnectionRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut st = Statement::default();
    let ws = st.text(workspace_id.as_str());
    let list = ids
        .iter()
        .map(|id| st.text(id.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    st.sql =
        format!("select {COLUMNS} from connections where workspace_id = {ws} and id in ({list})");
    let mut rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, ConnectionRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    rows.sort_by_key(|r| ids.iter().position(|id| id == &r.id));
    Ok(rows)
}

/// Whether the environment has the connection `cursor` names, made at its
/// time (a page link's position is one of its connections).
pub async fn cursor_exists(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    cursor: &Cursor,
) -> Result<bool, DbError> {
    let found: Option<(i32,)> = on_pool!(db, pool => {
        sqlx::query_as(
            "select 1 from connections where id = $1 and workspace_id = $2 \
             and environment_id = $3 and created_at = $4",
        )
        .bind(&cursor.id)
        .bind(workspace_id)
        .bind(environment_id)
        .bind(cursor.created_at)
        .fetch_optional(pool)
        .await
    })?;
    Ok(found.is_some())
}

/// `text` lower-cased by the database itself, as the search indexes fold names.
pub async fn fold(db: &Db, text: &str) -> Result<String, DbError> {
    let folded: (String,) = on_pool!(db, pool => {
        sqlx::query_as("select lower($1)").bind(text).fetch_one(pool).await
    })?;
    Ok(folded.0)
}

/// One connection a search found: where it is in the list, and its state.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Candidate {
    pub created_at: i64,
    pub id: ConnectionId,
    pub health: Health,
}

/// The statement that finds, through its index, up to `cap` connections of
/// the environment whose `column` (one of [`SEARCHED`]) starts with `prefix`
/// (already folded): a range of `connections_search_*`.
pub fn search_statement(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    column: &str,
    prefix: &str,
    cap: i64,
) -> Statement {
    let mut st = Statement::default();
    let env = st.text(environment_id.as_str());
    let low = st.text(prefix);
    let high = st.text(format!("{prefix}{PAST_PREFIX}"));
    let ws = st.text(workspace_id.as_str());
    let limit = st.int(cap);
    let name = folded(db, column);
    st.sql = format!(
        "select created_at, id, health from connections where environment_id = {env} \
         and {name} >= {low} and {name} < {high} and workspace_id = {ws} limit {limit}"
    );
    st
}

/// The environment's connections whose end user id, display name or
/// username starts with `prefix` (already [`fold`]ed), at most `cap` found per
/// column (one index range each), without repeats; and whether a column had
/// more than `cap` (then the answer is not all of them).
pub async fn search_candidates(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    prefix: &str,
    cap: i64,
) -> Result<(Vec<Candidate>, bool), DbError> {
    let mut found: Vec<Candidate> = Vec::new();
    let mut capped = false;
    for column in SEARCHED {
        let st = search_statement(db, workspace_id, environment_id, column, prefix, cap + 1);
        let rows = on_pool!(db, pool => {
            bind_args!(sqlx::query_as::<_, Candidate>(&st.sql), &st.args)
                .fetch_all(pool)
                .await
        })?;
        capped |= rows.len() as i64 > cap;
        for row in rows {
            if !found.iter().any(|f| f.id == row.id) {
                found.push(row);
            }
        }
    }
    Ok((found, capped))
}

/// What a search compares of one connection: its position and its searched
/// names, lower-cased by the database.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SearchFields {
    pub created_at: i64,
    pub id: ConnectionId,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub account_username: String,
}

impl SearchFields {
    /// Whether one of the names starts with `prefix` (folded the same way).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.end_user_id.starts_with(prefix)
            || self
                .display_name
                .as_deref()
                .is_some_and(|n| n.starts_with(prefix))
            || self.account_username.starts_with(prefix)
    }
}

/// [`list`]'s walk with only what a search compares: for a search that
/// matches too many connections to sort them all, the list is read in order
/// and each window's names are compared as they come.
pub async fn search_window(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    health: Option<Health>,
    position: &Position,
    limit: i64,
) -> Result<Vec<SearchFields>, DbError> {
    let st = list_statement(
        workspace_id,
        environment_id,
        health,
        None,
        position,
        limit,
        "created_at, id, lower(end_user_id) as end_user_id, lower(display_name) as display_name, \
         lower(account_username) as account_username",
    );
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, SearchFields>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// What the API's connection list filters by, and where its page starts.
#[derive(Clone, Debug, Default)]
pub struct PageQuery {
    pub end_user_id: Option<String>,
    pub health: Option<Health>,
    /// The last row of the previous page: (created_at, id).
    pub after: Option<(i64, ConnectionId)>,
    pub limit: i64,
}

/// One page of the environment's connections, newest first, by keyset: rows
/// created before `after` (ties broken by id), so a page never repeats or skips
/// a row when connections are added meanwhile.
pub async fn page(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    q: &PageQuery,
) -> Result<Vec<ConnectionRow>, DbError> {
    let position = q.after.as_ref().map_or(Position::Newest, |(at, id)| {
        Position::After(Cursor {
            created_at: *at,
            id: id.clone(),
        })
    });
    let st = list_statement(
        workspace_id,
        environment_id,
        q.health,
        q.end_user_id.as_deref(),
        &position,
        q.limit,
        COLUMNS,
    );
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, ConnectionRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// How many connections each environment of the workspace has in each state
/// (states with none left out), from `connection_counts`.
pub async fn counts(
    db: &Db,
    workspace_id: &WorkspaceId,
) -> Result<Vec<(EnvironmentId, Health, i64)>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (EnvironmentId, Health, i64)>(
            "select c.environment_id, c.health, c.n from connection_counts c \
             join environments e on e.id = c.environment_id \
             where e.workspace_id = $1 and c.n > 0",
        )
        .bind(workspace_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// How many connections one environment of the workspace has in each state
/// (states with none left out): five rows of `connection_counts`.
pub async fn counts_in(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<(Health, i64)>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (Health, i64)>(
            "select c.health, c.n from connection_counts c \
             join environments e on e.id = c.environment_id \
             where c.environment_id = $1 and e.workspace_id = $2 and c.n > 0",
        )
        .bind(environment_id)
        .bind(workspace_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// How many connections every environment has per state, across workspaces
/// (for `/metrics`), from `connection_counts`.
pub async fn count_by_environment(db: &Db) -> Result<Vec<(EnvironmentId, Health, i64)>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (EnvironmentId, Health, i64)>(
            "select environment_id, health, n from connection_counts where n > 0",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// Connections that still hold tokens in the environment (revoked ones hold none).
pub async fn count_live_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<i64, DbError> {
    let row: (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "select count(*) from connections where workspace_id = $1 and environment_id = $2 \
             and health <> 'revoked'",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .fetch_one(conn)
        .await
    })?;
    Ok(row.0)
}

/// Deletes our tokens and marks the connection revoked. False if it was gone.
pub async fn disconnect_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &ConnectionId,
    reason: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connections set access_token = null, refresh_token = null, \
             access_expires_at = null, refresh_expires_at = null, \
             token_version = token_version + 1, health = 'revoked', health_reason = $1, \
             health_since = $2, next_refresh_at = null, next_probe_at = null, \
             lease_owner = null, lease_until = null, lease_fence = lease_fence + 1 \
             where workspace_id = $3 and id = $4 and health <> 'revoked'",
        )
        .bind(reason)
        .bind(now)
        .bind(workspace_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

// ---------------------------------------------------------------- leases

/// Which work the scheduler claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Refresh,
    Probe,
}

impl Due {
    fn column(self) -> &'static str {
        match self {
            Due::Refresh => "next_refresh_at",
            Due::Probe => "next_probe_at",
        }
    }
}

/// Takes the lease on one connection if nobody holds it (or theirs lapsed).
/// The returned row carries the new `lease_fence`.
pub async fn claim(
    db: &Db,
    id: &ConnectionId,
    owner: &str,
    now: i64,
    until: i64,
) -> Result<Option<ConnectionRow>, DbError> {
    let sql = format!(
        "update connections set lease_owner = $1, lease_until = $2, lease_fence = lease_fence + 1 \
         where id = $3 and health <> 'revoked' and (lease_until is null or lease_until <= $4) \
         returning {COLUMNS}"
    );
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(&sql)
            .bind(owner)
            .bind(until)
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// The statement [`claim_due`] runs: the longest-due connections of `due`'s
/// kind, by `connections_refresh_due` (or `connections_probe_due`), leased.
pub fn claim_due_statement(
    db: &Db,
    due: Due,
    owner: &str,
    now: i64,
    until: i64,
    limit: i64,
) -> Statement {
    let column = due.column();
    let states = match due {
        Due::Refresh => "('active', 'degraded')",
        Due::Probe => "('active', 'degraded', 'needs_reauth', 'insufficient_scope')",
    };
    let mut st = Statement::default();
    let (owner, until, now, limit) = (st.text(owner), st.int(until), st.int(now), st.int(limit));
    st.sql = match db {
        Db::Postgres(_) => format!(
            "with due as (select id from connections \
               where {column} <= {now} and health in {states} \
               and (lease_until is null or lease_until <= {now}) \
               order by {column} limit {limit} for update skip locked) \
             update connections c set lease_owner = {owner}, lease_until = {until}, \
               lease_fence = c.lease_fence + 1 \
             from due where c.id = due.id returning {}",
            qualified()
        ),
        Db::Sqlite(_) => format!(
            "update connections set lease_owner = {owner}, lease_until = {until}, \
               lease_fence = lease_fence + 1 \
             where id in (select id from connections \
               where {column} <= {now} and health in {states} \
               and (lease_until is null or lease_until <= {now}) \
               order by {column} limit {limit}) \
             returning {COLUMNS}"
        ),
    };
    st
}

/// Takes the lease on up to `limit` connections whose refresh (or probe) is due.
/// On PostgreSQL rows another instance is claiming are skipped (`for update skip
/// locked`); SQLite runs the statement under its single write lock.
pub async fn claim_due(
    db: &Db,
    due: Due,
    owner: &str,
    now: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<ConnectionRow>, DbError> {
    let st = claim_due_statement(db, due, owner, now, until, limit);
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, ConnectionRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Extends a held lease to `until`; false when it is no longer ours (another
/// process claimed the connection since: the fence moved) or was given back.
pub async fn extend_lease(
    db: &Db,
    id: &ConnectionId,
    fence: i64,
    until: i64,
) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update connections set lease_until = $1 \
             where id = $2 and lease_fence = $3 and lease_owner is not null",
        )
        .bind(until)
        .bind(id)
        .bind(fence)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Gives the lease back (only if it is still ours).
pub async fn release(db: &Db, id: &ConnectionId, fence: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "update connections set lease_owner = null, lease_until = null \
             where id = $1 and lease_fence = $2",
        )
        .bind(id)
        .bind(fence)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Moves a refresh the holder could not attempt (integration disabled or gone)
/// to `at`, so the scheduler does not claim it again at once.
pub async fn postpone_refresh(
    db: &Db,
    id: &ConnectionId,
    fence: i64,
    at: i64,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update connections set next_refresh_at = $1 where id = $2 and lease_fence = $3")
            .bind(at)
            .bind(id)
            .bind(fence)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// New tokens from a refresh. They are written only over the token version the
/// refresh read: Pinterest accepts a refresh token once, so if the version moved
/// another refresh already stored the live pair.
#[derive(Clone, Debug)]
pub struct StoreTokens {
    pub id: ConnectionId,
    pub expected_version: i64,
    pub fence: i64,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: Option<i64>,
    pub scopes_granted: String,
    pub now: i64,
    pub next_refresh_at: i64,
    pub health: Health,
    pub health_reason: String,
    pub health_since: i64,
}

pub async fn store_tokens_tx(tx: &mut Tx, s: &StoreTokens) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connections set access_token = $1, refresh_token = $2, \
             access_expires_at = $3, refresh_expires_at = $4, scopes_granted = $5, \
             token_version = token_version + 1, last_refresh_at = $6, \
             refresh_count = refresh_count + 1, next_refresh_at = $7, refresh_failures = 0, \
             last_refresh_error = null, health = $8, health_reason = $9, health_since = $10, \
             lease_owner = case when lease_fence = $11 then null else lease_owner end, \
             lease_until = case when lease_fence = $11 then null else lease_until end \
             where id = $12 and token_version = $13 and health <> 'revoked'",
        )
        .bind(&s.access_token)
        .bind(&s.refresh_token)
        .bind(s.access_expires_at)
        .bind(s.refresh_expires_at)
        .bind(&s.scopes_granted)
        .bind(s.now)
        .bind(s.next_refresh_at)
        .bind(s.health)
        .bind(&s.health_reason)
        .bind(s.health_since)
        .bind(s.fence)
        .bind(&s.id)
        .bind(s.expected_version)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// A refresh that did not store tokens: new state, when to try again, why.
/// Written only while the lease is ours, and releases it.
#[derive(Clone, Debug)]
pub struct RefreshFailed {
    pub id: ConnectionId,
    pub fence: i64,
    pub expected_version: i64,
    pub health: Health,
    pub health_reason: String,
    pub health_since: i64,
    pub next_refresh_at: Option<i64>,
    pub failures: i64,
    pub error: String,
}

pub async fn record_refresh_failure_tx(tx: &mut Tx, f: &RefreshFailed) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connections set health = $1, health_reason = $2, health_since = $3, \
             next_refresh_at = $4, refresh_failures = $5, last_refresh_error = $6, \
             lease_owner = null, lease_until = null \
             where id = $7 and lease_fence = $8 and token_version = $9 and health <> 'revoked'",
        )
        .bind(f.health)
        .bind(&f.health_reason)
        .bind(f.health_since)
        .bind(f.next_refresh_at)
        .bind(f.failures)
        .bind(&f.error)
        .bind(&f.id)
        .bind(f.fence)
        .bind(f.expected_version)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

// ---------------------------------------------------------------- probes

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProbeRow {
    pub id: ProbeId,
    pub connection_id: ConnectionId,
    pub workspace_id: WorkspaceId,
    pub checked_at: i64,
    pub trigger: Trigger,
    pub outcome: ProbeOutcome,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub account_id: Option<String>,
    pub account_username: Option<String>,
    pub account_changed: bool,
}

/// What a probe changes on the connection besides its history.
#[derive(Clone, Debug)]
pub struct ProbeEffect {
    pub fence: i64,
    pub health: Health,
    pub health_reason: String,
    pub health_since: i64,
    pub next_probe_at: i64,
    pub account_mismatch: Option<String>,
}

/// Stores a probe and its effect on the connection, if the lease is still ours.
pub async fn record_probe_tx(
    tx: &mut Tx,
    probe: &ProbeRow,
    effect: &ProbeEffect,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connections set health = $1, health_reason = $2, health_since = $3, \
             next_probe_at = $4, last_probe_at = $5, account_mismatch = $6, \
             lease_owner = null, lease_until = null \
             where id = $7 and lease_fence = $8 and health <> 'revoked'",
        )
        .bind(effect.health)
        .bind(&effect.health_reason)
        .bind(effect.health_since)
        .bind(effect.next_probe_at)
        .bind(probe.checked_at)
        .bind(&effect.account_mismatch)
        .bind(&probe.connection_id)
        .bind(effect.fence)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if done != 1 {
        return Ok(false);
    }
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into connection_probes (id, connection_id, workspace_id, checked_at, trigger, \
             outcome, latency_ms, http_status, error_code, error_message, account_id, \
             account_username, account_changed) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&probe.id)
        .bind(&probe.connection_id)
        .bind(&probe.workspace_id)
        .bind(probe.checked_at)
        .bind(probe.trigger)
        .bind(probe.outcome)
        .bind(probe.latency_ms)
        .bind(probe.http_status)
        .bind(probe.error_code)
        .bind(&probe.error_message)
        .bind(&probe.account_id)
        .bind(&probe.account_username)
        .bind(probe.account_changed)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(true)
}

/// The statement [`recent_probes`] runs: the newest of one connection's
/// probes, by `connection_probes_connection`.
pub fn recent_probes_statement(
    workspace_id: &WorkspaceId,
    connection_id: &ConnectionId,
    limit: i64,
) -> Statement {
    let mut st = Statement::default();
    st.sql = format!(
        "select id, connection_id, workspace_id, checked_at, trigger, outcome, latency_ms, \
         http_status, error_code, error_message, account_id, account_username, account_changed \
         from connection_probes where connection_id = {} and workspace_id = {} \
         order by checked_at desc, id desc limit {}",
        st.text(connection_id.as_str()),
        st.text(workspace_id.as_str()),
        st.int(limit)
    );
    st
}

pub async fn recent_probes(
    db: &Db,
    workspace_id: &WorkspaceId,
    connection_id: &ConnectionId,
    limit: i64,
) -> Result<Vec<ProbeRow>, DbError> {
    let st = recent_probes_statement(workspace_id, connection_id, limit);
    let rows = on_pool!(db, pool => {
        bind_args!(sqlx::query_as::<_, ProbeRow>(&st.sql), &st.args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Makes every probe-able connection in the environment due now, for "Check all".
pub async fn make_probes_due_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    now: i64,
) -> Result<u64, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update connections set next_probe_at = $1 \
             where workspace_id = $2 and environment_id = $3 and health <> 'revoked'",
        )
        .bind(now)
        .bind(workspace_id)
        .bind(environment_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// Makes one connection's probe due now ("Check now" hands it to the scheduler
/// when the connection is busy).
pub async fn make_probe_due(db: &Db, id: &ConnectionId, now: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update connections set next_probe_at = $1 where id = $2")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

// ---------------------------------------------------------------- health runs

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HealthRunRow {
    pub id: HealthRunId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub started_by: String,
    pub started_at: i64,
    pub total: i64,
}

pub async fn insert_run_tx(tx: &mut Tx, row: &HealthRunRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into health_runs (id, workspace_id, environment_id, started_by, started_at, total) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.started_by)
        .bind(row.started_at)
        .bind(row.total)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The environment's latest "Check all", and how many of its connections it
/// has yet to probe: those still due from before it started. (Each probe moves
/// its connection's next probe past the start; counting those probed since
/// would count every connection once the run is done, on every page load.)
pub async fn latest_run(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Option<(HealthRunRow, i64)>, DbError> {
    let run = on_pool!(db, pool => {
        sqlx::query_as::<_, HealthRunRow>(
            "select id, workspace_id, environment_id, started_by, started_at, total \
             from health_runs where workspace_id = $1 and environment_id = $2 \
             order by started_at desc, id desc limit 1",
        )
        .bind(workspace_id)
        .bind(environment_id)
        .fetch_optional(pool)
        .await
    })?;
    let Some(run) = run else {
        return Ok(None);
    };
    let st = run_remaining_statement(workspace_id, environment_id, run.started_at);
    let remaining: (i64,) = on_pool!(db, pool => {
        bind_args!(sqlx::query_as(&st.sql), &st.args).fetch_one(pool).await
    })?;
    Ok(Some((run, remaining.0)))
}

/// The statement [`latest_run`] counts with: a range of
/// `connections_probe_due_by_environment`, empty once the run is done.
pub fn run_remaining_statement(
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    started_at: i64,
) -> Statement {
    let mut st = Statement::default();
    st.sql = format!(
        "select count(*) from connections where environment_id = {} and next_probe_at <= {} \
         and workspace_id = {}",
        st.text(environment_id.as_str()),
        st.int(started_at),
        st.text(workspace_id.as_str())
    );
    st
}
