//! `pinbridge keys add | rotate | status | retire`: the key ring over time.
//!
//! Each command reads the ring where `serve` reads it (the key file or
//! `PINBRIDGE_ENCRYPTION_KEYS`), opens the database as `serve` does (migrated,
//! every canary checked), and leaves the work to [`domain::keys`]. Output for
//! people goes to standard output; the progress bar to standard error.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use domain::crypto::{KeyId, KeySpec};
use domain::db::now_ms;
use domain::keys::{self, KeyStatus, Progress, SealedKind};
use zeroize::Zeroizing;

use crate::admin::AdminError;
use crate::config::{Config, KeySource};
use crate::startup::{self, StartError};

/// How these commands appear as the actor in audit records.
const ACTOR_LABEL: &str = "cli";

/// The ring as configured, in its text form, and where it lives.
fn read_spec(config: &Config) -> Result<(KeySpec, Option<&Path>), AdminError> {
    match &config.key_source {
        KeySource::Inline => {
            let text = config.encryption_keys.as_deref().unwrap_or_default();
            let spec = KeySpec::parse(text).map_err(|e| StartError::Keys {
                setting: "PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys)".into(),
                message: e.to_string(),
            })?;
            Ok((spec, None))
        }
        KeySource::File(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => Zeroizing::new(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(AdminError::NoKeyFile(path.display().to_string()));
                }
                Err(e) => {
                    return Err(StartError::Keys {
                        setting: format!("key file {}", path.display()),
                        message: format!("cannot be read: {e}"),
                    }
                    .into());
                }
            };
            let spec = KeySpec::parse(&text).map_err(|e| StartError::Keys {
                setting: format!("key file {}", path.display()),
                message: format!("{e}; fix or restore the file (it was not changed)"),
            })?;
            Ok((spec, Some(path.as_path())))
        }
    }
}

/// `pinbridge keys add`: the lines to print on standard output.
pub async fn add(config: &Config, id: Option<&str>) -> Result<Zeroizing<String>, AdminError> {
    let (spec, file) = read_spec(config)?;
    let services = startup::prepare_services(config).await?;
    let result = async {
        let used: Vec<String> = keys::status(&services.db, &services.keys)
            .await?
            .keys
            .into_iter()
            .map(|k| k.key_id)
            .collect();
        let id = match id {
            Some(raw) => {
                let id = KeyId::parse(raw).map_err(|e| AdminError::KeyId(format!("--id: {e}")))?;
                if spec.ids().any(|k| k == &id) || used.iter().any(|u| u == id.as_str()) {
                    return Err(AdminError::KeyId(format!(
                        "--id: key id {id} is already used here; pick another or leave --id out"
                    )));
                }
                id
            }
            None => spec.next_id(|candidate| used.iter().any(|u| u == candidate)),
        };
        let added = spec.with_new_first(id.clone());
        let mut out = Zeroizing::new(String::new());
        match file {
            Some(path) => {
                crate::keys::replace_key_file(path, &added.file_text())?;
                keys::added(&services.db, id.as_str(), ACTOR_LABEL, "key file").await?;
                let _ = writeln!(
                    out,
                    "Added key {id} first in {} (it seals new values once pinbridge restarts with it).\n\
                     Next: restart every instance, then run `pinbridge keys rotate`.",
                    path.display()
                );
            }
            None => {
                keys::added(&services.db, id.as_str(), ACTOR_LABEL, "environment").await?;
                let _ = writeln!(out, "PINBRIDGE_ENCRYPTION_KEYS={}", &*added.inline());
                eprintln!(
                    "Key {id} is first in the value above, which is shown only now: set it as \
                     PINBRIDGE_ENCRYPTION_KEYS for every instance, restart them, then run \
                     `pinbridge keys rotate` with it."
                );
            }
        }
        Ok(out)
    }
    .await;
    services.db.close().await;
    result
}

/// `pinbridge keys rotate`.
pub async fn rotate(config: &Config, batch_size: u32) -> Result<String, AdminError> {
    read_spec(config)?;
    let services = startup::prepare_services(config).await?;
    let mut bar = Bar::new();
    let result = keys::rotate(
        &services.db,
        &services.keys,
        batch_size as usize,
        ACTOR_LABEL,
        &mut |p| bar.show(p),
    )
    .await;
    bar.finish();
    services.db.close().await;
    let report = result?;
    let mut out = format!(
        "Re-sealed {} value(s) under key {}",
        report.resealed, report.key_id
    );
    if report.changed_meanwhile > 0 {
        let _ = write!(
            out,
            " ({} changed while this ran and were kept as written)",
            report.changed_meanwhile
        );
    }
    if report.remaining > 0 {
        return Err(AdminError::RotationIncomplete {
            remaining: report.remaining,
            key: report.key_id,
        });
    }
    let _ = write!(
        out,
        ".\nNo stored value uses any other key: retire old keys with `pinbridge keys retire ID`."
    );
    Ok(out)
}

/// `pinbridge keys status`.
pub async fn status(config: &Config) -> Result<String, AdminError> {
    read_spec(config)?;
    let services = startup::prepare_services(config).await?;
    let status = keys::status(&services.db, &services.keys).await;
    services.db.close().await;
    Ok(render_status(&status?))
}

/// `pinbridge keys retire ID`.
pub async fn retire(config: &Config, id: &str) -> Result<String, AdminError> {
    let key = KeyId::parse(id).map_err(|e| AdminError::KeyId(e.to_string()))?;
    let (spec, file) = read_spec(config)?;
    let services = startup::prepare_services(config).await?;
    let result = async {
        keys::check_retire(&services.db, &services.keys, key.as_str()).await?;
        // The canary goes first: a key file that still holds a forgotten key is
        // harmless, a canary without its key stops every start.
        keys::retired(&services.db, key.as_str(), ACTOR_LABEL).await?;
        match (file, spec.without(&key)) {
            (Some(path), Some(kept)) => {
                crate::keys::replace_key_file(path, &kept.file_text())?;
                Ok(format!(
                    "Retired key {key}: it is no longer in {} and no stored value uses it.\n\
                     Restart every instance so none keeps it in memory.",
                    path.display()
                ))
            }
            _ => Ok(format!(
                "Retired key {key}: no stored value uses it. Remove `{key}:…` from \
                 PINBRIDGE_ENCRYPTION_KEYS wherever it is set, and restart every instance."
            )),
        }
    }
    .await;
    services.db.close().await;
    result
}

fn render_status(status: &KeyStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<10} {:>10}  OF WHICH",
        "KEY", "ROLE", "VALUES"
    );
    for key in &status.keys {
        let role = match (key.in_ring, key.primary) {
            (true, true) => "seals new",
            (true, false) => "opens only",
            (false, _) => "MISSING",
        };
        let kinds = SealedKind::ALL
            .iter()
            .filter_map(|kind| {
                let n = key.by_kind.get(kind).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {}", kind.label()))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "{:<12} {:<10} {:>10}  {}",
            key.key_id,
            role,
            key.total(),
            if kinds.is_empty() { "-" } else { &kinds }
        );
    }
    let now = now_ms();
    if status.instances.is_empty() {
        let _ = writeln!(out, "\nNo instance is serving this database right now.");
    } else {
        let _ = writeln!(out, "\nServing now:");
        for i in &status.instances {
            let _ = writeln!(
                out,
                "  {} (pid {}, pinbridge {}): keys {} (first seals), seen {} s ago",
                i.host,
                i.pid,
                i.version,
                i.key_ids.replace(',', ", "),
                (now - i.seen_at).max(0) / 1000
            );
        }
    }
    if !status.events.is_empty() {
        let _ = writeln!(out, "\nLatest key changes:");
        for e in &status.events {
            let when = time::OffsetDateTime::from_unix_timestamp(e.created_at / 1000)
                .map(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {when}  {:<18} {:<8} by {} on {}  {}",
                e.action, e.key_id, e.actor_label, e.host, e.detail
            );
        }
    }
    out
}

/// The progress bar on a terminal; a line per tenth of the way otherwise.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    last_tenth: u64,
}

impl Bar {
    fn new() -> Self {
        Self {
            bar: std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "re-sealing {bar:40} {pos}/{len} ({per_sec}, {eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            }),
            last_tenth: u64::MAX,
        }
    }

    fn show(&mut self, p: Progress) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total);
                bar.set_position(p.done);
            }
            None => {
                let tenth = (p.done * 10).checked_div(p.total).unwrap_or(10);
                if tenth != self.last_tenth {
                    self.last_tenth = tenth;
                    eprintln!("re-sealed {} of {}", p.done, p.total);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
