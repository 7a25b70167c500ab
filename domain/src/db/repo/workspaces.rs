//! `workspaces`: the tenants.

use crate::accounts::{OperatorId, Role, WorkspaceId};
use crate::db::repo::operators::OperatorRow;
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkspaceRow {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
}

/// A workspace as one of its members sees it in the switcher.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberWorkspaceRow {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

/// Inserts a workspace. A taken name fails with a unique violation.
pub async fn insert(
    tx: &mut Tx,
    id: &WorkspaceId,
    name: &str,
    name_folded: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into workspaces (id, name, name_folded, created_at) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(name)
        .bind(name_folded)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find(db: &Db, id: &WorkspaceId) -> Result<Option<WorkspaceRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, WorkspaceRow>("select id, name, created_at from workspaces where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

pub async fn find_by_folded_name(
    db: &Db,
    name_folded: &str,
) -> Result<Option<WorkspaceRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, WorkspaceRow>(
            "select id, name, created_at from workspaces where name_folded = $1",
        )
        .bind(name_folded)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// The id of the workspace with this (case-folded) name, inside a transaction.
pub async fn find_id_by_folded_name_tx(
    tx: &mut Tx,
    name_folded: &str,
) -> Result<Option<WorkspaceId>, DbError> {
    let id = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, WorkspaceId>("select id from workspaces where name_folded = $1")
            .bind(name_folded)
            .fetch_optional(conn)
            .await
    })?;
    Ok(id)
}

/// Takes the workspace's write lock for the rest of the transaction: a no-op
/// update, which on PostgreSQL locks the row and on SQLite takes the database's
/// write lock before anything is read. Concurrent membership changes to one
/// workspace therefore run one after the other. Returns whether the workspace exists.
pub async fn lock(tx: &mut Tx, id: &WorkspaceId) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query("update workspaces set name = name where id = $1")
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// An operator and the workspaces they belong to, by name, in one query;
/// `None` when there is no such operator.
pub async fn operator_with_workspaces(
    db: &Db,
    operator_id: &OperatorId,
) -> Result<Option<(OperatorRow, Vec<MemberWorkspaceRow>)>, DbError> {
    type Row = (
        OperatorId,
        String,
        String,
        i64,
        Option<WorkspaceId>,
        Option<String>,
        Option<Role>,
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, Row>(
            "select o.id, o.email, o.display_name, o.created_at, w.id, w.name, m.role \
             from operators o \
             left join memberships m on m.operator_id = o.id \
             left join workspaces w on w.id = m.workspace_id \
             where o.id = $1 order by w.name_folded, w.id",
        )
        .bind(operator_id)
        .fetch_all(pool)
        .await
    })?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let operator = OperatorRow {
        id: first.0.clone(),
        email: first.1.clone(),
        display_name: first.2.clone(),
        created_at: first.3,
    };
    let workspaces = rows
        .into_iter()
        .filter_map(|(.., id, name, role)| {
            Some(MemberWorkspaceRow {
                id: id?,
                name: name?,
                role: role?,
            })
        })
        .collect();
    Ok(Some((operator, workspaces)))
}

/// The workspaces an operator belongs to, by name.
pub async fn list_for_operator(
    db: &Db,
    operator_id: &OperatorId,
) -> Result<Vec<MemberWorkspaceRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, MemberWorkspaceRow>(
            "select w.id, w.name, m.role from memberships m \
             join workspaces w on w.id = m.workspace_id \
             where m.operator_id = $1 order by w.name_folded, w.id",
        )
        .bind(operator_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}
