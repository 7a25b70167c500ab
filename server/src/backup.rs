//! `pinbridge backup FILE` and `pinbridge restore FILE`: a SQLite installation's
//! database and key ring saved to two files, and put back.
//!
//! Every file is written whole beside its destination (`DEST.partial`, locked
//! while it is written), synced, checked, and only then given its name, so a
//! crash or a kill leaves the old state or the new one, never half a file; a
//! later run to the same destination empties a leftover `.partial` and reuses
//! it. A backup never replaces a file. A restore checks the backup and its key
//! file before it changes anything, replaces an installation that holds a
//! database only with `--force`, and keeps what it replaced beside it.
//!
//! PostgreSQL installations are backed up with `pg_dump` (README).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use domain::backup::{self as check, Facts, FileProblem, SqliteFile};
use domain::crypto::KeyRing;
use domain::key_check::KeyCheckError;
use zeroize::Zeroizing;

use crate::config::{BackupArgs, Config, KeySource, RestoreArgs};
use crate::start_error::StartError;
use crate::startup::create_private_dirs;

/// What a PostgreSQL installation does instead.
const POSTGRES_STEPS: &str = "for PostgreSQL use pg_dump and pg_restore as the README's \"Backups, restores and upgrades\" section shows, keeping the key ring of the time with each dump";

/// Why a backup or restore did not happen. Displays as one line; nothing was
/// changed (a restore that fails while installing puts back what it moved).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The installation's own keys cannot be read, as `serve` would say.
    #[error(transparent)]
    Start(StartError),
    #[error(
        "PINBRIDGE_DATABASE_URL (--database-url): `pinbridge {command}` works on a SQLite installation; {POSTGRES_STEPS}"
    )]
    Postgres { command: &'static str },
    #[error(
        "PINBRIDGE_DATABASE_URL (--database-url): an in-memory database cannot be backed up or restored"
    )]
    InMemory,
    #[error("{}: already exists; a backup never replaces a file, so give a new name", .0.display())]
    Exists(PathBuf),
    #[error("{}: no such directory", .0.display())]
    NoDirectory(PathBuf),
    #[error("{}: another backup or restore is writing it right now", .0.display())]
    Busy(PathBuf),
    #[error("no database at {}: nothing to back up (check PINBRIDGE_DATABASE_URL)", .0.display())]
    NoDatabase(PathBuf),
    #[error(
        "key file {}: not found, and without it the database's secrets cannot be opened; nothing was backed up",
        .0.display()
    )]
    NoKeyFile(PathBuf),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{}: {message}", path.display())]
    Database { path: PathBuf, message: String },
    #[error("the copy {} {problem}; nothing was changed", path.display())]
    BadCopy { path: PathBuf, problem: FileProblem },
    #[error(
        "encryption keys: the installation's key ring does not open its database ({0}); nothing was backed up"
    )]
    LiveKeys(KeyCheckError),
    #[error("{}: no such file", .0.display())]
    NoSuchFile(PathBuf),
    #[error(
        "{}: no such key file; give the backup's key file with --keys (`pinbridge backup` writes it as FILE.keys)",
        .0.display()
    )]
    NoSuchKeyFile(PathBuf),
    #[error("{}: {problem}", path.display())]
    BadBackup { path: PathBuf, problem: FileProblem },
    #[error("{}: is a key file, not a database backup (were FILE and --keys swapped?)", .0.display())]
    KeyFileGiven(PathBuf),
    #[error("{}: {message}", path.display())]
    BadKeyFile { path: PathBuf, message: String },
    #[error("{}: {message} (the key file of another backup or installation?)", keys.display())]
    KeysDontOpen { keys: PathBuf, message: String },
    #[error(
        "PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys): {message}; set it to the keys in {} (its `id:base64` lines joined with commas)",
        keys.display()
    )]
    ConfiguredKeysDontOpen { keys: PathBuf, message: String },
    #[error(
        "{}: holds a database; stop pinbridge, then restore with --force to replace it (its files are kept beside it)",
        .0.display()
    )]
    TargetHeld(PathBuf),
    #[error(
        "key file {}: exists and differs from the backup's; restore with --force to replace it (it is kept beside it)",
        .0.display()
    )]
    KeyFileDiffers(PathBuf),
    #[error(
        "{}: is open in another process (is pinbridge running?); stop pinbridge, then restore",
        .0.display()
    )]
    InUse(PathBuf),
    #[error(
        "{}: appeared while restoring (is pinbridge starting?); nothing was changed",
        .0.display()
    )]
    Appeared(PathBuf),
}

impl BackupError {
    /// 2 for what the command line got wrong (a setting, a file name, a file
    /// that is not what it should be, a missing `--force`), 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Start(e) => e.exit_code(),
            Self::Postgres { .. }
            | Self::InMemory
            | Self::Exists(_)
            | Self::NoDirectory(_)
            | Self::NoSuchFile(_)
            | Self::NoSuchKeyFile(_)
            | Self::BadBackup { .. }
            | Self::KeyFileGiven(_)
            | Self::BadKeyFile { .. }
            | Self::KeysDontOpen { .. }
            | Self::ConfiguredKeysDontOpen { .. }
            | Self::TargetHeld(_)
            | Self::KeyFileDiffers(_) => 2,
            _ => 1,
        }
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io {
        action,
        path,
        source,
    }
}

/// `pinbridge backup FILE`: the database to FILE, the key ring to FILE.keys.
/// Returns the lines to print.
pub async fn backup(config: &Config, args: &BackupArgs) -> Result<String, BackupError> {
    let db_path = sqlite_database(config, "backup")?;
    let dest = args.file.as_path();
    let keys_dest = with_suffix(dest, ".keys");
    refuse_existing(&[dest, &keys_dest])?;
    let dir = parent_dir(dest);
    if !dir.is_dir() {
        return Err(BackupError::NoDirectory(dir));
    }
    if !db_path.is_file() {
        return Err(BackupError::NoDatabase(db_path.to_path_buf()));
    }
    let (key_text, ring) = installation_keys(config)?;

    let db_partial = Partial::lock(dest)?;
    let mut keys_partial = Partial::lock(&keys_dest)?;
    // Again under the locks: another run may have finished just before.
    refuse_existing(&[dest, &keys_dest])?;

    let unreadable = |e: domain::db::DbError| BackupError::Database {
        path: db_path.to_path_buf(),
        message: format!("cannot be copied: {e}"),
    };
    let live = SqliteFile::open_live(db_path).await.map_err(unreadable)?;
    let copied = live.copy_into(&db_partial.path).await;
    live.close().await;
    copied.map_err(unreadable)?;
    db_partial.sync()?;
    keys_partial.write(key_text.as_bytes())?;

    let facts = check_copy(&db_partial.path, &ring)
        .await?
        .map_err(BackupError::LiveKeys)?;
    keys_partial.publish(&keys_dest)?;
    if let Err(e) = db_partial.publish(dest) {
        let _ = fs::remove_file(&keys_dest);
        return Err(e);
    }
    sync_dir(&dir)?;

    let size = fs::metadata(dest).map_err(io_error("read", dest))?.len();
    Ok(format!(
        "saved the database {} to {} ({size} bytes; schema version {}; {})\n\
         saved its key ring to {} (key ids {}; mode 0600): store it apart from the database backup\n",
        db_path.display(),
        dest.display(),
        facts.schema_version,
        connections(facts.connections),
        keys_dest.display(),
        ids(&ring),
    ))
}

/// `pinbridge restore FILE`: the backup in place of the installation's
/// database, its key ring in place of the installation's key file. Returns the
/// lines to print.
pub async fn restore(config: &Config, args: &RestoreArgs) -> Result<String, BackupError> {
    let db_path = sqlite_database(config, "restore")?;
    let file = args.file.as_path();
    let keys_file = args
        .keys
        .clone()
        .unwrap_or_else(|| with_suffix(file, ".keys"));
    if !file.is_file() {
        return Err(BackupError::NoSuchFile(file.to_path_buf()));
    }
    if !keys_file.is_file() {
        return Err(BackupError::NoSuchKeyFile(keys_file));
    }
    let (key_text, ring) = backup_keys(&keys_file)?;
    let facts = check_backup(config, file, &keys_file, &ring).await?;

    // What the installation holds now.
    let key_dest = match &config.key_source {
        KeySource::File(path) => Some(path.as_path()),
        KeySource::Inline => None,
    };
    let db_held = fs::metadata(db_path).is_ok_and(|m| m.len() > 0);
    let key_held = match key_dest {
        Some(path) => match fs::read(path) {
            Ok(bytes) => Some(Zeroizing::new(bytes).as_slice() == key_text.as_bytes()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error("read", path)(e)),
        },
        None => None,
    };
    let key_differs = key_held == Some(false);
    if db_held && !args.force {
        return Err(BackupError::TargetHeld(db_path.to_path_buf()));
    }
    if key_differs && !args.force {
        return Err(BackupError::KeyFileDiffers(
            key_dest.unwrap_or(&keys_file).to_path_buf(),
        ));
    }
    if db_held
        && check::in_use(db_path)
            .await
            .map_err(|e| BackupError::Database {
                path: db_path.to_path_buf(),
                message: format!("cannot be opened: {e}"),
            })?
    {
        return Err(BackupError::InUse(db_path.to_path_buf()));
    }

    let dir = parent_dir(db_path);
    let created = create_private_dirs(&dir).map_err(io_error("create directory", &dir))?;
    let installed = install(
        db_path,
        file,
        key_dest.filter(|_| key_held != Some(true)),
        &key_text,
        &ring,
        &facts,
    )
    .await;
    let aside = match installed {
        Ok(aside) => aside,
        Err(e) => {
            for dir in created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
            return Err(e);
        }
    };

    let mut out = format!(
        "restored {} to {} (schema version {}; {}; key ids {})\n",
        file.display(),
        db_path.display(),
        facts.schema_version,
        connections(facts.connections),
        ids(&ring),
    );
    match (key_dest, key_held) {
        (Some(path), Some(true)) => out.push_str(&format!(
            "the key file {} already holds the backup's key ring\n",
            path.display()
        )),
        (Some(path), _) => out.push_str(&format!(
            "installed its key ring as {} (mode 0600)\n",
            path.display()
        )),
        (None, _) => out.push_str("the key ring in PINBRIDGE_ENCRYPTION_KEYS opens it\n"),
    }
    for path in &aside {
        out.push_str(&format!("kept the replaced {}\n", path.display()));
    }
    out.push_str("start pinbridge to serve it (it migrates a backup made by an older version)\n");
    Ok(out)
}

/// Copies the backup beside the database, checks the copy, moves what the
/// installation holds aside and gives the copies their names. Answers where
/// the replaced files are; on failure puts everything back.
async fn install(
    db_path: &Path,
    file: &Path,
    key_dest: Option<&Path>,
    key_text: &str,
    ring: &KeyRing,
    facts: &Facts,
) -> Result<Vec<PathBuf>, BackupError> {
    let mut db_partial = Partial::lock(db_path)?;
    let mut source = File::open(file).map_err(io_error("read", file))?;
    io::copy(&mut source, &mut db_partial.file).map_err(io_error("copy", file))?;
    db_partial.sync()?;
    let copied = check_copy(&db_partial.path, ring).await?;
    if copied.as_ref().ok() != Some(facts) {
        return Err(BackupError::Database {
            path: file.to_path_buf(),
            message: "changed while it was being restored; nothing was changed".into(),
        });
    }
    let keys_partial = match key_dest {
        Some(dest) => {
            let mut partial = Partial::lock(dest)?;
            partial.write(key_text.as_bytes())?;
            Some((partial, dest))
        }
        None => None,
    };

    let mut aside = Aside::new();
    let result = (|| {
        aside.replace(db_path)?;
        aside.replace(&with_suffix(db_path, "-wal"))?;
        // The shared-memory index holds no data, and belongs to the old database.
        match fs::remove_file(with_suffix(db_path, "-shm")) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(io_error("remove", &with_suffix(db_path, "-shm"))(e));
            }
            _ => {}
        }
        if let Some((partial, dest)) = keys_partial {
            aside.replace(dest)?;
            partial.publish(dest).map_err(appeared)?;
            aside.published.push(dest.to_path_buf());
            sync_dir(&parent_dir(dest))?;
        }
        db_partial.publish(db_path).map_err(appeared)?;
        sync_dir(&parent_dir(db_path))
    })();
    match result {
        Ok(()) => Ok(aside.kept()),
        Err(e) => {
            aside.undo();
            Err(e)
        }
    }
}

/// A file that took a name a restore had just cleared: something (a pinbridge
/// starting?) writes there.
fn appeared(e: BackupError) -> BackupError {
    match e {
        BackupError::Exists(path) => BackupError::Appeared(path),
        other => other,
    }
}

/// The database file of a SQLite installation, or why there is none.
fn sqlite_database<'a>(config: &'a Config, command: &'static str) -> Result<&'a Path, BackupError> {
    match (config.backend, &config.sqlite_path) {
        (domain::db::Backend::Postgres, _) => Err(BackupError::Postgres { command }),
        (_, Some(path)) => Ok(path),
        (_, None) => Err(BackupError::InMemory),
    }
}

/// The key ring the installation runs with, as key-file text.
fn installation_keys(config: &Config) -> Result<(Zeroizing<String>, KeyRing), BackupError> {
    let keys_error = |setting: String, message: String| {
        BackupError::Start(StartError::Keys { setting, message })
    };
    match &config.key_source {
        KeySource::Inline => {
            let spec = config.encryption_keys.as_deref().unwrap_or_default();
            let ring = KeyRing::parse(spec).map_err(|e| {
                keys_error(
                    "PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys)".into(),
                    e.to_string(),
                )
            })?;
            Ok((key_file_text(spec), ring))
        }
        KeySource::File(path) => {
            let text = match fs::read_to_string(path) {
                Ok(text) => Zeroizing::new(text),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(BackupError::NoKeyFile(path.clone()));
                }
                Err(e) => {
                    return Err(keys_error(
                        format!("key file {}", path.display()),
                        format!("cannot be read: {e}"),
                    ));
                }
            };
            let ring = KeyRing::parse(&text)
                .map_err(|e| keys_error(format!("key file {}", path.display()), e.to_string()))?;
            Ok((text, ring))
        }
    }
}

/// `PINBRIDGE_ENCRYPTION_KEYS` written as a key file: one entry per line.
fn key_file_text(spec: &str) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::from(
        "# pinbridge encryption keys: one `id:base64` per line. The first key encrypts;\n\
         # every key decrypts. Saved by `pinbridge backup` from PINBRIDGE_ENCRYPTION_KEYS:\n\
         # to use them there again, join the lines with commas.\n",
    ));
    let entries = spec
        .lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for entry in entries {
        text.push_str(entry);
        text.push('\n');
    }
    text
}

/// A backup's key file, read and parsed.
fn backup_keys(path: &Path) -> Result<(Zeroizing<String>, KeyRing), BackupError> {
    let bad = |message: String| BackupError::BadKeyFile {
        path: path.to_path_buf(),
        message,
    };
    let bytes = Zeroizing::new(fs::read(path).map_err(io_error("read", path))?);
    if bytes.starts_with(b"SQLite format 3\0") {
        return Err(bad(
            "is a SQLite database, not a key file (were FILE and --keys swapped?)".into(),
        ));
    }
    let text = Zeroizing::new(
        std::str::from_utf8(&bytes)
            .map_err(|_| bad("is not a pinbridge key file (it is not text)".into()))?
            .to_owned(),
    );
    let ring =
        KeyRing::parse(&text).map_err(|e| bad(format!("is not a pinbridge key file ({e})")))?;
    Ok((text, ring))
}

/// Whether `path` holds a key file rather than a database.
fn is_key_file(path: &Path) -> bool {
    let mut head = Zeroizing::new(Vec::new());
    let read = File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
    read.is_ok()
        && std::str::from_utf8(&head)
            .ok()
            .is_some_and(|text| KeyRing::parse(text).is_ok())
}

/// Checks the backup where it is (read only), its key file, and the
/// configured keys when they come from the environment.
async fn check_backup(
    config: &Config,
    file: &Path,
    keys_file: &Path,
    ring: &KeyRing,
) -> Result<Facts, BackupError> {
    let bad = |problem: FileProblem| BackupError::BadBackup {
        path: file.to_path_buf(),
        problem,
    };
    match check::check_header(file) {
        Ok(()) => {}
        Err(FileProblem::NotSqlite) if is_key_file(file) => {
            return Err(BackupError::KeyFileGiven(file.to_path_buf()));
        }
        Err(problem) => return Err(bad(problem)),
    }
    let backup = SqliteFile::open_still(file)
        .await
        .map_err(|e| bad(FileProblem::from(e)))?;
    let checked = async {
        let facts = backup.check().await.map_err(bad)?;
        facts.check_runnable().map_err(bad)?;
        backup
            .check_keys(ring)
            .await
            .map_err(|e| BackupError::KeysDontOpen {
                keys: keys_file.to_path_buf(),
                message: key_problem(&e, file),
            })?;
        if config.key_source == KeySource::Inline {
            let spec = config.encryption_keys.as_deref().unwrap_or_default();
            let configured = KeyRing::parse(spec).map_err(|e| {
                BackupError::Start(StartError::Keys {
                    setting: "PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys)".into(),
                    message: e.to_string(),
                })
            })?;
            backup.check_keys(&configured).await.map_err(|e| {
                BackupError::ConfiguredKeysDontOpen {
                    keys: keys_file.to_path_buf(),
                    message: key_problem(&e, file),
                }
            })?;
        }
        Ok(facts)
    }
    .await;
    backup.close().await;
    checked
}

/// Why a key ring does not open `backup`, for a sentence about the ring.
fn key_problem(e: &KeyCheckError, backup: &Path) -> String {
    match e {
        KeyCheckError::MissingKey(id) => format!(
            "has no key {id}, which sealed the secrets in {}",
            backup.display()
        ),
        KeyCheckError::WrongKey(id) => format!(
            "holds another key {id} than the one that sealed the secrets in {}",
            backup.display()
        ),
        KeyCheckError::Db(e) => format!("cannot check {}: {e}", backup.display()),
    }
}

/// Checks a copy just written: a sound pinbridge database. The outer error is
/// the copy's; the inner one says whether `ring` opens it.
async fn check_copy(
    path: &Path,
    ring: &KeyRing,
) -> Result<Result<Facts, KeyCheckError>, BackupError> {
    let bad = |problem: FileProblem| BackupError::BadCopy {
        path: path.to_path_buf(),
        problem,
    };
    check::check_header(path).map_err(bad)?;
    let copy = SqliteFile::open_still(path)
        .await
        .map_err(|e| bad(FileProblem::from(e)))?;
    let facts = copy.check().await.map_err(bad);
    let keys = match &facts {
        Ok(_) => copy.check_keys(ring).await,
        Err(_) => Ok(()),
    };
    copy.close().await;
    let facts = facts?;
    Ok(keys.map(|()| facts))
}

/// A file being written beside its destination: `DEST.partial`, mode 0600,
/// locked while this process writes it so a second run to the same
/// destination stops instead of writing into it. A leftover of a run that was
/// killed is emptied and reused. Removed again unless published.
struct Partial {
    path: PathBuf,
    file: File,
    published: bool,
}

impl Partial {
    fn lock(dest: &Path) -> Result<Self, BackupError> {
        let path = with_suffix(dest, ".partial");
        // Whoever held the lock before may have removed or renamed the file
        // meanwhile: the lock counts only on the file that still has the name.
        for _ in 0..3 {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let file = options.open(&path).map_err(io_error("create", &path))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(BackupError::Busy(dest.to_path_buf()));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", &path)(e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io_error("empty", &path))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(0o600))
                    .map_err(io_error("protect", &path))?;
            }
            return Ok(Self {
                path,
                file,
                published: false,
            });
        }
        Err(BackupError::Busy(dest.to_path_buf()))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), BackupError> {
        self.file
            .write_all(bytes)
            .map_err(io_error("write", &self.path))?;
        self.sync()
    }

    fn sync(&self) -> Result<(), BackupError> {
        self.file.sync_all().map_err(io_error("sync", &self.path))
    }

    /// Gives the file the name `dest`, never replacing a file there.
    fn publish(mut self, dest: &Path) -> Result<(), BackupError> {
        match fs::hard_link(&self.path, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(dest.to_path_buf()));
            }
            // A file system without hard links: a rename, after a last look.
            Err(_) if dest.symlink_metadata().is_err() => {
                fs::rename(&self.path, dest).map_err(io_error("rename", &self.path))?;
                self.published = true;
                return Ok(());
            }
            Err(e) => return Err(io_error("name", dest)(e)),
        }
        self.published = true;
        fs::remove_file(&self.path).map_err(io_error("remove", &self.path))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether the open `file` is the one named `path` now.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// The installation's files moved aside by a restore, to report or to put back.
struct Aside {
    stamp: String,
    moved: Vec<(PathBuf, PathBuf)>,
    /// New files given an old file's name, removed again on undo.
    published: Vec<PathBuf>,
}

impl Aside {
    fn new() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self {
            stamp: format!(
                "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            ),
            moved: Vec::new(),
            published: Vec::new(),
        }
    }

    /// Moves `path` aside (if it exists) as `path.before-restore-<time>`; an
    /// empty file holds nothing to keep and is removed.
    fn replace(&mut self, path: &Path) -> Result<(), BackupError> {
        let Ok(meta) = path.symlink_metadata() else {
            return Ok(());
        };
        if meta.len() == 0 {
            return fs::remove_file(path).map_err(io_error("remove", path));
        }
        let mut to = with_suffix(path, &format!(".before-restore-{}", self.stamp));
        let mut n = 1;
        while to.symlink_metadata().is_ok() {
            n += 1;
            to = with_suffix(path, &format!(".before-restore-{}-{n}", self.stamp));
        }
        fs::rename(path, &to).map_err(io_error("move aside", path))?;
        self.moved.push((path.to_path_buf(), to));
        Ok(())
    }

    fn kept(self) -> Vec<PathBuf> {
        self.moved.into_iter().map(|(_, to)| to).collect()
    }

    fn undo(self) {
        for path in &self.published {
            let _ = fs::remove_file(path);
        }
        for (from, to) in self.moved.iter().rev() {
            let _ = fs::rename(to, from);
        }
    }
}

fn refuse_existing(paths: &[&Path]) -> Result<(), BackupError> {
    match paths.iter().find(|p| p.symlink_metadata().is_ok()) {
        Some(path) => Err(BackupError::Exists(path.to_path_buf())),
        None => Ok(()),
    }
}

/// `path` with `suffix` added to its file name (`b.db` → `b.db.keys`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes the names given in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync directory", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn connections(n: i64) -> String {
    if n == 1 {
        "1 connection".into()
    } else {
        format!("{n} connections")
    }
}

fn ids(ring: &KeyRing) -> String {
    ring.ids()
        .map(|id| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
