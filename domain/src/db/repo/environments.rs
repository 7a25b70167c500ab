//! `environments`: each workspace's Development, Production and any others.
//! Every statement is scoped by workspace id.

use crate::accounts::{EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EnvironmentRow {
    pub id: EnvironmentId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, workspace_id, name, slug, created_at";

/// Inserts an environment. A name or slug taken in the workspace fails with a
/// unique violation.
pub async fn insert(tx: &mut Tx, row: &EnvironmentRow, name_folded: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into environments (id, workspace_id, name, name_folded, slug, created_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.name)
        .bind(name_folded)
        .bind(&row.slug)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The workspace's environments, oldest first (Development, Production, …).
pub async fn list(db: &Db, workspace_id: &WorkspaceId) -> Result<Vec<EnvironmentRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from environments where workspace_id = $1 order by created_at, id"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, EnvironmentRow>(&sql)
            .bind(workspace_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

pub async fn find(
    db: &Db,
    workspace_id: &WorkspaceId,
    id: &EnvironmentId,
) -> Result<Option<EnvironmentRow>, DbError> {
    let sql = format!("select {COLUMNS} from environments where workspace_id = $1 and id = $2");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, EnvironmentRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// An environment by id alone, whatever its workspace: for a URL that names
/// it (an MCP URL), never for a person's request.
pub async fn find_any(db: &Db, id: &EnvironmentId) -> Result<Option<EnvironmentRow>, DbError> {
    let sql = format!("select {COLUMNS} from environments where id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, EnvironmentRow>(&sql).bind(id).fetch_optional(pool).await
    })?;
    Ok(row)
}

/// [`find`] inside a transaction.
pub async fn find_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &EnvironmentId,
) -> Result<Option<EnvironmentRow>, DbError> {
    let sql = format!("select {COLUMNS} from environments where workspace_id = $1 and id = $2");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, EnvironmentRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// The environment a URL segment names.
pub async fn find_by_slug(
    db: &Db,
    workspace_id: &WorkspaceId,
    slug: &str,
) -> Result<Option<EnvironmentRow>, DbError> {
    let sql = format!("select {COLUMNS} from environments where workspace_id = $1 and slug = $2");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, EnvironmentRow>(&sql)
            .bind(workspace_id)
            .bind(slug)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// Whether another environment of the workspace has this name (case folded).
pub async fn name_taken(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    name_folded: &str,
    except: Option<&EnvironmentId>,
) -> Result<bool, DbError> {
    let found = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i32>(
            "select 1 from environments \
             where workspace_id = $1 and name_folded = $2 and ($3 is null or id <> $3)",
        )
        .bind(workspace_id)
        .bind(name_folded)
        .bind(except)
        .fetch_optional(conn)
        .await
    })?;
    Ok(found.is_some())
}

/// Renames an environment (its slug follows the name); returns whether it exists
/// in this workspace.
pub async fn rename(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &EnvironmentId,
    name: &str,
    name_folded: &str,
    slug: &str,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "update environments set name = $1, name_folded = $2, slug = $3 \
             where workspace_id = $4 and id = $5",
        )
        .bind(name)
        .bind(name_folded)
        .bind(slug)
        .bind(workspace_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn count(tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<i64, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>("select count(*) from environments where workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(conn)
            .await
    })?;
    Ok(n)
}

/// Deletes an environment; returns whether it existed in this workspace.
pub async fn delete(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &EnvironmentId,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("delete from environments where workspace_id = $1 and id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
