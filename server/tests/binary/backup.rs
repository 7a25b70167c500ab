//! `pinbridge backup` and `pinbridge restore` as an operator runs them: backups
//! taken while pinbridge refreshes tokens restore into a fresh directory where
//! pinbridge starts and every connection's tokens open; every kind of bad input
//! is refused with one line and its exit code, and changes nothing.
//!
//! Backups are of SQLite installations; on PostgreSQL only the refusal runs.

use std::path::{Path, PathBuf};
use std::process::Output;

use domain::accounts::{ConnectionId, EnvironmentId, WorkspaceId};
use domain::connections::{TokenColumn, open_token, seal_token};
use domain::crypto::SecretString;
use domain::db::repo::connections as rows;
use domain::db::{Db, on_pool};
use pinterest_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::cli::failure;
use super::startup::{mode_of, pinbridge, sigterm, start_and_wait};
use crate::common::portal::set_up;
use crate::common::{
    TestApp, TestBackend, TestDb, backend, free_port, key_spec, snapshot, stderr, stdout,
};

const APP_ID: &str = "7654321";
const APP_SECRET: &str = "backup-test-app-secret-5150";

/// An installation in a directory of its own, on the defaults:
/// `data/pinbridge.db` and its key file `data/pinbridge.keys`.
struct Site {
    dir: TempDir,
}

impl Site {
    fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// As after a first start: migrated, key file made, key canary recorded
    /// (`setup-link` opens the installation as `serve` does).
    fn started() -> Self {
        let site = Self::empty();
        let out = site.run(&["setup-link"]);
        assert!(out.status.success(), "{}", stderr(&out));
        site
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("data/pinbridge.db")
    }

    fn keys(&self) -> PathBuf {
        self.path().join("data/pinbridge.keys")
    }

    fn run(&self, args: &[&str]) -> Output {
        pinbridge(self.path()).args(args).output().unwrap()
    }

    /// `pinbridge ARGS` that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_backup_never_replaces_a_file_and_reuses_what_a_killed_one_left() {
    if backend() != TestBackend::Sqlite {
        return; // Backups are of SQLite installations.
    }
    let site = Site::started();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.db");
    let keys = out.path().join("b.db.keys");

    std::fs::write(&file, "precious").unwrap();
    let line = failure(&site.run(&["backup", arg(&file)]), 2);
    assert_eq!(
        line,
        format!(
            "pinbridge: {}: already exists; a backup never replaces a file, so give a new name",
            file.display()
        )
    );
    assert_eq!(text(&file), "precious");
    assert!(!keys.exists());

    std::fs::remove_file(&file).unwrap();
    std::fs::write(&keys, "precious").unwrap();
    let line = failure(&site.run(&["backup", arg(&file)]), 2);
    assert!(
        line.contains(&format!("{}: already exists", keys.display())),
        "{line}"
    );
    assert_eq!(text(&keys), "precious");
    assert!(!file.exists());
    std::fs::remove_file(&keys).unwrap();

    let nowhere = out.path().join("missing/b.db");
    let line = failure(&site.run(&["backup", arg(&nowhere)]), 2);
    assert!(line.ends_with("missing: no such directory"), "{line}");

    // A run killed while writing leaves `b.db.partial`: the next one reuses it.
    std::fs::write(out.path().join("b.db.partial"), "half a database").unwrap();
    std::fs::write(out.path().join("b.db.keys.partial"), "half a key").unwrap();
    let before = snapshot(site.path());
    let report = site.ok(&["backup", arg(&file)]);
    assert_eq!(
        snapshot(site.path()),
        before,
        "the installation is unchanged"
    );
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["b.db", "b.db.keys"], "no partial file is left");
    assert_eq!(mode_of(&file), 0o600);
    assert_eq!(mode_of(&keys), 0o600);
    let key_text = text(&site.keys());
    assert_eq!(
        text(&keys),
        key_text,
        "the installation's key ring, as it is"
    );
    assert!(
        report.contains(&format!("to {} (", file.display())),
        "{report}"
    );
    assert!(report.contains("0 connections"), "{report}");
    assert!(report.contains(&format!("to {} (key ids k1; mode 0600)", keys.display())));
    let material = key_text.lines().last().unwrap().split_once(':').unwrap().1;
    assert!(!report.contains(material), "no key material printed");
}

#[test]
fn backup_and_restore_point_a_postgres_installation_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["backup", "b.db"][..], &["restore", "b.db"]] {
        let out = pinbridge(dir.path())
            .env(
                "PINBRIDGE_DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:{}/x", free_port()),
            )
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
            .args(args)
            .output()
            .unwrap();
        let line = failure(&out, 2);
        assert!(
            line.starts_with(&format!(
                "pinbridge: PINBRIDGE_DATABASE_URL (--database-url): `pinbridge {}` works on a SQLite installation; for PostgreSQL use pg_dump",
                args[0]
            )),
            "{line}"
        );
        assert!(
            line.contains("\"Backups, restores and upgrades\""),
            "{line}"
        );
    }
    assert!(snapshot(dir.path()).is_empty(), "nothing written");
}

/// A copy of `file` named `name` in `dir`, cut to `len` bytes.
fn cut(file: &Path, dir: &Path, name: &str, len: usize) -> PathBuf {
    let bytes = std::fs::read(file).unwrap();
    let to = dir.join(name);
    std::fs::write(&to, &bytes[..len]).unwrap();
    to
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_backup_of_this_installation_and_changes_nothing() {
    if backend() != TestBackend::Sqlite {
        return;
    }
    let source = Site::started();
    let other = Site::started(); // another installation, with a key of its own
    let bk = tempfile::tempdir().unwrap();
    let file = bk.path().join("a.db");
    let keys = bk.path().join("a.db.keys");
    source.ok(&["backup", arg(&file)]);

    let garbage = bk.path().join("garbage.db");
    std::fs::write(
        &garbage,
        (0..50_000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let size = std::fs::metadata(&file).unwrap().len() as usize;
    let truncated = cut(&file, bk.path(), "truncated.db", size / 2);
    let key_text = text(&keys);
    let cut_keys = cut(&keys, bk.path(), "cut.keys", key_text.len() - 20);
    let foreign = bk.path().join("foreign.db");
    {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", foreign.display()))
            .await
            .unwrap();
        sqlx::query("create table notes (body text)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    // A backup of a newer pinbridge: one migration this one does not know.
    let newer = bk.path().join("newer.db");
    std::fs::copy(&file, &newer).unwrap();
    {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", newer.display()))
            .await
            .unwrap();
        sqlx::query(
            "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
             values (99991231000001, 'later', 1, x'00', 1)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let missing = bk.path().join("nothing.db");

    let p = |path: &Path| path.display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![p(&garbage), "--keys".into(), p(&keys)],
            format!("{}: is not a SQLite database", p(&garbage)),
        ),
        (
            vec![p(&truncated), "--keys".into(), p(&keys)],
            format!(
                "{}: is truncated (it has {} bytes of {size})",
                p(&truncated),
                size / 2
            ),
        ),
        (
            vec![p(&foreign), "--keys".into(), p(&keys)],
            format!(
                "{}: is a SQLite database but not a pinbridge database (it has no _sqlx_migrations table)",
                p(&foreign)
            ),
        ),
        (
            vec![p(&newer), "--keys".into(), p(&keys)],
            format!(
                "{}: was made by a newer pinbridge (schema version 99991231000001;",
                p(&newer)
            ),
        ),
        (
            vec![p(&file), "--keys".into(), p(&other.keys())],
            format!(
                "{}: holds another key k1 than the one that sealed the secrets in {} (the key file of another backup or installation?)",
                p(&other.keys()),
                p(&file)
            ),
        ),
        (
            vec![p(&keys), "--keys".into(), p(&file)],
            format!(
                "{}: is a SQLite database, not a key file (were FILE and --keys swapped?)",
                p(&file)
            ),
        ),
        (
            vec![p(&keys), "--keys".into(), p(&keys)],
            format!(
                "{}: is a key file, not a database backup (were FILE and --keys swapped?)",
                p(&keys)
            ),
        ),
        (
            vec![p(&file), "--keys".into(), p(&cut_keys)],
            format!("{}: is not a pinbridge key file (", p(&cut_keys)),
        ),
        (
            vec![p(&file), "--keys".into(), p(&missing)],
            format!(
                "{}: no such key file; give the backup's key file with --keys",
                p(&missing)
            ),
        ),
        (vec![p(&missing)], format!("{}: no such file", p(&missing))),
    ];

    // Into a fresh directory, and over an installation even with --force.
    let fresh = Site::empty();
    let existing = Site::started();
    let backups_before = snapshot(bk.path());
    for (site, force) in [(&fresh, false), (&existing, true)] {
        let before = snapshot(site.path());
        for (args, expected) in &cases {
            let mut argv = vec!["restore"];
            argv.extend(args.iter().map(String::as_str));
            if force {
                argv.push("--force");
            }
            let line = failure(&site.run(&argv), 2);
            assert!(
                line.starts_with(&format!("pinbridge: {expected}")),
                "{argv:?}:\n{line}\nexpected: {expected}"
            );
            assert!(!line.contains(key_text.lines().last().unwrap()), "{line}");
        }
        assert_eq!(
            snapshot(site.path()),
            before,
            "the installation is unchanged"
        );
    }
    assert_eq!(
        snapshot(bk.path()),
        backups_before,
        "the backups are unchanged"
    );
}

#[test]
fn restore_replaces_an_installation_only_with_force_and_never_under_a_running_pinbridge() {
    if backend() != TestBackend::Sqlite {
        return;
    }
    let source = Site::started();
    let bk = tempfile::tempdir().unwrap();
    let file = bk.path().join("a.db");
    source.ok(&["backup", arg(&file)]);
    let target = Site::started();
    let before = snapshot(target.path());

    let line = failure(&target.run(&["restore", arg(&file)]), 2);
    assert_eq!(
        line,
        "pinbridge: data/pinbridge.db: holds a database; stop pinbridge, then restore with --force to replace it (its files are kept beside it)"
    );
    assert_eq!(snapshot(target.path()), before);

    // While pinbridge serves the installation, not even --force replaces it.
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(target.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    let line = failure(&target.run(&["restore", arg(&file), "--force"]), 1);
    assert_eq!(
        line,
        "pinbridge: data/pinbridge.db: is open in another process (is pinbridge running?); stop pinbridge, then restore"
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    let before = snapshot(target.path());
    let old_db = std::fs::read(target.db()).unwrap();
    let old_keys = text(&target.keys());

    let report = target.ok(&["restore", arg(&file), "--force"]);
    assert!(
        report.contains("installed its key ring as data/pinbridge.keys"),
        "{report}"
    );
    assert!(std::fs::read(target.db()).unwrap() == std::fs::read(&file).unwrap());
    assert_eq!(text(&target.keys()), text(&source.keys()));
    assert_eq!(mode_of(&target.db()), 0o600);
    assert_eq!(mode_of(&target.keys()), 0o600);
    // What it replaced is kept beside it, byte for byte.
    let kept: Vec<PathBuf> = std::fs::read_dir(target.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".before-restore-"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    for path in &kept {
        assert!(
            report.contains(&format!(
                "kept the replaced data/{}",
                path.file_name().unwrap().to_string_lossy()
            )),
            "{report}"
        );
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("pinbridge.db.") {
            assert!(
                std::fs::read(path).unwrap() == old_db,
                "{name} is the old database"
            );
        } else {
            assert_eq!(text(path), old_keys);
        }
    }
    assert_eq!(
        before.len() + 2,
        snapshot(target.path()).len(),
        "two files more: {report}"
    );
    // The restored installation starts with the backup's keys.
    let out = target.run(&["setup-link"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn restore_with_keys_from_the_environment_checks_them_and_writes_no_key_file() {
    if backend() != TestBackend::Sqlite {
        return;
    }
    let with = |site: &Site, byte: u8, args: &[&str]| {
        pinbridge(site.path())
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", byte)]))
            .args(args)
            .output()
            .unwrap()
    };
    let source = Site::empty();
    assert!(with(&source, 1, &["setup-link"]).status.success());
    let bk = tempfile::tempdir().unwrap();
    let file = bk.path().join("a.db");
    let out = with(&source, 1, &["backup", arg(&file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = text(&bk.path().join("a.db.keys"));
    assert!(keys.lines().any(|l| l == key_spec(&[("k1", 1)])), "{keys}");
    assert!(!source.keys().exists());

    let target = Site::empty();
    let line = failure(&with(&target, 2, &["restore", arg(&file)]), 2);
    assert!(
        line.starts_with("pinbridge: PINBRIDGE_ENCRYPTION_KEYS (--encryption-keys): holds another key k1 than the one that sealed the secrets in"),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            "set it to the keys in {}.keys (its `id:base64` lines joined with commas)",
            file.display()
        )),
        "{line}"
    );
    assert!(snapshot(target.path()).is_empty());

    let out = with(&target, 1, &["restore", arg(&file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("the key ring in PINBRIDGE_ENCRYPTION_KEYS opens it"));
    assert!(target.db().exists() && !target.keys().exists());
    assert!(with(&target, 1, &["setup-link"]).status.success());
}

/// The access and refresh token of each connection in `ids`, as the database
/// of `app` holds them, opened with its keys.
async fn open_tokens(app: &TestApp, ids: &[ConnectionId]) -> Vec<(ConnectionId, String, String)> {
    let state = app.state();
    let mut out = Vec::new();
    for id in ids {
        let row = rows::find_by_id(&state.db, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("connection {id} is there"));
        let open = |column, stored: &Option<String>| {
            open_token(
                &state.keys,
                &row.workspace_id,
                id,
                column,
                stored.as_deref().expect("a token"),
            )
            .unwrap_or_else(|e| panic!("{id}: the {column:?} token opens: {e:?}"))
            .expose()
            .to_owned()
        };
        out.push((
            id.clone(),
            open(TokenColumn::Access, &row.access_token),
            open(TokenColumn::Refresh, &row.refresh_token),
        ));
    }
    out
}

async fn sim_post(sim: &RunningSim, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Pinterest at `url` for every base, the scheduler every `interval_ms`.
fn pinterest_flags(url: &str, interval_ms: &str) -> Vec<String> {
    let mut flags = Vec::new();
    for flag in [
        "--pinterest-oauth-url",
        "--pinterest-api-url",
        "--pinterest-sandbox-api-url",
    ] {
        flags.push(flag.to_owned());
        flags.push(url.to_owned());
    }
    flags.extend(["--pinterest-timeout-ms".into(), "2000".into()]);
    flags.extend(["--scheduler-interval-ms".into(), interval_ms.to_owned()]);
    flags
}

fn refs(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

async fn total_refreshes(db: &Db) -> i64 {
    let (n,): (i64,) = on_pool!(db, pool => {
        sqlx::query_as("select coalesce(sum(refresh_count), 0) from connections").fetch_one(pool).await
    })
    .unwrap();
    n
}

/// `n` connections holding tokens the simulator minted, due for a refresh now,
/// stored as the handshake stores them. Answers their ids and the tokens.
async fn seed_connections(
    app: &TestApp,
    sim: &RunningSim,
    ws: &WorkspaceId,
    env: &EnvironmentId,
    n: usize,
) -> (Vec<ConnectionId>, Vec<String>) {
    let minted = sim_post(
        sim,
        "/_sim/tokens",
        json!({"client_id": APP_ID, "username": "demo_pinner",
               "scopes": "user_accounts:read,boards:read,pins:read", "count": n}),
    )
    .await;
    let state = app.state();
    let now = domain::db::now_ms();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    let mut tx = state.db.begin().await.unwrap();
    for (i, t) in minted["items"].as_array().unwrap().iter().enumerate() {
        let mut row = domain::testing::connection_row(ws, env, &format!("customer-{i}"));
        let mut seal = |column, token: &Value| {
            let token = token.as_str().unwrap().to_owned();
            tokens.push(token.clone());
            seal_token(&state.keys, ws, &row.id, column, &SecretString::new(token)).unwrap()
        };
        row.access_token = Some(seal(TokenColumn::Access, &t["access_token"]));
        row.refresh_token = Some(seal(TokenColumn::Refresh, &t["refresh_token"]));
        row.access_expires_at = Some(now + 60_000);
        row.next_refresh_at = Some(now);
        row.next_probe_at = Some(now + 86_400_000);
        rows::insert(&mut tx, &row).await.unwrap();
        ids.push(row.id);
    }
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), n);
    (ids, tokens)
}

/// The restore test: pinbridge refreshes every connection's tokens
/// against pinterest-sim (tokens live 2 s) while `pinbridge backup` runs again
/// and again; each backup restores into a fresh directory, pinbridge starts
/// there, and every connection is there with tokens that open. No backup holds
/// a token or the App secret in plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_taken_while_tokens_refresh_restore_where_every_token_opens() {
    if backend() != TestBackend::Sqlite {
        return;
    }
    const N: usize = 12;
    const BACKUPS: usize = 4;
    let sim = pinterest_sim::spawn(SimConfig::default()).await.unwrap();
    let app = TestApp::spawn_with(&refs(&pinterest_flags(&sim.base_url(), "50"))).await;
    sim_post(
        &sim,
        "/_sim/apps",
        json!({"id": APP_ID, "secret": APP_SECRET, "name": "Acme", "tier": "standard",
               "redirect_uris": [format!("{}/integration-callback", app.base)],
               "access_token_ttl_secs": 2}),
    )
    .await;
    let owner = set_up(&app, "Acme Pins", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let env = owner.browser.workspace(&ws).await.unwrap().environments[0].clone();
    let saved = owner
        .browser
        .post(
            "pinterest/save",
            &[
                ("workspace", ws.as_str()),
                ("environment_id", env.id.as_str()),
                ("version", "0"),
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("api", "production"),
                ("scopes[]", "user_accounts:read"),
                ("scopes[]", "boards:read"),
                ("scopes[]", "pins:read"),
            ],
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let (ids, mut secrets) = seed_connections(
        &app,
        &sim,
        &WorkspaceId::parse(&ws).unwrap(),
        &EnvironmentId::parse(&env.id).unwrap(),
        N,
    )
    .await;

    let bk = tempfile::tempdir().unwrap();
    let live_db = app.db.url.clone();
    let refreshed_before = total_refreshes(&app.state().db).await;
    let mut files = Vec::new();
    for i in 0..BACKUPS {
        let file = bk.path().join(format!("b{i}.db"));
        let (dir, url, to) = (bk.path().to_owned(), live_db.clone(), file.clone());
        let out = tokio::task::spawn_blocking(move || {
            pinbridge(&dir)
                .env("PINBRIDGE_DATABASE_URL", url)
                .args(["backup", to.to_str().unwrap()])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains(&format!("; {N} connections)")),
            "{}",
            stdout(&out)
        );
        assert_eq!(mode_of(&file), 0o600);
        assert_eq!(mode_of(&bk.path().join(format!("b{i}.db.keys"))), 0o600);
        files.push(file);
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    let refreshed = total_refreshes(&app.state().db).await - refreshed_before;
    assert!(
        refreshed >= 2 * N as i64,
        "tokens were refreshed while the backups ran ({refreshed} refreshes)"
    );
    let live_keys = text(&app.db.dir.path().join("pinbridge.keys"));
    secrets.extend(
        open_tokens(&app, &ids)
            .await
            .into_iter()
            .flat_map(|(_, access, refresh)| [access, refresh]),
    );

    // Pinbridge in each restored directory talks to a Pinterest that is not
    // there: the backups' refresh tokens were rotated since, and a refused
    // refresh would rightly mark the connections for re-authorization.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let mut refreshed_in_backups = 0;
    for file in &files {
        let restored = TestDb::new().await;
        let out = pinbridge(restored.dir.path())
            .env("PINBRIDGE_DATABASE_URL", &restored.url)
            .args(["restore", arg(file)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let installed = restored.dir.path().join("pinbridge.keys");
        assert_eq!(text(&installed), live_keys);
        assert_eq!(mode_of(&installed), 0o600);
        let there = TestApp::spawn_on(restored, &refs(&pinterest_flags(&nowhere, "3600000"))).await;
        let opened = open_tokens(&there, &ids).await;
        assert_eq!(opened.len(), N, "every connection is there");
        refreshed_in_backups += total_refreshes(&there.state().db).await;
        secrets.extend(opened.into_iter().flat_map(|(_, a, r)| [a, r]));
        there.stop().await;
    }
    assert!(refreshed_in_backups > 0, "the backups caught refreshes");

    secrets.push(APP_SECRET.to_owned());
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let keys = std::fs::read(format!("{}.keys", file.display())).unwrap();
        for secret in &secrets {
            for (name, bytes) in [("database", &bytes), ("key file", &keys)] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "the {name} backup {} holds a secret in plain text",
                    file.display()
                );
            }
        }
    }
    app.stop().await;
    sim.shutdown().await;
}
