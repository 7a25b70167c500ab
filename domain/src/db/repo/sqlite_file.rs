//! A SQLite database file as a whole (for backups): a consistent copy of it,
//! its integrity, which tables it has, and whether another process has it open.

use sqlx::sqlite::{SqliteConnection, SqlitePool};

use crate::db::DbError;

/// Writes a consistent copy of the database into `dest`, which must be missing
/// or empty. Readers and writers of the source carry on meanwhile: the copy is
/// the database as of the moment the copy's read began.
pub async fn vacuum_into(pool: &SqlitePool, dest: &str) -> Result<(), DbError> {
    sqlx::query("vacuum into $1")
        .bind(dest)
        .execute(pool)
        .await?;
    Ok(())
}

/// `pragma integrity_check`: `["ok"]` for a sound database, else what is wrong.
pub async fn integrity_check(pool: &SqlitePool) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("pragma integrity_check(5)")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|(line,)| line).collect())
}

/// Which of `names` are tables of the database.
pub async fn tables_among(pool: &SqlitePool, names: &[&str]) -> Result<Vec<String>, DbError> {
    let mut found = Vec::new();
    for name in names {
        let (n,): (i64,) =
            sqlx::query_as("select count(*) from sqlite_master where type = 'table' and name = $1")
                .bind(*name)
                .fetch_one(pool)
                .await?;
        if n > 0 {
            found.push((*name).to_owned());
        }
    }
    Ok(found)
}

/// How many connections the database holds (in any state).
pub async fn connections_total(pool: &SqlitePool) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from connections")
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// Tries to take the database for this connection alone (`conn` opened in
/// exclusive locking mode, without a busy timeout), and lets it go at once.
/// `Ok(false)` when another connection, in any process, has the database
/// open: in WAL mode every open connection holds a shared lock on the file.
/// A file that is not a sound database counts as free.
pub async fn try_exclusive(conn: &mut SqliteConnection) -> Result<bool, DbError> {
    match sqlx::query("begin exclusive").execute(&mut *conn).await {
        Ok(_) => {
            sqlx::query("rollback").execute(&mut *conn).await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) if matches!(primary_code(&*e), Some(5 | 6)) => Ok(false),
        // Not a database (or a damaged one): nothing can be serving it.
        Err(sqlx::Error::Database(e)) if matches!(primary_code(&*e), Some(11 | 26)) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// SQLite's primary result code of a database error (`SQLITE_BUSY` is 5,
/// `SQLITE_CORRUPT` 11, `SQLITE_NOTADB` 26), without the extended bits.
pub fn primary_code(e: &dyn sqlx::error::DatabaseError) -> Option<i64> {
    e.code()?.parse::<i64>().ok().map(|code| code & 0xff)
}
