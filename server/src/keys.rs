//! Loading the key ring at start-up: from the environment, or from a key file
//! that is generated (mode 0600) on first start.

use std::io::Write;
use std::path::{Path, PathBuf};

use domain::crypto::{KeyId, KeyRing};
use zeroize::Zeroizing;

use crate::config::{Config, KeySource};
use crate::start_error::StartError;

/// The key ring, and the key file still to be written if it was just generated.
pub struct PreparedKeys {
    pub ring: KeyRing,
    pub pending_file: Option<(PathBuf, Zeroizing<String>)>,
}

/// Reads the keys without touching the disk. A missing key file is generated in
/// memory only; [`write_key_file`] persists it once the database accepts it.
pub fn prepare(config: &Config) -> Result<PreparedKeys, StartError> {
    match &config.key_source {
        KeySource::Inline => {
            let spec = config.encryption_keys.as_deref().unwrap_or_default();
            let ring = KeyRing::parse(spec).map_err(|e| StartError::Keys {
                setting: "PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys)".into(),
                message: e.to_string(),
            })?;
            Ok(PreparedKeys {
                ring,
                pending_file: None,
            })
        }
        KeySource::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let ring = KeyRing::parse(&text).map_err(|e| StartError::Keys {
                    setting: format!("key file {}", path.display()),
                    message: format!("{e}; fix or restore the file (it was not changed)"),
                })?;
                check_private(path, config.allow_readable_key_file)?;
                Ok(PreparedKeys {
                    ring,
                    pending_file: None,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let id = KeyId::parse("k1").expect("valid key id");
                let (ring, text) = KeyRing::generate(&id);
                Ok(PreparedKeys {
                    ring,
                    pending_file: Some((path.clone(), text)),
                })
            }
            Err(e) => Err(StartError::Keys {
                setting: format!("key file {}", path.display()),
                message: format!("cannot be read: {e}"),
            }),
        },
    }
}

/// Writes a generated key file with mode 0600, never replacing an existing file.
pub fn write_key_file(path: &Path, text: &str) -> Result<(), StartError> {
    let fail = |e: std::io::Error| StartError::Keys {
        setting: format!("key file {}", path.display()),
        message: format!("cannot be created: {e}"),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            fail(e)
        })?;
    tracing::info!(path = %path.display(), "generated a new encryption key file (back it up with the database)");
    Ok(())
}

/// Replaces an existing key file with `text`, atomically: the new text is
/// written to a private temporary file beside it, synced, and renamed over the
/// old one, so a crash leaves either the old file or the new one, never half.
pub fn replace_key_file(path: &Path, text: &str) -> Result<(), StartError> {
    let fail = |e: std::io::Error| StartError::Keys {
        setting: format!("key file {}", path.display()),
        message: format!("cannot be rewritten (it was not changed): {e}"),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keys".into());
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temp).and_then(|mut file| {
        keep_owner(path, &file)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(e));
    }
    // The rename itself is durable once the directory is synced.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Gives the new key file the old one's owner and group: an operator who runs
/// `sudo pinbridge keys add` must not leave a file the service's own user can
/// no longer read. Only root may give a file away; anyone else owns it already.
fn keep_owner(old: &Path, new: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(old)?;
        let (uid, gid) = (meta.uid(), meta.gid());
        let mine = new.metadata()?;
        if (mine.uid(), mine.gid()) != (uid, gid) {
            std::os::unix::fs::fchown(new, Some(uid), Some(gid))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (old, new);
    Ok(())
}

/// Refuses a key file other users can read or change: anyone who reads it can
/// open every secret in the database. `allowed` (PINBRIDGE_ALLOW_READABLE_KEY_FILE)
/// turns the refusal into a warning, for file systems without Unix modes.
fn check_private(path: &Path, allowed: bool) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| StartError::Keys {
                setting: format!("key file {}", path.display()),
                message: format!("cannot be read: {e}"),
            })?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            if allowed {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the key file can be read by other users (allowed by PINBRIDGE_ALLOW_READABLE_KEY_FILE); run chmod 600 on it");
            } else {
                return Err(StartError::Keys {
                    setting: format!("key file {}", path.display()),
                    message: format!(
                        "has mode {mode:o}, so other users can read it; run `chmod 600 {}` (or set PINBRIDGE_ALLOW_READABLE_KEY_FILE=1 to start anyway)",
                        path.display()
                    ),
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, allowed);
    Ok(())
}
