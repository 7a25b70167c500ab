//! `key_canaries`: one sealed known value per key id that has sealed data.

use crate::crypto::Sealed;
use crate::db::{Db, DbError, on_pool};

#[derive(Debug, sqlx::FromRow)]
pub struct KeyCanaryRow {
    pub key_id: String,
    pub sealed: String,
}

impl KeyCanaryRow {
    pub fn sealed(&self) -> Sealed {
        Sealed::from_stored(self.sealed.clone())
    }
}

pub async fn list(db: &Db) -> Result<Vec<KeyCanaryRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, KeyCanaryRow>("select key_id, sealed from key_canaries order by key_id")
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Records the canary for a key unless one exists already.
pub async fn insert_if_missing(
    db: &Db,
    key_id: &str,
    sealed: &Sealed,
    now_ms: i64,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into key_canaries (key_id, sealed, created_at) values ($1, $2, $3) \
             on conflict (key_id) do nothing",
        )
        .bind(key_id)
        .bind(sealed.as_stored())
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
