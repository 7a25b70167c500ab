//! `operator_sessions`: one row per signed-in browser, which the session record
//! points at. Deleting a row signs that browser out.

use crate::accounts::{OperatorId, SignInId};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorSessionRow {
    pub id: SignInId,
    pub operator_id: OperatorId,
    pub signed_in_at: i64,
    pub authenticated_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLUMNS: &str =
    "id, operator_id, signed_in_at, authenticated_at, last_seen_at, ip, user_agent";

pub async fn insert(db: &Db, row: &OperatorSessionRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into operator_sessions \
             (id, operator_id, signed_in_at, authenticated_at, last_seen_at, ip, user_agent) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(&row.operator_id)
        .bind(row.signed_in_at)
        .bind(row.authenticated_at)
        .bind(row.last_seen_at)
        .bind(&row.ip)
        .bind(&row.user_agent)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The row `id` if it belongs to `operator`.
pub async fn find(
    db: &Db,
    id: &SignInId,
    operator: &OperatorId,
) -> Result<Option<OperatorSessionRow>, DbError> {
    let sql = format!("select {COLUMNS} from operator_sessions where id = $1 and operator_id = $2");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, OperatorSessionRow>(&sql)
            .bind(id)
            .bind(operator)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

/// The operator's sign-ins that started after `signed_in_after`, newest first.
pub async fn list(
    db: &Db,
    operator: &OperatorId,
    signed_in_after: i64,
) -> Result<Vec<OperatorSessionRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from operator_sessions where operator_id = $1 and signed_in_at > $2 \
         order by signed_in_at desc, id desc"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, OperatorSessionRow>(&sql)
            .bind(operator)
            .bind(signed_in_after)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Records activity, at most once per `every_ms` (a write per request would be waste).
pub async fn touch(db: &Db, id: &SignInId, now_ms: i64, every_ms: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update operator_sessions set last_seen_at = $1 where id = $2 and last_seen_at < $3")
            .bind(now_ms)
            .bind(id)
            .bind(now_ms - every_ms)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

pub async fn set_authenticated_at(db: &Db, id: &SignInId, now_ms: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update operator_sessions set authenticated_at = $1 where id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Counts a wrong password typed in sign-in `id`; answers the count so far.
pub async fn record_password_failure(db: &Db, id: &SignInId) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(
            "update operator_sessions set password_failures = password_failures + 1 \
             where id = $1 returning password_failures",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(n.unwrap_or(0))
}

pub async fn reset_password_failures(db: &Db, id: &SignInId) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update operator_sessions set password_failures = 0 where id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Deletes the row `id` of `operator`; answers whether there was one.
pub async fn delete(db: &Db, id: &SignInId, operator: &OperatorId) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query("delete from operator_sessions where id = $1 and operator_id = $2")
            .bind(id)
            .bind(operator)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

/// Deletes every row of `operator` but `keep` (every row when `keep` is `None`);
/// answers how many.
pub async fn delete_all_but(
    db: &Db,
    operator: &OperatorId,
    keep: Option<&SignInId>,
) -> Result<u64, DbError> {
    let keep = keep.map(SignInId::as_str).unwrap_or_default();
    let done = on_pool!(db, pool => {
        sqlx::query("delete from operator_sessions where operator_id = $1 and id <> $2")
            .bind(operator)
            .bind(keep)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// Deletes rows signed in before `signed_in_before` or unused since `seen_before`.
pub async fn delete_stale(
    db: &Db,
    signed_in_before: i64,
    seen_before: i64,
) -> Result<u64, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query("delete from operator_sessions where signed_in_at < $1 or last_seen_at < $2")
            .bind(signed_in_before)
            .bind(seen_before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done)
}
