//! `memberships`: which operator belongs to which workspace, with what role.

use crate::accounts::{OperatorId, Role, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

/// A member as the members page lists them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub operator_id: OperatorId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: i64,
}

/// Adds a member. An existing membership fails with a unique (primary key) violation.
pub async fn insert(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
    role: Role,
    now_ms: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into memberships (workspace_id, operator_id, role, created_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(workspace_id)
        .bind(operator_id)
        .bind(role)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The operator's role in the workspace, their email, and whether the workspace
/// requires two-factor sign-in, if they are a member: what acting in a workspace
/// (and the page guard) needs, in one query.
pub async fn membership_of(
    db: &Db,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
) -> Result<Option<(Role, String, bool)>, DbError> {
    let found = on_pool!(db, pool => {
        sqlx::query_as::<_, (Role, String, bool)>(
            "select m.role, o.email, w.require_two_factor from memberships m \
             join operators o on o.id = m.operator_id \
             join workspaces w on w.id = m.workspace_id \
             where m.workspace_id = $1 and m.operator_id = $2",
        )
        .bind(workspace_id)
        .bind(operator_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(found)
}

/// The operator's role in the workspace, if they are a member, inside a transaction.
pub async fn role_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
) -> Result<Option<Role>, DbError> {
    let role = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, Role>(
            "select role from memberships where workspace_id = $1 and operator_id = $2",
        )
        .bind(workspace_id)
        .bind(operator_id)
        .fetch_optional(conn)
        .await
    })?;
    Ok(role)
}

pub async fn list(db: &Db, workspace_id: &WorkspaceId) -> Result<Vec<MemberRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, MemberRow>(
            "select m.operator_id, o.email, o.display_name, m.role, m.created_at \
             from memberships m join operators o on o.id = m.operator_id \
             where m.workspace_id = $1 order by o.email",
        )
        .bind(workspace_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

pub async fn count_owners(tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<i64, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from memberships where workspace_id = $1 and role = 'owner'",
        )
        .bind(workspace_id)
        .fetch_one(conn)
        .await
    })?;
    Ok(n)
}

/// Whether any workspace has an owner: once one does, first-start setup is over.
pub async fn any_owner(tx: &mut Tx) -> Result<bool, DbError> {
    let found = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i32>("select 1 from memberships where role = 'owner' limit 1")
            .fetch_optional(conn)
            .await
    })?;
    Ok(found.is_some())
}

/// [`any_owner`] outside a transaction.
pub async fn any_owner_exists(db: &Db) -> Result<bool, DbError> {
    let found = on_pool!(db, pool => {
        sqlx::query_scalar::<_, i32>("select 1 from memberships where role = 'owner' limit 1")
            .fetch_optional(pool)
            .await
    })?;
    Ok(found.is_some())
}

/// Sets a member's role; returns whether the member exists in this workspace.
pub async fn update_role(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
    role: Role,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("update memberships set role = $1 where workspace_id = $2 and operator_id = $3")
            .bind(role)
            .bind(workspace_id)
            .bind(operator_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Removes a member; returns whether the member existed in this workspace.
pub async fn delete(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    operator_id: &OperatorId,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("delete from memberships where workspace_id = $1 and operator_id = $2")
            .bind(workspace_id)
            .bind(operator_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The workspaces an operator belongs to (for auditing their sign-ins).
pub async fn workspace_ids_of(
    db: &Db,
    operator_id: &OperatorId,
) -> Result<Vec<WorkspaceId>, DbError> {
    let ids = on_pool!(db, pool => {
        sqlx::query_scalar::<_, WorkspaceId>(
            "select workspace_id from memberships where operator_id = $1 order by workspace_id",
        )
        .bind(operator_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(ids)
}
