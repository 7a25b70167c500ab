//! `pinterest_settings`: each environment's Pinterest app. Every statement is
//! scoped by workspace id as well as environment id.

use crate::accounts::{EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::{CheckOutcome, PinterestApi};

/// One environment's settings as stored. `client_secret` is the sealed form.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PinterestSettingsRow {
    pub environment_id: EnvironmentId,
    pub workspace_id: WorkspaceId,
    pub client_id: String,
    pub client_secret: String,
    pub secret_last4: String,
    pub secret_set_by: String,
    pub secret_set_at: i64,
    pub scopes: String,
    pub api: PinterestApi,
    pub enabled: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub checked_at: Option<i64>,
    pub checked_by: Option<String>,
    pub check_outcome: Option<CheckOutcome>,
    pub check_http_status: Option<i32>,
    pub check_latency_ms: Option<i64>,
    pub check_summary: Option<String>,
    pub check_message: Option<String>,
}

const COLUMNS: &str = "environment_id, workspace_id, client_id, client_secret, secret_last4, \
     secret_set_by, secret_set_at, scopes, api, enabled, version, updated_by, updated_at, \
     checked_at, checked_by, check_outcome, check_http_status, check_latency_ms, check_summary, \
     check_message";

pub async fn find(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Option<PinterestSettingsRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from pinterest_settings where workspace_id = $1 and environment_id = $2"
    );
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, PinterestSettingsRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// [`find`] inside a transaction.
pub async fn find_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Option<PinterestSettingsRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from pinterest_settings where workspace_id = $1 and environment_id = $2"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, PinterestSettingsRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// The columns a save writes, in the order [`bind_settings!`] binds them.
const SETTINGS: [&str; 18] = [
    "client_id",
    "client_secret",
    "secret_last4",
    "secret_set_by",
    "secret_set_at",
    "scopes",
    "api",
    "enabled",
    "version",
    "updated_by",
    "updated_at",
    "checked_at",
    "checked_by",
    "check_outcome",
    "check_http_status",
    "check_latency_ms",
    "check_summary",
    "check_message",
];

/// Binds a row's [`SETTINGS`] columns, in order, to a query.
macro_rules! bind_settings {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.client_id)
            .bind(&$row.client_secret)
            .bind(&$row.secret_last4)
            .bind(&$row.secret_set_by)
            .bind($row.secret_set_at)
            .bind(&$row.scopes)
            .bind($row.api)
            .bind($row.enabled)
            .bind($row.version)
            .bind(&$row.updated_by)
            .bind($row.updated_at)
            .bind($row.checked_at)
            .bind(&$row.checked_by)
            .bind($row.check_outcome)
            .bind($row.check_http_status)
            .bind($row.check_latency_ms)
            .bind(&$row.check_summary)
            .bind(&$row.check_message)
    };
}

/// Inserts an environment's first settings. A row already there (another
/// admin's first save) fails with a unique violation.
pub async fn insert(tx: &mut Tx, row: &PinterestSettingsRow) -> Result<(), DbError> {
    let placeholders: Vec<String> = (3..3 + SETTINGS.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "insert into pinterest_settings (workspace_id, environment_id, {}) values ($1, $2, {})",
        SETTINGS.join(", "),
        placeholders.join(", ")
    );
    on_tx!(tx, conn => {
        bind_settings!(
            sqlx::query(&sql).bind(&row.workspace_id).bind(&row.environment_id),
            row
        )
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Writes every column of `row` if the stored version is still `expected`;
/// answers whether it did. A concurrent change makes it answer false.
pub async fn update_if_version(
    tx: &mut Tx,
    row: &PinterestSettingsRow,
    expected: i64,
) -> Result<bool, DbError> {
    let n = SETTINGS.len();
    let assignments: Vec<String> = SETTINGS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ${}", i + 1))
        .collect();
    let sql = format!(
        "update pinterest_settings set {} where workspace_id = ${} and environment_id = ${} and version = ${}",
        assignments.join(", "),
        n + 1,
        n + 2,
        n + 3
    );
    let n = on_tx!(tx, conn => {
        bind_settings!(sqlx::query(&sql), row)
            .bind(&row.workspace_id)
            .bind(&row.environment_id)
            .bind(expected)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Deletes an environment's settings; answers whether there were any.
pub async fn delete(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("delete from pinterest_settings where workspace_id = $1 and environment_id = $2")
            .bind(workspace_id)
            .bind(environment_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Turns the integration on or off; answers whether the settings exist.
pub async fn set_enabled(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    enabled: bool,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "update pinterest_settings set enabled = $1 where workspace_id = $2 and environment_id = $3",
        )
        .bind(enabled)
        .bind(workspace_id)
        .bind(environment_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// A credential check's result, as stored.
#[derive(Clone, Debug)]
pub struct StoredCheck {
    pub checked_at: i64,
    pub checked_by: String,
    pub outcome: CheckOutcome,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    pub summary: String,
    pub message: Option<String>,
}

/// Stores a check's result if the settings are still at `version` (the
/// credentials it checked); answers whether it did.
pub async fn record_check(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    version: i64,
    check: &StoredCheck,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "update pinterest_settings set checked_at = $1, checked_by = $2, check_outcome = $3, \
             check_http_status = $4, check_latency_ms = $5, check_summary = $6, check_message = $7 \
             where workspace_id = $8 and environment_id = $9 and version = $10",
        )
        .bind(check.checked_at)
        .bind(&check.checked_by)
        .bind(check.outcome)
        .bind(check.http_status)
        .bind(check.latency_ms)
        .bind(&check.summary)
        .bind(&check.message)
        .bind(workspace_id)
        .bind(environment_id)
        .bind(version)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
