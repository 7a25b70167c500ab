//! The `pinbridge` binary as an operator runs it: configuration, first start,
//! failures that must stop start-up cleanly, and graceful shutdown.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestBackend, TestDb, backend, free_port, key_spec, snapshot, stderr};

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");

pub(super) fn pinbridge(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINBRIDGE_LOG", "info")
        .stdin(Stdio::null());
    cmd
}

/// Runs a start that must fail; returns its one-line message.
fn failed_start(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "start-up should fail");
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with("pinbridge: "), "{err}");
    last
}

/// Starts the binary and waits until `/readyz` answers.
pub(super) fn start_and_wait(cmd: &mut Command, port: u16) -> std::process::Child {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_ready(child, port)
}

/// Waits until the started `child` answers `/readyz` on `port`.
fn wait_until_ready(mut child: std::process::Child, port: u16) -> std::process::Child {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The port is bound before start-up finishes (key file, migrations), so
        // an accepted connection is not enough: wait for an answer.
        if ready(port) {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!("pinbridge exited with {status}: {}", stderr(&out));
        }
        assert!(Instant::now() < deadline, "pinbridge did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether pinbridge on `port` answers `/readyz` with 200.
fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

pub(super) fn sigterm(child: &std::process::Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "PINBRIDGE_DATABASE_URL",
        "PINBRIDGE_PUBLIC_URL",
        "PINBRIDGE_LISTEN_ADDR",
        "PINBRIDGE_ENCRYPTION_KEYS",
        "PINBRIDGE_KEY_FILE",
        "PINBRIDGE_PINTEREST_OAUTH_URL",
        "PINBRIDGE_PINTEREST_API_URL",
        "PINBRIDGE_PINTEREST_SANDBOX_API_URL",
        "PINBRIDGE_SITE_ROOT",
        "PINBRIDGE_TRUSTED_PROXIES",
        "PINBRIDGE_LOG",
        "PINBRIDGE_SETUP_LINK_LIFETIME_SECS",
        "PINBRIDGE_SESSION_LIFETIME_SECS",
        "PINBRIDGE_REAUTH_AFTER_SECS",
        "PINBRIDGE_ALLOW_READABLE_KEY_FILE",
        "PINBRIDGE_METRICS_TOKEN",
        "PINBRIDGE_METRICS_ADDR",
        "serve",
        "migrate",
    ] {
        assert!(help.contains(var), "--help lacks {var}");
    }
}

#[test]
fn first_start_creates_the_database_and_a_private_key_file_then_stops_on_sigterm() {
    if backend() != TestBackend::Sqlite {
        return; // The embedded default is SQLite by definition.
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    let db = dir.path().join("data/pinbridge.db");
    let keys = dir.path().join("data/pinbridge.keys");
    assert!(db.exists(), "SQLite file created under ./data/");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "key file is private");
    }
    let key_text = std::fs::read_to_string(&keys).unwrap();
    assert!(key_text.lines().any(|l| l.starts_with("k1:")));

    // A request is logged with its path but never its query string.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET /healthz?code=SECRETCODE123 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    sigterm(&child);
    let started = Instant::now();
    let out = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no graceful exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        out.status.success(),
        "exit 0 after SIGTERM: {}",
        stderr(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("open http://127.0.0.1:3000/"), "{stdout}");
    let log = stderr(&out);
    assert!(
        log.contains("path=/healthz") || log.contains("/healthz"),
        "{log}"
    );
    assert!(
        !log.contains("SECRETCODE123"),
        "query strings are not logged"
    );
    assert!(
        !log.contains(key_text.lines().last().unwrap()),
        "key material is not logged"
    );
    assert!(log.contains("stopped"), "{log}");

    // A second start reuses the key file and the database.
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    assert_eq!(std::fs::read_to_string(&keys).unwrap(), key_text);
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_corrupt_key_file_stops_start_up_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/pinbridge.keys"),
        "k1:this-is-not-a-key\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let line = failed_start(pinbridge(dir.path()).env(
        "PINBRIDGE_LISTEN_ADDR",
        format!("127.0.0.1:{}", free_port()),
    ));
    assert!(line.contains("key file data/pinbridge.keys"), "{line}");
    assert!(line.contains("not valid base64"), "{line}");
    assert_eq!(snapshot(dir.path()), before, "nothing on disk changed");
}

#[test]
fn a_key_of_the_wrong_length_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let line = failed_start(
        pinbridge(dir.path())
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("PINBRIDGE_ENCRYPTION_KEYS", "k1:AAAAAAAAAAAAAAAAAAAAAA=="),
    );
    assert!(line.contains("PINBRIDGE_ENCRYPTION_KEYS"), "{line}");
    assert!(line.contains("16 bytes"), "{line}");
    assert!(
        snapshot(dir.path()).is_empty(),
        "no database or directory created"
    );
}

#[test]
fn a_lost_key_file_is_named_and_not_replaced() {
    if backend() != TestBackend::Sqlite {
        return; // The key file sits next to a SQLite database.
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    std::fs::remove_file(dir.path().join("data/pinbridge.keys")).unwrap();
    let before = snapshot(dir.path());
    let line = failed_start(pinbridge(dir.path()).env(
        "PINBRIDGE_LISTEN_ADDR",
        format!("127.0.0.1:{}", free_port()),
    ));
    assert!(line.contains("key k1"), "{line}");
    assert!(line.contains("data/pinbridge.keys was not found"), "{line}");
    assert_eq!(snapshot(dir.path()), before, "no new key file written");
}

#[tokio::test]
async fn a_key_id_missing_from_the_ring_stops_start_up_and_changes_nothing() {
    let db = TestDb::new().await;
    let dir = db.dir.path();
    let run_dir = dir.join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let out = pinbridge(&run_dir)
        .env("PINBRIDGE_DATABASE_URL", &db.url)
        .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A first real start records the canary for k1.
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
            .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());

    let before = snapshot(dir);
    let line = failed_start(
        pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k2", 2)]))
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", free_port()),
            ),
    );
    assert!(line.contains("key id k1"), "{line}");
    assert!(line.contains("not in the key ring"), "{line}");

    let line = failed_start(
        pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 9)]))
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", free_port()),
            ),
    );
    assert!(
        line.contains("key k1") && line.contains("different key material"),
        "{line}"
    );
    if backend() == TestBackend::Sqlite {
        assert_eq!(snapshot(dir), before, "nothing on disk changed");
    }

    // Rotating keys (new first, old still present) starts fine.
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env(
                "PINBRIDGE_ENCRYPTION_KEYS",
                key_spec(&[("k2", 2), ("k1", 1)]),
            )
            .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    db.drop_database().await;
}

#[test]
fn an_unreachable_postgres_stops_start_up_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let line = failed_start(
        pinbridge(dir.path())
            .env(
                "PINBRIDGE_DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:{}/test", free_port()),
            )
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", free_port()),
            ),
    );
    assert!(line.contains("PINBRIDGE_DATABASE_URL"), "{line}");
    assert!(line.contains("cannot connect"), "{line}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "gives up promptly"
    );
    assert!(snapshot(dir.path()).is_empty());
}

#[test]
fn a_port_in_use_stops_start_up_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let line = failed_start(pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", addr.to_string()));
    assert!(line.contains("PINBRIDGE_LISTEN_ADDR"), "{line}");
    assert!(line.contains("already in use"), "{line}");
    assert!(
        snapshot(dir.path()).is_empty(),
        "no database or key file created"
    );
}

#[test]
fn a_metrics_address_in_use_stops_start_up_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let line = failed_start(
        pinbridge(dir.path())
            .env(
                "PINBRIDGE_LISTEN_ADDR",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("PINBRIDGE_METRICS_ADDR", addr.to_string()),
    );
    assert_eq!(
        line,
        format!(
            "pinbridge: PINBRIDGE_METRICS_ADDR (--metrics-addr): cannot listen on {addr}: the address is already in use"
        )
    );
    assert!(
        snapshot(dir.path()).is_empty(),
        "no database or key file created"
    );
}

#[test]
fn bad_configuration_exits_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("PINBRIDGE_PUBLIC_URL", "not a url"),
        ("PINBRIDGE_PINTEREST_API_URL", "api.pinterest.com"),
        ("PINBRIDGE_LISTEN_ADDR", "somewhere"),
        ("PINBRIDGE_DATABASE_URL", "mysql://x/y"),
        ("PINBRIDGE_METRICS_ADDR", "somewhere:9464"),
        ("PINBRIDGE_METRICS_TOKEN", "too-short-12"),
    ] {
        let out = pinbridge(dir.path()).env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with(&format!("pinbridge: {var}")), "{err}");
        if var == "PINBRIDGE_METRICS_TOKEN" {
            assert!(!err.contains(value), "the token is not repeated: {err}");
        }
    }
    // A flag overrides the variable.
    let out = pinbridge(dir.path())
        .env("PINBRIDGE_PUBLIC_URL", "not a url")
        .args([
            "--public-url",
            "https://ok.example",
            "--listen-addr",
            "nope",
        ])
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with("pinbridge: PINBRIDGE_LISTEN_ADDR"));
    assert!(snapshot(dir.path()).is_empty());
}

#[tokio::test]
async fn migrate_applies_the_schema_and_is_idempotent() {
    let db = TestDb::new().await;
    let run_dir = db.dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    for _ in 0..2 {
        let out = pinbridge(&run_dir)
            .env("PINBRIDGE_DATABASE_URL", &db.url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
            .arg("migrate")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    }
    let conn = domain::db::Db::connect(&db.url).await.unwrap();
    assert!(
        domain::db::repo::key_canaries::list(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    conn.close().await;
    db.drop_database().await;
}

/// A memory figure of the process from `/proc/{pid}/status`, in KiB:
/// `VmHWM` (the most it ever held) or `VmRSS` (what it holds now).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

fn resident_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_flood_from_many_addresses_keeps_memory_bounded() {
    if backend() != TestBackend::Sqlite {
        return; // Memory is the server's, whatever the database.
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Its output is not read here: a pipe nobody drains would stall it.
    let child = pinbridge(dir.path())
        .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PINBRIDGE_TRUSTED_PROXIES", "127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = tokio::task::spawn_blocking(move || wait_until_ready(child, port))
        .await
        .unwrap();
    let before = peak_rss_kib(child.id());
    let resident_before = resident_kib(child.id());
    // 200 accounts from 200 addresses at once, twice: no throttle applies, and
    // each argon2 verification holds 19 MiB, so unbounded hashing would need
    // several gigabytes.
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/auth/sign-in");
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..2 {
        let answers = futures::future::join_all((0..200).map(|i| {
            let request = http
                .post(&url)
                .header("accept", "application/json")
                .header(
                    "x-forwarded-for",
                    format!("198.51.{}.{}", 100 + round, i + 1),
                )
                .form(&[
                    ("email", format!("guess{i}@example.com")),
                    ("password", "a guess at it".to_owned()),
                ]);
            async move { request.send().await.unwrap().status().as_u16() }
        }))
        .await;
        for status in answers {
            *statuses.entry(status).or_default() += 1;
        }
        eprintln!(
            "after round {round}: peak memory grew by {} MiB",
            peak_rss_kib(child.id()).saturating_sub(before) / 1024
        );
    }
    let grown_mib = peak_rss_kib(child.id()).saturating_sub(before) / 1024;
    // Once the flood is over, the hashing threads give their 19 MiB back: what
    // stays is less than one argon2 buffer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kept_mib = resident_kib(child.id()).saturating_sub(resident_before) / 1024;
    eprintln!("resident after the flood: {kept_mib} MiB more than before");
    sigterm(&child);
    let _ = child.wait();
    assert!(
        statuses.contains_key(&503),
        "some were turned away: {statuses:?}"
    );
    assert_eq!(
        statuses.get(&401).unwrap_or(&0) + statuses.get(&503).unwrap_or(&0),
        400,
        "{statuses:?}"
    );
    // One hashing slot per core (at most eight), each with its 19 MiB, plus a
    // margin for what the requests hold: not the 3.8 GB of 200 hashes at once,
    // nor the 200 to 460 MiB that hashing on many threads left resident.
    let slots = std::thread::available_parallelism().map_or(2, |n| n.get().min(8)) as u64;
    let limit = slots * 20 + 40;
    assert!(
        grown_mib < limit,
        "peak memory grew by {grown_mib} MiB (limit {limit}): {statuses:?}"
    );
    assert!(
        kept_mib < 19,
        "{kept_mib} MiB more stayed resident after the flood"
    );
}

pub(super) fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_directory_and_the_sqlite_files_are_private_to_pinbridge() {
    if backend() != TestBackend::Sqlite {
        return; // Files exist on SQLite only.
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Under the usual umask (022) files would be 0644 and directories 0755.
    let mut child = start_and_wait(
        pinbridge(dir.path())
            .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "PINBRIDGE_DATABASE_URL",
                "sqlite://data/nested/pinbridge.db",
            ),
        port,
    );
    assert_eq!(mode_of(&dir.path().join("data")), 0o700, "data directory");
    assert_eq!(mode_of(&dir.path().join("data/nested")), 0o700);
    for file in [
        "pinbridge.db",
        "pinbridge.db-wal",
        "pinbridge.db-shm",
        "pinbridge.keys",
    ] {
        let path = dir.path().join("data/nested").join(file);
        assert!(path.exists(), "{file} exists while pinbridge runs");
        assert_eq!(mode_of(&path), 0o600, "{file}");
    }
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_key_file_others_can_read_stops_start_up_unless_allowed() {
    if backend() != TestBackend::Sqlite {
        return; // The key file sits next to a SQLite database.
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    let keys = dir.path().join("data/pinbridge.keys");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = snapshot(dir.path());

    let line = failed_start(pinbridge(dir.path()).env(
        "PINBRIDGE_LISTEN_ADDR",
        format!("127.0.0.1:{}", free_port()),
    ));
    assert_eq!(
        line,
        "pinbridge: key file data/pinbridge.keys: has mode 644, so other users can read it; \
         run `chmod 600 data/pinbridge.keys` (or set PINBRIDGE_ALLOW_READABLE_KEY_FILE=1 to start anyway)"
    );
    assert_eq!(snapshot(dir.path()), before, "nothing on disk changed");
    assert_eq!(mode_of(&keys), 0o644, "pinbridge does not change it itself");

    // Allowed explicitly, it starts, and says so in its log.
    let port = free_port();
    let child = start_and_wait(
        pinbridge(dir.path())
            .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("PINBRIDGE_ALLOW_READABLE_KEY_FILE", "1"),
        port,
    );
    sigterm(&child);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("the key file can be read by other users"),
        "{}",
        stderr(&out)
    );

    // After `chmod 600` it starts without being told.
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).unwrap();
    let port = free_port();
    let mut child = start_and_wait(
        pinbridge(dir.path()).env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        port,
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}
