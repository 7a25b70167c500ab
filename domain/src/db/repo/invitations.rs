//! `invitations`: single-use links to join a workspace. Only the token's hash is
//! stored; a token is looked up by that hash alone, since whoever holds the link
//! is not a member yet.

use crate::accounts::{InvitationId, OperatorId, Role, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub role: Role,
    pub invited_by: OperatorId,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<OperatorId>,
}

const COLUMNS: &str =
    "id, workspace_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by";

pub async fn insert(tx: &mut Tx, row: &InvitationRow, token_hash: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into invitations \
             (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.id)
        .bind(&row.workspace_id)
        .bind(&row.email)
        .bind(row.role)
        .bind(token_hash)
        .bind(&row.invited_by)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// An unaccepted, unexpired invitation by its token's hash.
pub async fn find_open_by_token(
    db: &Db,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<InvitationRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from invitations \
         where token_hash = $1 and accepted_at is null and expires_at > $2"
    );
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// Claims an open invitation for acceptance: marks it accepted only if it is
/// still unaccepted and unexpired, so of two concurrent acceptances one wins.
/// Returns the invitation when this call claimed it.
pub async fn claim(
    tx: &mut Tx,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<InvitationRow>, DbError> {
    let sql = format!(
        "update invitations set accepted_at = $1 \
         where token_hash = $2 and accepted_at is null and expires_at > $1 \
         returning {COLUMNS}"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(now_ms)
            .bind(token_hash)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

pub async fn set_accepted_by(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &InvitationId,
    operator_id: &OperatorId,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("update invitations set accepted_by = $1 where workspace_id = $2 and id = $3")
            .bind(operator_id)
            .bind(workspace_id)
            .bind(id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// The workspace's invitations not yet accepted (expired ones included, so
/// owners see them lapse), newest first.
pub async fn list_pending(
    db: &Db,
    workspace_id: &WorkspaceId,
) -> Result<Vec<InvitationRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from invitations where workspace_id = $1 and accepted_at is null \
         order by created_at desc, id desc"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(workspace_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Withdraws an unaccepted invitation; returns whether one was withdrawn.
pub async fn delete_pending(
    db: &Db,
    workspace_id: &WorkspaceId,
    id: &InvitationId,
) -> Result<bool, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query(
            "delete from invitations where workspace_id = $1 and id = $2 and accepted_at is null",
        )
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
