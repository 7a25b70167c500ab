//! Statements whose shape follows the request (which filters are set, which
//! way a page goes): built as SQL plus arguments, so that only the conditions
//! that apply are in the SQL (an index serves `environment_id = $2`; nothing
//! serves `($2 is null or environment_id = $2)`), and so tests can ask the
//! database how it runs exactly the statement a page runs ([`explain`]).

#[cfg(feature = "testing")]
use crate::db::{Db, DbError};

/// One bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// SQL with `$1, $2, …` and the values to bind to them, in order.
#[derive(Clone, Debug, Default)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    /// Adds `value` as the next argument and answers its placeholder (`$n`).
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.arg(Arg::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.arg(Arg::Int(value))
    }
}

/// Binds a [`Statement`]'s arguments to `$query` (a `sqlx::query` or `query_as`).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::db::repo::statement::Arg::Text(text) => query.bind(text.clone()),
                $crate::db::repo::statement::Arg::Int(n) => query.bind(*n),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

/// How the database would run `statement`: SQLite's `EXPLAIN QUERY PLAN`
/// details, or PostgreSQL's `EXPLAIN` lines. With `indexes_only`, PostgreSQL
/// plans with sequential scans disabled (`enable_seqscan = off`, for this
/// statement alone): on a small table it prefers them even where an index
/// serves, and what a test asks is whether one does. (For tests and the scale
/// benchmark.)
#[cfg(feature = "testing")]
pub async fn explain(
    db: &Db,
    statement: &Statement,
    indexes_only: bool,
) -> Result<Vec<String>, DbError> {
    match db {
        Db::Sqlite(pool) => {
            let sql = format!("explain query plan {}", statement.sql);
            let rows: Vec<(i64, i64, i64, String)> =
                bind_args!(sqlx::query_as(&sql), &statement.args)
                    .fetch_all(pool)
                    .await?;
            Ok(rows.into_iter().map(|(.., detail)| detail).collect())
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            if indexes_only {
                sqlx::query("set local enable_seqscan = off")
                    .execute(&mut *tx)
                    .await?;
            }
            let sql = format!("explain {}", statement.sql);
            let rows: Vec<(String,)> = bind_args!(sqlx::query_as(&sql), &statement.args)
                .fetch_all(&mut *tx)
                .await?;
            tx.rollback().await?;
            Ok(rows.into_iter().map(|(line,)| line).collect())
        }
    }
}
