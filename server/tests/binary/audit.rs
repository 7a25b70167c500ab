//! `pinbridge audit verify` as an operator runs it, on a database of the
//! test's own: whole once records exist (exit 0); a row edited through SQL
//! named by its place and id (exit 1), in text and in `--json`; an unknown
//! `--workspace` refused with one line.

use std::process::{Command, Output, Stdio};

use crate::common::{TestBackend, TestDb, backend, key_spec, stderr, stdout};
use domain::db::Db;
use serde_json::Value;

use super::cli::failure;

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");

/// One installation: its database, and commands run against it.
struct Install {
    db: TestDb,
}

impl Install {
    /// Acme with two members: three audit records (the workspace, each member).
    async fn new() -> Self {
        let install = Self {
            db: TestDb::new().await,
        };
        for email in ["owner@acme.example", "second@acme.example"] {
            let out = install.run(&[
                "operator",
                "create",
                "--workspace",
                "Acme",
                "--email",
                email,
                "--role",
                "owner",
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        install
    }

    /// `pinbridge` with only this installation's settings in its environment.
    fn pinbridge(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(self.db.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PINBRIDGE_LOG", "warn")
            .env("PINBRIDGE_DATABASE_URL", &self.db.url)
            .stdin(Stdio::null());
        if backend() == TestBackend::Postgres {
            cmd.env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]));
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.pinbridge().args(args).output().unwrap()
    }

    /// The id of Acme's record at place `seq`.
    async fn record_at(&self, seq: i64) -> String {
        let db = Db::connect(&self.db.url).await.unwrap();
        let id = domain::on_pool!(&db, pool => {
            sqlx::query_scalar::<_, String>(
                "select a.id from audit_events a join workspaces w on w.id = a.workspace_id \
                 where w.name = 'Acme' and a.seq = $1",
            )
            .bind(seq)
            .fetch_one(pool)
            .await
        })
        .unwrap();
        db.close().await;
        id
    }

    async fn sql(&self, statement: &str, id: &str) {
        let db = Db::connect(&self.db.url).await.unwrap();
        domain::on_pool!(&db, pool => {
            sqlx::query(statement).bind(id).execute(pool).await.map(|_| ())
        })
        .unwrap();
        db.close().await;
    }
}

#[tokio::test]
async fn verify_says_whole_then_names_an_edited_record_and_refuses_an_unknown_workspace() {
    let install = Install::new().await;

    let out = install.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Acme: 3 records, chain whole\n");
    let out = install.run(&["audit", "verify", "--workspace", "acme", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc.as_array().map(Vec::len), Some(1), "{doc:#}");
    assert_eq!(doc[0]["workspace"], "Acme");
    assert_eq!(doc[0]["records"], 3);
    assert_eq!(doc[0]["whole"], true);
    assert_eq!(doc[0]["break"], Value::Null);

    // Someone with access to the database rewrites what record 2 says.
    let id = install.record_at(2).await;
    install
        .sql(
            "update audit_events set target = 'nobody@acme.example' where id = $1",
            &id,
        )
        .await;
    let out = install.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "Acme: chain broken at record 2 (id {id}): the record at 2 was edited (its hash does not match its contents)\n"
        )
    );
    let out = install.run(&["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc[0]["whole"], false);
    assert_eq!(doc[0]["records"], 1, "the record before it is whole");
    assert_eq!(doc[0]["break"]["seq"], 2);
    assert_eq!(doc[0]["break"]["record_id"], id.as_str());
    assert_eq!(doc[0]["break"]["kind"], "edited");

    // No such workspace: one line on stderr, nothing on stdout, not 0.
    let out = install.run(&["audit", "verify", "--workspace", "Nope"]);
    let line = failure(&out, 1);
    assert!(line.contains("no workspace is named \"Nope\""), "{line}");
    assert_eq!(stdout(&out), "");
    install.db.drop_database().await;
}

/// The chain's cost: `BENCH_AUDIT_RECORDS` records (default 50 000) appended
/// through `append_tx` (chained) and the same number inserted unchained
/// (the statement alone, as before the chain), 500 per transaction, in one
/// run so the ratio holds on a noisy machine; then `pinbridge audit verify`
/// over the chained ones with the binary `PINBRIDGE_BIN` names (a release
/// build) or this test's own.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with scripts/bench-audit.sh"]
async fn bench_audit_chain() {
    use domain::accounts::audit::{self, AuditActor, NewAuditEvent};
    use domain::accounts::{AuditAction, AuditEventId, RequestMeta, WorkspaceId, WorkspaceName};
    use domain::db::repo::audit_events::{self, AuditEventRow};
    use std::time::Instant;

    let count: usize = std::env::var("BENCH_AUDIT_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let bin = std::env::var("PINBRIDGE_BIN")
        .ok()
        .filter(|b| std::path::Path::new(b).exists())
        .unwrap_or_else(|| BIN.to_owned());
    let install = Install::new().await;
    let db = Db::connect(&install.db.url).await.unwrap();
    let ws =
        domain::accounts::workspaces::find_by_name(&db, &WorkspaceName::parse("Acme").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
    let name = match backend() {
        TestBackend::Sqlite => "SQLite",
        TestBackend::Postgres => "PostgreSQL",
    };
    let meta = RequestMeta::default();
    let event = |i: usize| NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: None,
        actor: AuditActor::system(),
        action: AuditAction::ConnectionRefreshed,
        target: format!("connection {i}"),
        detail: serde_json::Map::new(),
    };
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut tx = db.begin().await.unwrap();
        for i in chunk {
            audit::append_tx(&mut tx, event(*i), &meta).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let chained = started.elapsed();

    // The unchained baseline, in a workspace of its own so the chain is untouched.
    let other = WorkspaceId::generate();
    domain::on_pool!(&db, pool => {
        sqlx::query("insert into workspaces (id, name, name_folded, created_at) values ($1, 'Bench', 'bench', 0)")
            .bind(&other)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut tx = db.begin().await.unwrap();
        for i in chunk {
            let row = AuditEventRow {
                id: AuditEventId::generate(),
                workspace_id: other.clone(),
                environment_id: None,
                actor_operator_id: None,
                actor_label: "pinbridge".into(),
                action: AuditAction::ConnectionRefreshed,
                target: format!("connection {i}"),
                detail: "{}".into(),
                ip: None,
                user_agent: None,
                created_at: domain::db::now_ms(),
                seq: None,
                prev_hash: None,
                hash: None,
            };
            audit_events::insert(&mut tx, &row).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let unchained = started.elapsed();
    // The baseline's rows are not a chain: remove them before verifying.
    domain::on_pool!(&db, pool => {
        sqlx::query("delete from workspaces where id = $1").bind(&other).execute(pool).await.map(|_| ())
    })
    .unwrap();
    db.close().await;

    let verify = || {
        let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> = install
            .pinbridge()
            .get_envs()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
            .collect();
        Command::new(&bin)
            .current_dir(install.db.dir.path())
            .env_clear()
            .envs(envs)
            .args(["audit", "verify", "--workspace", "Acme"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // Once to warm the page cache, then timed.
    assert!(verify().status.success());
    let verify_started = Instant::now();
    let out = verify();
    let verified = verify_started.elapsed();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("chain whole"), "{}", stdout(&out));
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / count as f64;
    println!(
        "bench-audit: {name} {count} records: chained append {:.1} µs/record, unchained insert {:.1} µs/record (ratio {:.2}); audit verify {:.2} s ({:.0} records/s, including start-up)",
        per(chained),
        per(unchained),
        chained.as_secs_f64() / unchained.as_secs_f64(),
        verified.as_secs_f64(),
        count as f64 / verified.as_secs_f64()
    );
}
