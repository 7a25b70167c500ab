//! `setup_tokens`: hashes of first-start setup links.

use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

/// When a link issued without an expiry (before links expired) stops working.
const LEGACY_EXPIRY: &str = "coalesce(expires_at, created_at + 3600000)";

pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("insert into setup_tokens (token_hash, created_at, expires_at) values ($1, $2, $3)")
            .bind(token_hash)
            .bind(now_ms)
            .bind(expires_at)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Marks every unused token used and returns their hashes with their expiry.
/// Completing setup starts with this: it retires every outstanding link at
/// once, and because it writes (and so locks) all open tokens, two concurrent
/// setups with different tokens cannot both find theirs open.
pub async fn use_all_open(tx: &mut Tx, now_ms: i64) -> Result<Vec<(String, i64)>, DbError> {
    let sql = format!(
        "update setup_tokens set used_at = $1 where used_at is null returning token_hash, {LEGACY_EXPIRY}"
    );
    let hashes = on_tx!(tx, conn => {
        sqlx::query_as::<_, (String, i64)>(&sql)
        .bind(now_ms)
        .fetch_all(conn)
        .await
    })?;
    Ok(hashes)
}

/// The expiry of the unused token with this hash, if there is one (for the
/// setup page, before the form is sent; completing setup checks again under
/// its own lock).
pub async fn open_expiry(db: &Db, token_hash: &str) -> Result<Option<i64>, DbError> {
    let sql = format!(
        "select {LEGACY_EXPIRY} from setup_tokens where token_hash = $1 and used_at is null"
    );
    let expiry = on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(&sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await
    })?;
    Ok(expiry)
}
