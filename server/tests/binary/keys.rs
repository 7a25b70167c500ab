//! `pinbridge keys add | rotate | status | retire` as an operator runs them:
//! with the keys in a key file and in `PINBRIDGE_ENCRYPTION_KEYS`, a rotation
//! killed with SIGKILL twice and then finished, and every way to get it wrong.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{TestDb, key_spec, stderr, stdout};
use domain::accounts::workspaces;
use domain::accounts::{ConnectionId, WorkspaceId};
use domain::connections::{TokenColumn, open_token, seal_token};
use domain::crypto::{KeyRing, SecretString};
use domain::db::Db;
use domain::db::repo::{connections, environments};
use domain::keys;

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");

/// Where the installation keeps its keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    File,
    Environment,
}

/// One installation with `count` connections whose tokens are sealed under `k1`.
struct Install {
    db: TestDb,
    keys: Keys,
    /// `PINBRIDGE_ENCRYPTION_KEYS` when the keys are in the environment.
    inline: String,
    workspace: WorkspaceId,
    connections: Vec<ConnectionId>,
    /// The `pinbridge` binary run.
    bin: String,
}

impl Install {
    async fn new(keys: Keys, count: usize) -> Self {
        let db = TestDb::new().await;
        let mut install = Self {
            db,
            keys,
            inline: key_spec(&[("k1", 1)]),
            workspace: WorkspaceId::generate(),
            connections: Vec::new(),
            bin: BIN.to_owned(),
        };
        if keys == Keys::File {
            write_private(
                &install.key_file(),
                &format!("{}\n", key_spec(&[("k1", 1)])),
            );
        }
        let out = install.run(&[
            "operator",
            "create",
            "--workspace",
            "Acme",
            "--email",
            "owner@acme.example",
            "--role",
            "owner",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        install.seed(count).await;
        install
    }

    fn key_file(&self) -> PathBuf {
        self.db.dir.path().join("pinbridge.keys")
    }

    fn pinbridge(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(self.db.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PINBRIDGE_LOG", "warn")
            .env("PINBRIDGE_DATABASE_URL", &self.db.url)
            .stdin(Stdio::null());
        match self.keys {
            Keys::File => cmd.env("PINBRIDGE_KEY_FILE", self.key_file()),
            Keys::Environment => cmd.env("PINBRIDGE_ENCRYPTION_KEYS", &self.inline),
        };
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.pinbridge().args(args).output().unwrap()
    }

    /// `count` connections in the workspace's first environment, each with an
    /// access and a refresh token sealed under the ring `k1`.
    async fn seed(&mut self, count: usize) {
        let db = Db::connect(&self.db.url).await.unwrap();
        let ring = KeyRing::parse(&key_spec(&[("k1", 1)])).unwrap();
        let name = domain::accounts::WorkspaceName::parse("Acme").unwrap();
        let ws = workspaces::find_by_name(&db, &name).await.unwrap().unwrap();
        let env = environments::list(&db, &ws.id).await.unwrap()[0].id.clone();
        for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
            let mut tx = db.begin().await.unwrap();
            for i in chunk {
                let mut row = domain::testing::connection_row(&ws.id, &env, &format!("user-{i}"));
                for (column, slot) in [
                    (TokenColumn::Access, &mut row.access_token),
                    (TokenColumn::Refresh, &mut row.refresh_token),
                ] {
                    *slot = Some(
                        seal_token(&ring, &ws.id, &row.id, column, &token(&row.id, column))
                            .unwrap(),
                    );
                }
                connections::insert(&mut tx, &row).await.unwrap();
                self.connections.push(row.id);
            }
            tx.commit().await.unwrap();
        }
        self.workspace = ws.id;
        db.close().await;
    }

    /// How many values each of `ids` seals, after checking that every token
    /// opens with `ring` and is the one seeded.
    async fn every_token_opens(&self, ring: &str, ids: &[&str]) -> Vec<i64> {
        let db = Db::connect(&self.db.url).await.unwrap();
        let ring = Arc::new(KeyRing::parse(ring).unwrap());
        for id in &self.connections {
            let row = connections::find_by_id(&db, id).await.unwrap().unwrap();
            for (column, stored) in [
                (TokenColumn::Access, row.access_token.unwrap()),
                (TokenColumn::Refresh, row.refresh_token.unwrap()),
            ] {
                let opened = open_token(&ring, &self.workspace, id, column, &stored)
                    .unwrap_or_else(|e| panic!("connection {id}: {e}"));
                assert_eq!(opened.expose(), token(id, column).expose());
            }
        }
        let status = keys::status(&db, &ring).await.unwrap();
        db.close().await;
        ids.iter().map(|id| status.count_for(id)).collect()
    }
}

/// The token seeded for a connection's column: known, so a test can tell it
/// was not lost or swapped.
fn token(id: &ConnectionId, column: TokenColumn) -> SecretString {
    SecretString::new(format!("pina_{id}_{column:?}"))
}

fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Whether this test runs as root (the file it made is root's), so it may
/// give a file to another user.
fn made_by_root(made: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(made).unwrap().uid() == 0
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts `keys rotate --batch-size 1`, waits until it reports having re-sealed
/// at least `at_least` values, and kills it with SIGKILL.
fn rotate_and_kill(install: &Install, at_least: u64) {
    let mut child = install
        .pinbridge()
        .args(["keys", "rotate", "--batch-size", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "the rotation made no progress");
        let line = lines
            .next()
            .expect("the rotation ended before it was killed")
            .unwrap();
        // "re-sealed N of M"
        let done: u64 = line
            .strip_prefix("re-sealed ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected output: {line}"));
        if done >= at_least {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_killed_twice_loses_nothing_and_a_third_run_finishes_it() {
    let install = Install::new(Keys::File, 1500).await;
    let file = install.key_file();
    let k1_line = std::fs::read_to_string(&file).unwrap();

    // Retiring k1 now is refused: every token uses it.
    let out = install.run(&["keys", "retire", "k1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("key k1 is the key that seals new values"),
        "{}",
        stderr(&out)
    );

    // The service's own user owns the file (here: nobody, when the test may
    // give it away); `keys add` run by root keeps it so.
    let root = made_by_root(&file);
    if root {
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    }
    let out = install.run(&["keys", "add"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Added key k2 first in"),
        "{}",
        stdout(&out)
    );
    if root {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (65534, 65534),
            "the owner is kept"
        );
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].starts_with("k2:"));
    assert_eq!(entries[1], k1_line.trim(), "k1 is kept as it was");
    assert_eq!(mode(&file), 0o600);
    let k2_material = entries[0].trim_start_matches("k2:");
    assert!(!stdout(&out).contains(k2_material) && !stderr(&out).contains(k2_material));
    let ring = text.clone();

    let out = install.run(&["keys", "retire", "k1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("key k1 still seals 3000 value(s)"),
        "{}",
        stderr(&out)
    );

    let out = install.run(&["keys", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = stdout(&out);
    assert!(status.contains("k2           seals new"), "{status}");
    assert!(
        status.contains("3000 access and refresh tokens"),
        "{status}"
    );
    assert!(!status.contains(k2_material));

    // Killed a tenth of the way, then again further on: every token opens
    // with the ring after each kill.
    rotate_and_kill(&install, 300);
    let [k1, k2] = install.every_token_opens(&ring, &["k1", "k2"]).await[..] else {
        unreachable!()
    };
    assert_eq!(k1 + k2, 3000);
    assert!(k2 >= 300 && k1 > 0, "k1 {k1}, k2 {k2}");
    rotate_and_kill(&install, 600);
    let [k1_after, k2_after] = install.every_token_opens(&ring, &["k1", "k2"]).await[..] else {
        unreachable!()
    };
    assert_eq!(k1_after + k2_after, 3000);
    assert!(
        k2_after > k2,
        "the second run went further: {k2} then {k2_after}"
    );

    let out = install.run(&["keys", "rotate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("Re-sealed {k1_after} value(s) under key k2")),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        install.every_token_opens(&ring, &["k1", "k2"]).await,
        [0, 3000]
    );

    let out = install.run(&["keys", "retire", "k1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries, [format!("k2:{k2_material}")]);
    assert_eq!(mode(&file), 0o600);
    // The installation starts with k2 alone, and every token opens with it.
    let out = install.run(&["keys", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("key.retired"), "{}", stdout(&out));
    assert_eq!(install.every_token_opens(&text, &["k2"]).await, [3000]);
    install.db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_keys_in_the_environment_add_prints_the_new_ring_once() {
    let mut install = Install::new(Keys::Environment, 20).await;
    let out = install.run(&["keys", "add"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let value = printed
        .trim()
        .strip_prefix("PINBRIDGE_ENCRYPTION_KEYS=")
        .unwrap_or_else(|| panic!("{printed}"))
        .to_owned();
    let ring = KeyRing::parse(&value).unwrap();
    assert_eq!(
        ring.ids().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["k2", "k1"]
    );
    assert!(stderr(&out).contains("shown only now"), "{}", stderr(&out));

    // Every instance now has the new value; so does the shell that rotates.
    install.inline = value.clone();
    let out = install.run(&["keys", "rotate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Re-sealed 40 value(s) under key k2"));
    let out = install.run(&["keys", "retire", "k1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Remove `k1:…` from PINBRIDGE_ENCRYPTION_KEYS"),
        "{}",
        stdout(&out)
    );
    // Without k1 it starts; with only k1 it no longer does (k2 sealed everything).
    let k2_only = value.split(',').next().unwrap().to_owned();
    install.inline = k2_only.clone();
    let out = install.run(&["keys", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    install.inline = key_spec(&[("k1", 1)]);
    let out = install.run(&["keys", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("key id k2, which is not in the key ring"),
        "{}",
        stderr(&out)
    );
    assert_eq!(install.every_token_opens(&k2_only, &["k2"]).await, [40]);
    install.db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_key_commands_say_what_is_wrong_and_change_nothing() {
    let install = Install::new(Keys::File, 3).await;
    let file = install.key_file();
    let before = std::fs::read_to_string(&file).unwrap();
    for (args, code, message) in [
        (
            &["keys", "retire", "bad/id"][..],
            2,
            "key id \"bad/id\" is invalid",
        ),
        (
            &["keys", "retire", "k7"],
            2,
            "key k7 is not in the key ring",
        ),
        (
            &["keys", "add", "--id", "k1"],
            2,
            "--id: key id k1 is already used here",
        ),
        (
            &["keys", "add", "--id", "no way"],
            2,
            "--id: key id \"no way\" is invalid",
        ),
        (&["keys", "rotate", "--batch-size", "0"], 2, "batch-size"),
        (&["keys", "frobnicate"], 2, "frobnicate"),
    ] {
        let out = install.run(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "{args:?}");
    }
    // A truncated key file, and another installation's key under the same id.
    let line = before.trim();
    for (text, message) in [
        (&line[..line.len() - 10], "AES-256 needs exactly 32"),
        (
            &key_spec(&[("k1", 2)])[..],
            "key k1 in the key ring is not the key that sealed",
        ),
    ] {
        write_private(&file, text);
        for args in [
            &["keys", "add"][..],
            &["keys", "rotate"],
            &["keys", "status"],
        ] {
            let out = install.run(args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
            assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
            assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "{args:?}");
        }
    }
    write_private(&file, &before);
    assert_eq!(install.every_token_opens(&before, &["k1"]).await, [6]);
    // No key file at all.
    std::fs::remove_file(&file).unwrap();
    let out = install.run(&["keys", "add"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no key file at"), "{}", stderr(&out));
    assert!(!file.exists());
    install.db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_waits_for_every_serving_instance_to_have_the_new_key() {
    let mut app = crate::common::TestApp::spawn().await;
    let url = app.db.url.clone();
    let db = &app.state().db;
    let live = keys::instances::live(db).await.unwrap();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0].key_ids, "k1");
    assert_eq!(live[0].pid, i64::from(std::process::id()));
    // The serving ring's k1, wherever it lives, and a new k2 first.
    let k1 = match crate::common::backend() {
        crate::common::TestBackend::Postgres => key_spec(&[("k1", 1)]),
        crate::common::TestBackend::Sqlite => {
            let file = app.db.dir.path().join("pinbridge.keys");
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .find(|l| l.starts_with("k1:"))
                .unwrap()
                .to_owned()
        }
    };
    let ring = format!("{},{k1}", key_spec(&[("k2", 2)]));
    let rotate = || {
        Command::new(BIN)
            .env_clear()
            .env("PINBRIDGE_LOG", "warn")
            .env("PINBRIDGE_DATABASE_URL", &url)
            .env("PINBRIDGE_ENCRYPTION_KEYS", &ring)
            .args(["keys", "rotate"])
            .output()
            .unwrap()
    };
    let out = rotate();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("(pid {}, seen", std::process::id()))
            && stderr(&out).contains("does not have key k2"),
        "{}",
        stderr(&out)
    );
    // A clean shutdown takes the instance off the list.
    app.running.take().unwrap().stop().await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    assert!(keys::instances::live(&db).await.unwrap().is_empty());
    db.close().await;
    let out = rotate();
    assert!(out.status.success(), "{}", stderr(&out));
    app.stop().await;
}

/// `keys rotate` on `BENCH_CONNECTIONS` connections (default 20 000, two
/// tokens each), with the binary `PINBRIDGE_BIN` names (a release build) or
/// this test's own: prints the time and values per second per batch size.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with scripts/bench-keys.sh"]
async fn bench_key_rotation() {
    let count: usize = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let bin = std::env::var("PINBRIDGE_BIN")
        .ok()
        .filter(|b| std::path::Path::new(b).exists())
        .unwrap_or_else(|| BIN.to_owned());
    let mut install = Install::new(Keys::Environment, count).await;
    install.bin = bin;
    let mut spec = key_spec(&[("k1", 1)]);
    for (n, batch) in [(2u8, "500"), (3, "50")] {
        spec = format!("{},{spec}", key_spec(&[(&format!("k{n}"), n)]));
        install.inline = spec.clone();
        let started = Instant::now();
        let out = install
            .pinbridge()
            .env("PINBRIDGE_LOG", "warn")
            .args(["keys", "rotate", "--batch-size", batch])
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!(out.status.success(), "{}", stderr(&out));
        let values = count * 2;
        println!(
            "bench-keys: {} {values} values, batch {batch}: {:.2} s, {:.0} values/s",
            match crate::common::backend() {
                crate::common::TestBackend::Sqlite => "SQLite",
                crate::common::TestBackend::Postgres => "PostgreSQL",
            },
            took.as_secs_f64(),
            values as f64 / took.as_secs_f64()
        );
    }
    install.db.drop_database().await;
}
