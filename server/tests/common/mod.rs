//! Test harness: a fresh database per test on the backend chosen by
//! `PINBRIDGE_TEST_BACKEND` (`sqlite`, the default, or `postgres`), and the real
//! app started on an ephemeral port.
#![allow(dead_code)]

pub mod logs;
pub mod portal;

use std::path::PathBuf;

use server::config::{Cli, Config};

pub use domain::testing::{TestBackend, TestDb, backend, key_spec};

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
        // SQLite: the same database file finds the same generated key file.
        Self::spawn_on(other.db.sharing(), extra).await
    }

    /// [`TestApp::spawn_with`] on a database the test prepared (say, of an older schema).
    pub async fn spawn_on(db: TestDb, extra: &[&str]) -> Self {
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

    pub fn state(&self) -> &domain::Services {
        &self.running.as_ref().expect("running").services
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
