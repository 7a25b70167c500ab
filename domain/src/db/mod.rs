//! The database: one handle over SQLite or PostgreSQL, chosen by the URL scheme.
//!
//! All SQL lives in `repo/`; nothing else in pinbridge builds a query. Queries are
//! written once with `$1, $2, …` placeholders in ascending order, which both
//! backends accept, and run against whichever pool is configured via [`on_pool!`].

// The repositories are the domain's own: the layers above call services. Tests
// of those layers (feature `testing`) may read through them to check what was
// stored.
#[cfg(not(feature = "testing"))]
pub(crate) mod repo;
#[cfg(feature = "testing")]
pub mod repo;
mod sessions;
pub mod tx;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use sessions::SessionStore;

/// Which database engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Reads the backend from a database URL's scheme.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool `db` holds.
///
/// For example: `on_pool!(db, pool => sqlx::query("select 1").execute(pool).await)`.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub use on_pool;

/// A database failure. Its text is for logs and operators at the console, never
/// for a browser: `AppError` maps it to a generic message.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    /// Applied migrations this binary does not know: a newer pinbridge ran here.
    #[error(
        "the database was migrated by a newer pinbridge (schema version {found}; this pinbridge knows up to {known}): run that version or newer, or restore a backup made for this version"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// A snapshot of the connection pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open, idle or in use.
    pub open: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl PoolUsage {
    /// Open connections doing work.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// pinbridge's migrations, one set per backend (the same versions in both).
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// The newest schema version (migration) this pinbridge knows on `backend`.
pub fn known_schema_version(backend: Backend) -> i64 {
    migrations(backend)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

fn migrations(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// How long start-up waits for the database before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A PostgreSQL connection idle this long is pinged before it is used again.
pub const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

impl Db {
    /// Connects to `url`. SQLite files are created if missing and run in WAL mode.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        match Backend::of_url(url).ok_or(DbError::UnsupportedUrl)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| DbError::BadUrl(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    // An SQLite connection is a file this process holds open: it
                    // cannot drop away between uses as a network connection can.
                    // sqlx's default pings it on every acquire (a round trip to
                    // the connection's worker thread, on top of the one on release),
                    // which was a third of the thread switches of a page's queries.
                    .test_before_acquire(false)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                Ok(Self::Sqlite(pool))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    // sqlx pings every connection it hands out by default: a
                    // round trip to the server before each query, on top of
                    // the one its release makes (which already proves the
                    // connection alive as it goes back to the pool). Only a
                    // connection that sat idle is checked, for a server that
                    // restarted or a network that dropped it meanwhile; a
                    // dead one is closed and the pool hands out another.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_IDLE_AFTER {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// How much of the connection pool is in use right now.
    pub fn pool_usage(&self) -> PoolUsage {
        on_pool!(self, pool => PoolUsage {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    /// Applies pinbridge's migrations and the session table. Idempotent.
    ///
    /// A database that a newer pinbridge migrated (it has migrations this one
    /// does not know) is refused with [`DbError::NewerSchema`] before anything
    /// is applied: an older binary must not write to a schema it cannot read.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = migrations(self.backend());
        // On a connection of its own: sqlx stops at a refusal without releasing
        // its migration lock (on PostgreSQL an advisory lock held by the
        // session), so a failed run closes the connection rather than
        // returning it to the pool still holding the lock.
        let migrated = on_pool!(self, pool => match pool.acquire().await {
            Ok(mut conn) => {
                let result = migrator.run(&mut *conn).await;
                if result.is_err() {
                    conn.close_on_drop();
                }
                result
            }
            Err(e) => Err(MigrateError::from(e)),
        });
        match migrated {
            Ok(()) => {}
            Err(MigrateError::VersionMissing(_)) => {
                let known = known_schema_version(self.backend());
                let found = repo::schema::latest_applied(self).await?.unwrap_or(known);
                return Err(DbError::NewerSchema { found, known });
            }
            Err(e) => return Err(DbError::Migrate(e.to_string())),
        }
        SessionStore::new(self.clone())
            .migrate()
            .await
            .map_err(|e| DbError::Migrate(e.to_string()))
    }

    /// Answers whether the database is reachable right now.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_pool!(self, pool => sqlx::query("select 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Db::Sqlite(pool) = self {
            // Move the write-ahead log into the database and empty it, so the
            // files on disk hold everything even if the log outlives the pool.
            if let Err(e) = sqlx::query("pragma wal_checkpoint(truncate)")
                .execute(pool)
                .await
            {
                tracing::warn!(error = %e, "could not checkpoint the SQLite log before closing");
            }
        }
        on_pool!(self, pool => pool.close().await);
    }
}

/// Milliseconds since the Unix epoch: the one timestamp representation in storage.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A stored instant as the API and webhooks write it: RFC 3339 in UTC.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_in_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_470_400_123), "2025-11-30T02:40:00.123Z");
    }

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::of_url("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("PostgreSQL://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://u@h/db"), None);
        assert_eq!(Backend::of_url("no-scheme"), None);
    }
}
