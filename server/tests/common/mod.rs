//! Test harness: a fresh database per test on the backend chosen by
//! `PINBRIDGE_TEST_BACKEND` (`sqlite`, the default, or `postgres`), and the real
//! app started on an ephemeral port.
#![allow(dead_code)]

pub mod logs;
pub mod portal;

use std::path::PathBuf;

use base64::Engine;
use server::config::{Cli, Config};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub fn backend() -> TestBackend {
    match std::env::var("PINBRIDGE_TEST_BACKEND").as_deref() {
        Ok("postgres") => TestBackend::Postgres,
        _ => TestBackend::Sqlite,
    }
}

pub fn postgres_base_url() -> String {
    std::env::var("PINBRIDGE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// A database of its own for one test, removed by [`TestDb::drop_database`].
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend() {
            TestBackend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("pinbridge.db").display()),
                dir,
                pg_name: None,
            },
            TestBackend::Postgres => {
                let name = format!("pinbridge_test_{}", uuid::Uuid::new_v4().simple());
                let admin = admin_pool().await;
                sqlx::query(&format!("create database {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                Self {
                    url: with_database(&postgres_base_url(), &name),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            let admin = admin_pool().await;
            let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

async fn admin_pool() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_base_url())
        .await
        .expect("PostgreSQL for tests (PINBRIDGE_TEST_POSTGRES_URL)")
}

fn with_database(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("PINBRIDGE_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// `n` distinct keys in the `id:base64` form.
pub fn key_spec(ids: &[(&str, u8)]) -> String {
    ids.iter()
        .map(|(id, byte)| {
            format!(
                "{id}:{}",
                base64::engine::general_purpose::STANDARD.encode([*byte; 32])
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Longest a test waits for any one answer from pinbridge: a request that
/// hangs fails its test (naming the request) instead of stalling the suite.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A running pinbridge and an HTTP client that keeps cookies and never follows redirects.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub running: Option<server::Running>,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// [`TestApp::spawn`] with more command-line settings (`--flag`, `value`, …).
    pub async fn spawn_with(extra: &[&str]) -> Self {
        Self::spawn_on(TestDb::new().await, extra).await
    }

    /// A second pinbridge process sharing `other`'s database (and keys): it does
    /// not drop the database when it stops.
    pub async fn spawn_sharing(other: &TestApp, extra: &[&str]) -> Self {
        let db = TestDb {
            url: other.db.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: None,
        };
        // SQLite: the same database file finds the same generated key file.
        Self::spawn_on(db, extra).await
    }

    async fn spawn_on(db: TestDb, extra: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut args = vec![
            "pinbridge".to_owned(),
            "--database-url".into(),
            db.url.clone(),
            "--listen-addr".into(),
            addr.to_string(),
            "--site-root".into(),
            db.dir.path().join("site").display().to_string(),
        ];
        if backend() == TestBackend::Postgres {
            args.push("--encryption-keys".into());
            args.push(key_spec(&[("k1", 1)]));
        }
        // A test may name the public URL itself (a restarted process keeps its address).
        if !extra.contains(&"--public-url") {
            args.push("--public-url".into());
            args.push(base.clone());
        }
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let config = Config::from_settings(Cli::try_parse_from_args(&args).settings).unwrap();
        let running = server::start(&config, listener)
            .await
            .expect("pinbridge starts");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Self {
            base,
            client,
            running: Some(running),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn state(&self) -> &app::domain::state::AppState {
        &self.running.as_ref().expect("running").state
    }

    pub async fn get_text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
        self.db.drop_database().await;
    }
}

trait TryParseArgs {
    fn try_parse_from_args(args: &[String]) -> Cli;
}

impl TryParseArgs for Cli {
    fn try_parse_from_args(args: &[String]) -> Cli {
        use clap::Parser;
        Cli::try_parse_from(args).expect("test arguments parse")
    }
}

/// Every file under `dir` with its bytes, to prove a failed start changed nothing.
pub fn snapshot(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push((path.clone(), Vec::new()));
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if !is_empty_sqlite_sidecar(&path, &bytes) {
                    out.push((path.clone(), bytes));
                }
            }
        }
    }
    out.sort();
    out
}

/// SQLite's shared-memory index (`-shm`, never data) and an empty write-ahead
/// log (`-wal` of zero bytes, left when a checkpoint truncated it): they hold
/// nothing, and whether SQLite has removed them yet depends on timing.
fn is_empty_sqlite_sidecar(path: &std::path::Path, bytes: &[u8]) -> bool {
    let name = path.to_string_lossy();
    name.ends_with("-shm") || (name.ends_with("-wal") && bytes.is_empty())
}

/// A port nothing listens on right now, for a binary that binds its own.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
