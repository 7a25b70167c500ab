//! `sign_in_failures`: one row per failed sign-in, counted to slow down guessing.

use crate::db::{Db, DbError, on_pool};

/// How many failures a key had since a moment, and when the latest was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct FailureStats {
    pub count: i64,
    pub last_at: Option<i64>,
}

pub async fn insert(
    db: &Db,
    id: &str,
    email: &str,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into sign_in_failures (id, email, ip, created_at) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(email)
        .bind(ip)
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn stats_for_email(db: &Db, email: &str, since_ms: i64) -> Result<FailureStats, DbError> {
    let stats = on_pool!(db, pool => {
        sqlx::query_as::<_, FailureStats>(
            "select count(*) as count, max(created_at) as last_at from sign_in_failures \
             where email = $1 and created_at >= $2",
        )
        .bind(email)
        .bind(since_ms)
        .fetch_one(pool)
        .await
    })?;
    Ok(stats)
}

pub async fn stats_for_ip(db: &Db, ip: &str, since_ms: i64) -> Result<FailureStats, DbError> {
    let stats = on_pool!(db, pool => {
        sqlx::query_as::<_, FailureStats>(
            "select count(*) as count, max(created_at) as last_at from sign_in_failures \
             where ip = $1 and created_at >= $2",
        )
        .bind(ip)
        .bind(since_ms)
        .fetch_one(pool)
        .await
    })?;
    Ok(stats)
}

/// Forgets an email's failures after it signed in successfully. The IP's stay.
pub async fn clear_email(db: &Db, email: &str) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("update sign_in_failures set email = null where email = $1")
            .bind(email)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Deletes failures older than anything the throttle still looks at.
pub async fn prune(db: &Db, before_ms: i64) -> Result<u64, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query("delete from sign_in_failures where created_at < $1")
            .bind(before_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n)
}
