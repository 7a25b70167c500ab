//! `operator_totp` and `operator_recovery_codes`: operators' TOTP secrets
//! (sealed) and the hashes of their single-use recovery codes.

use crate::accounts::OperatorId;
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TotpRow {
    pub secret_sealed: String,
    pub confirmed_at: Option<i64>,
}

pub async fn find(db: &Db, operator: &OperatorId) -> Result<Option<TotpRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, TotpRow>(
            "select secret_sealed, confirmed_at from operator_totp where operator_id = $1",
        )
        .bind(operator)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// Stores a new, unconfirmed secret, replacing an unconfirmed one; does nothing
/// (answers `false`) when a confirmed secret exists.
pub async fn put_unconfirmed(
    db: &Db,
    operator: &OperatorId,
    sealed: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query("delete from operator_totp where operator_id = $1 and confirmed_at is null")
            .bind(operator)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    let inserted = on_tx!(&mut tx, conn => {
        sqlx::query(
            "insert into operator_totp (operator_id, secret_sealed, created_at) values ($1, $2, $3) \
             on conflict (operator_id) do nothing",
        )
        .bind(operator)
        .bind(sealed)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(inserted > 0)
}

/// Confirms the secret with the step of its first code, and stores the
/// recovery codes' hashes (replacing any).
pub async fn confirm(
    tx: &mut Tx,
    operator: &OperatorId,
    step: i64,
    now_ms: i64,
    code_hashes: &[String],
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update operator_totp set confirmed_at = $1, last_used_step = $2 \
             where operator_id = $3 and confirmed_at is null",
        )
        .bind(now_ms)
        .bind(step)
        .bind(operator)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if done == 0 {
        return Ok(false);
    }
    on_tx!(tx, conn => {
        sqlx::query("delete from operator_recovery_codes where operator_id = $1")
            .bind(operator)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    for hash in code_hashes {
        on_tx!(tx, conn => {
            sqlx::query("insert into operator_recovery_codes (operator_id, code_hash) values ($1, $2)")
                .bind(operator)
                .bind(hash)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
    }
    Ok(true)
}

/// Records `step` as used if it is later than the last one used: answers
/// whether it was (so a code, even seen twice at once, works once).
pub async fn use_step(db: &Db, operator: &OperatorId, step: i64) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update operator_totp set last_used_step = $1 where operator_id = $2 \
             and confirmed_at is not null and (last_used_step is null or last_used_step < $1)",
        )
        .bind(step)
        .bind(operator)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

/// Marks an unused recovery code used; answers whether there was one.
pub async fn use_recovery_code(
    db: &Db,
    operator: &OperatorId,
    code_hash: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update operator_recovery_codes set used_at = $1 \
             where operator_id = $2 and code_hash = $3 and used_at is null",
        )
        .bind(now_ms)
        .bind(operator)
        .bind(code_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

pub async fn recovery_codes_left(db: &Db, operator: &OperatorId) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from operator_recovery_codes where operator_id = $1 and used_at is null",
        )
        .bind(operator)
        .fetch_one(pool)
        .await
    })?;
    Ok(n)
}

/// Removes the operator's secret and recovery codes.
pub async fn delete(db: &Db, operator: &OperatorId) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    for sql in [
        "delete from operator_recovery_codes where operator_id = $1",
        "delete from operator_totp where operator_id = $1",
    ] {
        on_tx!(&mut tx, conn => {
            sqlx::query(sql).bind(operator).execute(conn).await.map(|_| ())
        })?;
    }
    tx.commit().await?;
    Ok(())
}

/// Names of the operator's workspaces that require two-factor sign-in.
pub async fn requiring_workspaces(db: &Db, operator: &OperatorId) -> Result<Vec<String>, DbError> {
    let names = on_pool!(db, pool => {
        sqlx::query_scalar::<_, String>(
            "select w.name from workspaces w join memberships m on m.workspace_id = w.id \
             where m.operator_id = $1 and w.require_two_factor order by w.name",
        )
        .bind(operator)
        .fetch_all(pool)
        .await
    })?;
    Ok(names)
}

pub async fn workspace_requires(db: &Db, workspace: &str) -> Result<bool, DbError> {
    let required = on_pool!(db, pool => {
        sqlx::query_scalar::<_, bool>("select require_two_factor from workspaces where id = $1")
            .bind(workspace)
            .fetch_optional(pool)
            .await
    })?;
    Ok(required.unwrap_or(false))
}

pub async fn set_workspace_requires(
    tx: &mut Tx,
    workspace: &str,
    required: bool,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("update workspaces set require_two_factor = $1 where id = $2")
            .bind(required)
            .bind(workspace)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}
