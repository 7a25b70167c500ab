//! Transactions over either backend, and recognising unique-constraint violations.
//!
//! A [`Tx`] is begun with [`Db::begin`]; statements run on it through [`on_tx!`]
//! exactly as [`on_pool!`](crate::db::on_pool) runs them on the pool.
//! Dropping a `Tx` without [`Tx::commit`] rolls it back, so an early `?` return
//! leaves nothing behind.

use sqlx::{Postgres, Sqlite, Transaction};

use super::{Db, DbError};

/// An open transaction on one of the two backends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same expression against the connection of whichever transaction `tx` is.
///
/// For example: `on_tx!(tx, conn => sqlx::query("select 1").execute(conn).await)`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::tx::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::tx::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub use on_tx;

impl Db {
    /// Begins a transaction that may write.
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front, waiting
    /// (busy timeout) for another writer to finish. A deferred transaction that read
    /// first and writes later would instead fail at once with "database is locked"
    /// whenever another connection wrote in between, since its snapshot is stale.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// SQLite's extended codes for UNIQUE (2067) and PRIMARY KEY (1555) violations,
/// and PostgreSQL's `unique_violation` SQLSTATE.
const UNIQUE_VIOLATION_CODES: [&str; 3] = ["2067", "1555", "23505"];

/// Whether a failed statement broke a unique or primary-key constraint, so the
/// caller can answer "already exists" instead of a database failure.
pub fn is_unique_violation(err: &DbError) -> bool {
    match err {
        DbError::Query(sqlx::Error::Database(db_err)) => db_err
            .code()
            .is_some_and(|code| UNIQUE_VIOLATION_CODES.contains(&code.as_ref())),
        _ => false,
    }
}
