//! Backups of a SQLite installation: a consistent copy of a database that
//! pinbridge may be serving while it is made, and the checks that tell a
//! restorable pinbridge backup from anything else (not SQLite, truncated or
//! damaged, not pinbridge's, made by a newer pinbridge, sealed with other keys).
//!
//! The files themselves (names, modes, renames) are the caller's: this module
//! opens databases and reads them.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode, SqlitePool, SqlitePoolOptions};

use crate::crypto::KeyRing;
use crate::db::repo::{key_canaries, schema, sqlite_file};
use crate::db::{Backend, Db, DbError, known_schema_version};
use crate::key_check::{self, KeyCheckError};

/// The tables every pinbridge database has had since its first release.
const PINBRIDGE_TABLES: [&str; 4] = [
    "_sqlx_migrations",
    "key_canaries",
    "workspaces",
    "connections",
];

/// The 16 bytes every SQLite 3 database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What is wrong with a file offered as a pinbridge database. Displays as the
/// end of a sentence that starts with the file's name.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("is not a SQLite database")]
    NotSqlite,
    #[error("is truncated (it has {have} bytes of {want})")]
    Truncated { have: u64, want: u64 },
    #[error("is damaged ({0})")]
    Damaged(String),
    #[error("is a SQLite database but not a pinbridge database (it has no {missing} table)")]
    NotPinbridge { missing: String },
    #[error(
        "was made by a newer pinbridge (schema version {found}; this pinbridge knows up to {known}): restore it with that version or newer"
    )]
    Newer { found: i64, known: i64 },
    #[error("cannot be read: {0}")]
    Unreadable(String),
}

impl From<DbError> for FileProblem {
    fn from(e: DbError) -> Self {
        match &e {
            DbError::Query(sqlx::Error::Database(db)) => {
                match sqlite_file::primary_code(db.as_ref()) {
                    Some(26) => Self::NotSqlite,
                    Some(11) => Self::Damaged(db.message().to_owned()),
                    _ => Self::Unreadable(e.to_string()),
                }
            }
            _ => Self::Unreadable(e.to_string()),
        }
    }
}

/// What a sound pinbridge database holds, for the report of a backup or restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The newest migration applied.
    pub schema_version: i64,
    pub connections: i64,
    /// The ids of the keys that sealed its secrets (one canary each).
    pub sealed_with: Vec<String>,
}

impl Facts {
    /// Refuses a database migrated by a newer pinbridge: this one cannot run it.
    pub fn check_runnable(&self) -> Result<(), FileProblem> {
        let known = known_schema_version(Backend::Sqlite);
        if self.schema_version > known {
            return Err(FileProblem::Newer {
                found: self.schema_version,
                known,
            });
        }
        Ok(())
    }
}

/// Checks the start of a file: SQLite's magic, and a length no shorter than the
/// size its header records. Reads the file only.
pub fn check_header(path: &Path) -> Result<(), FileProblem> {
    let mut file = std::fs::File::open(path).map_err(|e| FileProblem::Unreadable(e.to_string()))?;
    let have = file
        .metadata()
        .map_err(|e| FileProblem::Unreadable(e.to_string()))?
        .len();
    let mut header = Vec::with_capacity(100);
    file.by_ref()
        .take(100)
        .read_to_end(&mut header)
        .map_err(|e| FileProblem::Unreadable(e.to_string()))?;
    if header.len() < SQLITE_MAGIC.len() || &header[..SQLITE_MAGIC.len()] != SQLITE_MAGIC {
        return Err(FileProblem::NotSqlite);
    }
    if header.len() < 100 {
        return Err(FileProblem::Truncated { have, want: 100 });
    }
    let be16 = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match be16(16) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The size in the header counts only when the change counter matches the
    // "version valid for" number (SQLite's file format, section 1.3.7).
    let pages = u64::from(be32(28));
    if pages > 0 && be32(24) == be32(92) {
        let want = page_size * pages;
        if have < want {
            return Err(FileProblem::Truncated { have, want });
        }
    }
    Ok(())
}

/// An existing SQLite database file, opened for one backup or restore.
pub struct SqliteFile {
    pool: SqlitePool,
}

impl SqliteFile {
    /// Opens the database an installation uses, which a running pinbridge may
    /// be writing: never creates it, leaves its journal mode as it is.
    pub async fn open_live(path: &Path) -> Result<Self, DbError> {
        Self::open(
            SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(5)),
        )
        .await
    }

    /// Opens a file that nobody writes (a backup, or a copy being checked) to
    /// read it only: no lock, no journal, no file created beside it.
    pub async fn open_still(path: &Path) -> Result<Self, DbError> {
        Self::open(
            SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .immutable(true),
        )
        .await
    }

    async fn open(options: SqliteConnectOptions) -> Result<Self, DbError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(crate::db::CONNECT_TIMEOUT)
            .connect_with(options.create_if_missing(false))
            .await
            .map_err(|e| DbError::Connect(e.to_string()))?;
        Ok(Self { pool })
    }

    /// Writes a consistent copy of the database into `dest` (missing or empty).
    pub async fn copy_into(&self, dest: &Path) -> Result<(), DbError> {
        let dest = dest
            .to_str()
            .ok_or_else(|| DbError::Connect(format!("{} is not a UTF-8 path", dest.display())))?;
        sqlite_file::vacuum_into(&self.pool, dest).await
    }

    /// Checks that the file is a sound pinbridge database, and says what it holds.
    pub async fn check(&self) -> Result<Facts, FileProblem> {
        let problems = sqlite_file::integrity_check(&self.pool).await?;
        if problems.first().map(String::as_str) != Some("ok") {
            return Err(FileProblem::Damaged(problems.join("; ")));
        }
        let found = sqlite_file::tables_among(&self.pool, &PINBRIDGE_TABLES).await?;
        if let Some(missing) = PINBRIDGE_TABLES
            .iter()
            .find(|t| !found.iter().any(|f| f == *t))
        {
            return Err(FileProblem::NotPinbridge {
                missing: (*missing).to_owned(),
            });
        }
        let db = self.db();
        let schema_version = schema::latest_applied(&db).await?.unwrap_or(0);
        let connections = sqlite_file::connections_total(&self.pool).await?;
        let sealed_with = key_canaries::list(&db)
            .await?
            .into_iter()
            .map(|row| row.key_id)
            .collect();
        Ok(Facts {
            schema_version,
            connections,
            sealed_with,
        })
    }

    /// Checks that `ring` opens the secrets the database holds (its canaries).
    pub async fn check_keys(&self, ring: &KeyRing) -> Result<(), KeyCheckError> {
        key_check::check_canaries(&self.db(), ring).await
    }

    pub async fn close(self) {
        self.pool.close().await;
    }

    fn db(&self) -> Db {
        Db::Sqlite(self.pool.clone())
    }
}

/// Whether another connection, of any process (a running pinbridge), has the
/// database at `path` open. Changes nothing in it.
pub async fn in_use(path: &Path) -> Result<bool, DbError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .map_err(|e| DbError::Connect(e.to_string()))?;
    let free = sqlite_file::try_exclusive(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    Ok(!free?)
}
