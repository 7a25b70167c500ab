//! `_sqlx_migrations`, the table sqlx keeps: which schema versions a database has.

use crate::db::{Db, DbError, on_pool};

/// The newest migration applied to the database, or `None` when it has none.
pub async fn latest_applied(db: &Db) -> Result<Option<i64>, DbError> {
    let (version,): (Option<i64>,) = on_pool!(db, pool => {
        sqlx::query_as("select max(version) from _sqlx_migrations where success")
            .fetch_one(pool)
            .await
    })?;
    Ok(version)
}
