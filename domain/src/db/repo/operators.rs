//! `operators`: people who sign in to the portal. Installation-wide (one account
//! may belong to several workspaces); what they may see is decided by `memberships`.

use crate::accounts::{OperatorId, PasswordHash};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

/// An operator without the password hash, which only [`credentials_by_email`] reads.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorRow {
    pub id: OperatorId,
    pub email: String,
    pub display_name: String,
    pub created_at: i64,
}

/// Inserts an operator. A taken email fails with a unique violation.
pub async fn insert(
    tx: &mut Tx,
    id: &OperatorId,
    email: &str,
    display_name: &str,
    password_hash: &PasswordHash,
    now_ms: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into operators (id, email, display_name, password_hash, created_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(email)
        .bind(display_name)
        .bind(password_hash.as_phc())
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find(db: &Db, id: &OperatorId) -> Result<Option<OperatorRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, OperatorRow>(
            "select id, email, display_name, created_at from operators where id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// Looks an operator up by normalised email inside a transaction.
pub async fn find_by_email_tx(tx: &mut Tx, email: &str) -> Result<Option<OperatorRow>, DbError> {
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, OperatorRow>(
            "select id, email, display_name, created_at from operators where email = $1",
        )
        .bind(email)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row)
}

/// The id and password hash for a sign-in attempt.
pub async fn credentials_by_email(
    db: &Db,
    email: &str,
) -> Result<Option<(OperatorId, PasswordHash)>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, (OperatorId, String)>(
            "select id, password_hash from operators where email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(|(id, phc)| (id, PasswordHash::from_stored(phc))))
}

/// An operator's email (how they appear as an audit target), inside a transaction.
pub async fn email_tx(tx: &mut Tx, id: &OperatorId) -> Result<Option<String>, DbError> {
    let email = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, String>("select email from operators where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(email)
}

/// The operator's password hash, for checking the current password.
pub async fn password_hash(db: &Db, id: &OperatorId) -> Result<Option<PasswordHash>, DbError> {
    let phc = on_pool!(db, pool => {
        sqlx::query_scalar::<_, String>("select password_hash from operators where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(phc.map(PasswordHash::from_stored))
}

pub async fn set_password_hash(
    db: &Db,
    id: &OperatorId,
    hash: &PasswordHash,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update operators set password_hash = $1 where id = $2")
            .bind(hash.as_phc())
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}
