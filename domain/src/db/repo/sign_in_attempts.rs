//! `sign_in_attempts`: one counter per throttling key, bumped atomically.

use crate::db::{Db, DbError, on_pool};

/// A key's counter right after an attempt was reserved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Reserved {
    /// Attempts in the current window, this one included.
    pub count: i64,
    /// The attempt before this one, in the same window.
    pub prev_at: Option<i64>,
}

/// Counts an attempt for `key` at `now_ms` and returns the counter as this
/// attempt left it. One statement, so concurrent attempts each see a distinct
/// count on both backends. A key idle since before `window_start_ms` starts over.
pub async fn reserve(
    db: &Db,
    key: &str,
    now_ms: i64,
    window_start_ms: i64,
) -> Result<Reserved, DbError> {
    let reserved = on_pool!(db, pool => {
        sqlx::query_as::<_, Reserved>(
            "insert into sign_in_attempts (key, count, last_at, prev_at) values ($1, 1, $2, null) \
             on conflict (key) do update set \
               count = case when sign_in_attempts.last_at < $3 then 1 \
                            else sign_in_attempts.count + 1 end, \
               prev_at = case when sign_in_attempts.last_at < $3 then null \
                              else sign_in_attempts.last_at end, \
               last_at = $2 \
             returning count, prev_at",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_start_ms)
        .fetch_one(pool)
        .await
    })?;
    Ok(reserved)
}

/// Gives back one reserved attempt (it succeeded, so it was no guess).
pub async fn release(db: &Db, key: &str) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "update sign_in_attempts set count = count - 1 where key = $1 and count > 0",
        )
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Forgets a key altogether.
pub async fn clear(db: &Db, key: &str) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("delete from sign_in_attempts where key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Drops counters idle since before `before_ms`.
pub async fn prune(db: &Db, before_ms: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("delete from sign_in_attempts where last_at < $1")
            .bind(before_ms)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}
