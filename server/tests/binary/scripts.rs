//! The repository's scripts that decide what the test run covers:
//! `scripts/postgres.sh available` must never let the PostgreSQL half of the
//! suite be skipped quietly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh")
}

/// A `PATH` with only what the script needs besides `psql`: bash and timeout.
fn path_without_psql() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for tool in ["bash", "timeout"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{tool} is on this machine"));
        std::os::unix::fs::symlink(found, dir.path().join(tool)).unwrap();
    }
    dir
}

/// Runs `postgres.sh available` with `path` as `PATH` and `vars` set.
fn available(path: &Path, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new("/bin/bash");
    command
        .arg(script())
        .arg("available")
        .env_clear()
        .env("PATH", path);
    for (k, v) in vars {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn postgres_that_answers_is_never_skipped_for_want_of_psql() {
    // Something answers where the tests would find PostgreSQL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/test",
        listener.local_addr().unwrap().port()
    );
    let path = path_without_psql();
    for ci in ["true", ""] {
        let out = available(
            path.path(),
            &[("PINBRIDGE_TEST_POSTGRES_URL", &url), ("CI", ci)],
        );
        assert_eq!(out.status.code(), Some(2), "CI={ci:?}: {}", said(&out));
        assert!(said(&out).contains("psql is missing"), "{}", said(&out));
    }
}

#[test]
fn nothing_answering_fails_under_ci_and_is_skipped_loudly_elsewhere() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let path = path_without_psql();
    let url = format!("postgres://postgres@127.0.0.1:{closed}/test");
    // CI: required.
    let out = available(
        path.path(),
        &[("PINBRIDGE_TEST_POSTGRES_URL", &url), ("CI", "true")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("REQUIRED in CI"), "{}", said(&out));
    // A URL asked for explicitly: required too.
    let out = available(path.path(), &[("PINBRIDGE_TEST_POSTGRES_URL", &url)]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
}
