//! Start-up, in an order that leaves nothing behind when it fails: bind the port,
//! read the keys, open and migrate the database, check the keys against it, and
//! only then write a newly generated key file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::Services;
use domain::db::Db;
use domain::key_check::{self, KeyCheckError};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::keys;

pub use crate::start_error::StartError;

/// Paths this start-up created, removed again if it fails.
#[derive(Default)]
struct Created(Vec<PathBuf>);

impl Created {
    fn remove_all(self) {
        for path in self.0.into_iter().rev() {
            let _ = if path.is_dir() {
                std::fs::remove_dir(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

pub async fn bind(config: &Config) -> Result<TcpListener, StartError> {
    TcpListener::bind(config.listen_addr)
        .await
        .map_err(|e| StartError::Listen {
            addr: config.listen_addr.to_string(),
            message: match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the address is already in use (is pinbridge already running?)".into()
                }
                _ => e.to_string(),
            },
        })
}

/// The metrics listener, when `PINBRIDGE_METRICS_ADDR` asks for one.
pub async fn bind_metrics(config: &Config) -> Result<Option<TcpListener>, StartError> {
    let Some(addr) = config.metrics.addr else {
        return Ok(None);
    };
    TcpListener::bind(addr)
        .await
        .map(Some)
        .map_err(|e| StartError::MetricsListen {
            addr: addr.to_string(),
            message: match e.kind() {
                std::io::ErrorKind::AddrInUse => "the address is already in use".into(),
                _ => e.to_string(),
            },
        })
}

/// Opens the database, creating a SQLite file (and its directory) if missing,
/// and applies migrations.
async fn open_database(config: &Config, created: &mut Created) -> Result<Db, StartError> {
    if let Some(path) = &config.sqlite_path {
        prepare_sqlite_path(path, created)?;
    }
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    if let Err(e) = db.migrate().await {
        db.close().await;
        return Err(StartError::Database(e.to_string()));
    }
    Ok(db)
}

/// Creates the database's missing directories (0700) and the database file
/// itself (0600) before SQLite opens it: SQLite gives its `-wal` and `-shm`
/// files the database file's mode, so none of them is readable by others.
fn prepare_sqlite_path(path: &Path, created: &mut Created) -> Result<(), StartError> {
    if let Some(parent) = path.parent() {
        let missing = create_private_dirs(parent).map_err(|e| {
            StartError::Database(format!("cannot create directory {}: {e}", parent.display()))
        })?;
        created.0.extend(missing);
    }
    if !path.exists() {
        created.0.push(path.to_path_buf());
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            created.0.push(PathBuf::from(side));
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(_) => {}
            // Another process (say a second instance starting) created it just now.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(StartError::Database(format!(
                    "cannot create {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents with mode 0700; answers the
/// directories it created, outermost first.
pub(crate) fn create_private_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut next = Some(dir);
    while let Some(d) = next.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d.to_path_buf());
        next = d.parent();
    }
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    missing.reverse();
    Ok(missing)
}

/// `pinbridge migrate`.
pub async fn migrate(config: &Config) -> Result<(), StartError> {
    let mut created = Created::default();
    match open_database(config, &mut created).await {
        Ok(db) => {
            db.close().await;
            Ok(())
        }
        Err(e) => {
            created.remove_all();
            Err(e)
        }
    }
}

/// Everything `serve` needs before it accepts connections.
pub async fn prepare_services(config: &Config) -> Result<Services, StartError> {
    let keys = keys::prepare(config)?;
    let mut created = Created::default();
    let db = match open_database(config, &mut created).await {
        Ok(db) => db,
        Err(e) => {
            created.remove_all();
            return Err(e);
        }
    };
    let checked = async {
        key_check::check_canaries(&db, &keys.ring)
            .await
            .map_err(key_check_error)
            .map_err(|e| match (&e, &keys.pending_file) {
                // The usual cause: the database was kept but its key file was not.
                (StartError::KeyCheck(message), Some((path, _))) => StartError::KeyCheck(format!(
                    "{message}; the key file {} was not found, so restore the original key file there",
                    path.display()
                )),
                _ => e,
            })?;
        if let Some((path, text)) = &keys.pending_file {
            keys::write_key_file(path, text)?;
            created.0.push(path.clone());
        }
        key_check::record_primary(&db, &keys.ring)
            .await
            .map_err(key_check_error)
    }
    .await;
    if let Err(e) = checked {
        db.close().await;
        created.remove_all();
        return Err(e);
    }
    // Audit records written before their workspace's hash chain began (by a
    // pinbridge older than the chain) are chained now, rather than by the
    // next change in each workspace. Not a reason to refuse to start: that
    // next change chains them just the same.
    match domain::accounts::audit_chain::chain_pending(&db).await {
        Ok(0) => {}
        Ok(records) => tracing::info!(
            records,
            "audit records chained into their workspaces' hash chains"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not chain earlier audit records; each workspace's next record chains them")
        }
    }
    let portal = config.portal_config();
    let webhooks = Arc::new(domain::webhooks::Runtime::new(&portal.webhooks));
    Ok(Services {
        db,
        keys: Arc::new(keys.ring),
        config: Arc::new(portal),
        hasher: domain::accounts::Hasher::default(),
        http: domain::services::pinterest_http_client(config.pinterest_timeout),
        api: Arc::default(),
        webhooks,
    })
}

fn key_check_error(e: KeyCheckError) -> StartError {
    match e {
        KeyCheckError::Db(e) => StartError::Database(e.to_string()),
        other => StartError::KeyCheck(other.to_string()),
    }
}
