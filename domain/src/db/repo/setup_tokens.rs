//! `setup_tokens`: hashes of first-start setup links.

use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

pub async fn insert(tx: &mut Tx, token_hash: &str, now_ms: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("insert into setup_tokens (token_hash, created_at) values ($1, $2)")
            .bind(token_hash)
            .bind(now_ms)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Marks every unused token used and returns their hashes. Completing setup
/// starts with this: it retires every outstanding link at once, and because it
/// writes (and so locks) all open tokens, two concurrent setups with different
/// tokens cannot both find theirs open.
pub async fn use_all_open(tx: &mut Tx, now_ms: i64) -> Result<Vec<String>, DbError> {
    let hashes = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, String>(
            "update setup_tokens set used_at = $1 where used_at is null returning token_hash",
        )
        .bind(now_ms)
        .fetch_all(conn)
        .await
    })?;
    Ok(hashes)
}

/// Whether this hash belongs to an unused token (for the setup page, before the
/// form is sent; completing setup checks again under its own lock).
pub async fn is_open(db: &Db, token_hash: &str) -> Result<bool, DbError> {
    // count(*) is a 64-bit integer on both backends (a bare `1` is 32-bit on PostgreSQL).
    let open = on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from setup_tokens where token_hash = $1 and used_at is null",
        )
        .bind(token_hash)
        .fetch_one(pool)
        .await
    })?;
    Ok(open > 0)
}
