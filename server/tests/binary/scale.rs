//! The portal at scale (issue 18): an environment of `BENCH_CONNECTIONS`
//! connections (default 100 000: every state, probes, refresh history) and a
//! workspace of `BENCH_AUDIT` audit records (default 1 000 000), seeded in
//! bulk (`domain::db::repo::seed`), then the pages an operator opens, each
//! requested `BENCH_REQUESTS` times (default 40) through the real HTTP stack of
//! the `pinbridge` binary `PINBRIDGE_BIN` names (a release build) as a
//! signed-in owner: p50 and p95 per page, and the query plans at that size.
//! Run with `scripts/bench-scale.sh`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use domain::accounts::{ConnectionId, EnvironmentId, WorkspaceId, WorkspaceName, workspaces};
use domain::connections::{TokenColumn, seal_token};
use domain::crypto::{KeyRing, SecretString};
use domain::db::Db;
use domain::db::repo::environments;
use domain::db::repo::seed::{self, ScaleSpec};

use crate::common::{TestBackend, TestDb, backend, free_port, key_spec, stderr};

const BIN: &str = env!("CARGO_BIN_EXE_pinbridge");
const PASSWORD: &str = "quiet lantern meadow 2026";
const TARGET_P95_MS: f64 = 50.0;

fn number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn label() -> &'static str {
    match backend() {
        TestBackend::Sqlite => "SQLite",
        TestBackend::Postgres => "PostgreSQL",
    }
}

/// The binary with the installation's settings: keys in the environment, no
/// Pinterest reachable (nothing is due during the run anyway), and a scheduler
/// that waits an hour between rounds.
pub(super) fn pinbridge(bin: &str, db: &TestDb) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PINBRIDGE_LOG", "warn")
        .env("PINBRIDGE_DATABASE_URL", &db.url)
        .env("PINBRIDGE_ENCRYPTION_KEYS", key_spec(&[("k1", 1)]))
        .env("PINBRIDGE_PINTEREST_OAUTH_URL", "http://127.0.0.1:9")
        .env("PINBRIDGE_PINTEREST_API_URL", "http://127.0.0.1:9")
        .env("PINBRIDGE_PINTEREST_SANDBOX_API_URL", "http://127.0.0.1:9")
        .env("PINBRIDGE_SCHEDULER_INTERVAL_MS", "3600000")
        .stdin(Stdio::null());
    cmd
}

/// p50 and p95 (nearest rank) of `samples`, in milliseconds.
fn percentiles(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let i = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i]
    };
    (rank(0.50), rank(0.95), samples[samples.len() - 1])
}

pub(super) struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(bin: &str, db: &TestDb) -> Server {
    serve_with(pinbridge(bin, db).stderr(Stdio::inherit()))
}

/// Runs `serve` with `cmd`'s settings (and its log's destination) on a free
/// port, once it answers `/readyz`.
pub(super) fn serve_with(cmd: &mut Command) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let site = std::env::var("PINBRIDGE_SITE_ROOT").unwrap_or_else(|_| "site".into());
    let child = cmd
        .env("PINBRIDGE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PINBRIDGE_PUBLIC_URL", &base)
        .env("PINBRIDGE_SITE_ROOT", site)
        .arg("serve")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready(port) {
        assert!(Instant::now() < deadline, "pinbridge did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { child, base }
}

/// `pinbridge operator create`: an owner of a new workspace, with [`PASSWORD`].
pub(super) fn create_owner(bin: &str, db: &TestDb, workspace: &str, email: &str) {
    create_owner_with(&mut pinbridge(bin, db), workspace, email, PASSWORD);
}

/// `pinbridge operator create --password-stdin` run by `cmd` (the binary with
/// its settings): an owner of a new workspace.
pub(super) fn create_owner_with(cmd: &mut Command, workspace: &str, email: &str, password: &str) {
    let mut child = cmd
        .args([
            "operator",
            "create",
            "--workspace",
            workspace,
            "--email",
            email,
            "--role",
            "owner",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{password}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "operator create: {}", stderr(&out));
}

/// A client (cookies kept, redirects not followed) signed in to `server` as
/// `email` with [`PASSWORD`].
pub(super) async fn sign_in(server: &Server, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let signed_in = client
        .post(format!("{}/api/auth/sign-in", server.base))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        signed_in.status().is_success(),
        "{:?}",
        signed_in.text().await
    );
    client
}

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

/// `(created_at, id)` of the last event of the `page`-th page (50 each) of the
/// workspace's log filtered by `filter` (a column and a value), if it has one:
/// the cursor that opens page `page + 1`.
async fn audit_cursor(
    db: &Db,
    ws: &WorkspaceId,
    filter: Option<(&str, &str)>,
    page: i64,
) -> Option<String> {
    let (column, value) = filter.unwrap_or(("''", ""));
    let sql = format!(
        "select created_at, id from audit_events where workspace_id = $1 and {column} = $2 \
         order by created_at desc, id desc limit 1 offset $3"
    );
    let row: Option<(i64, String)> = domain::on_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(ws)
            .bind(value)
            .bind(page * 50 - 1)
            .fetch_optional(pool)
            .await
    })
    .unwrap();
    row.map(|(at, id)| format!("{at}_{id}"))
}

/// The plans the database chooses at this size (no planner setting changed)
/// for the statements the pages and the scheduler run, printed for the record.
async fn print_plans(db: &Db, ws: &WorkspaceId, env: &EnvironmentId, seeded: &seed::Seeded) {
    use domain::db::repo::audit_events::{self, AuditQuery};
    use domain::db::repo::connections::{self as rows, Cursor, Due, Position};
    use domain::db::repo::statement::explain;
    use domain::shared::{AuditAction, Health};
    let newest = rows::find_by_id(db, &seeded.newest).await.unwrap().unwrap();
    let deep: (i64, String) = domain::on_pool!(db, pool => {
        sqlx::query_as(
            "select created_at, id from audit_events where workspace_id = $1 \
             order by created_at desc, id desc limit 1 offset 49999",
        )
        .bind(ws)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let deep_id = domain::accounts::AuditEventId::parse(&deep.1).unwrap();
    let actor = &seeded.actors[0].0;
    let now = domain::db::now_ms();
    let mut statements = vec![
        (
            "Connections, newest",
            rows::list_statement(ws, env, None, None, &Position::Newest, 26, "*"),
        ),
        (
            "Connections, last page",
            rows::list_statement(ws, env, None, None, &Position::Oldest, 26, "*"),
        ),
        (
            "Connections, older than the newest",
            rows::list_statement(
                ws,
                env,
                None,
                None,
                &Position::After(Cursor::of(&newest)),
                26,
                "*",
            ),
        ),
        (
            "Connections in a state (needs_reauth)",
            rows::list_statement(
                ws,
                env,
                Some(Health::NeedsReauth),
                None,
                &Position::Newest,
                26,
                "*",
            ),
        ),
        (
            "search by end user id",
            rows::search_statement(db, ws, env, "end_user_id", "user-05432", 1001),
        ),
        (
            "Check all's progress",
            rows::run_remaining_statement(ws, env, now),
        ),
        (
            "the scheduler's refresh claim",
            rows::claim_due_statement(db, Due::Refresh, "bench", now, now + 60_000, 16),
        ),
        (
            "the scheduler's probe claim",
            rows::claim_due_statement(db, Due::Probe, "bench", now, now + 60_000, 16),
        ),
    ];
    for (name, action, paged_deep) in [
        ("audit log", None, false),
        ("audit log, page 1000", None, true),
        (
            "audit log by action",
            Some(AuditAction::MemberRoleChanged),
            false,
        ),
    ] {
        let query = AuditQuery {
            environment_id: None,
            actor_operator_id: None,
            action,
            before: paged_deep.then_some((deep.0, &deep_id)),
            limit: 51,
        };
        statements.push((name, audit_events::list_statement(ws, &query)));
    }
    let by_env = AuditQuery {
        environment_id: Some(env),
        before: Some((deep.0, &deep_id)),
        limit: 51,
        ..Default::default()
    };
    statements.push((
        "audit log by environment, deep",
        audit_events::list_statement(ws, &by_env),
    ));
    let by_actor = AuditQuery {
        actor_operator_id: Some(actor),
        limit: 51,
        ..Default::default()
    };
    statements.push((
        "audit log by actor",
        audit_events::list_statement(ws, &by_actor),
    ));
    for (name, st) in statements {
        println!("bench-scale: {} plan of {name}:", label());
        for line in explain(db, &st, false).await.unwrap() {
            println!("  {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with scripts/bench-scale.sh"]
async fn bench_portal_at_scale() {
    let bin = std::env::var("PINBRIDGE_BIN")
        .ok()
        .filter(|b| std::path::Path::new(b).exists())
        .unwrap_or_else(|| BIN.to_owned());
    let spec = ScaleSpec {
        connections: number("BENCH_CONNECTIONS", 100_000),
        probes_per_connection: number("BENCH_PROBES", 3),
        long_history: 60,
        audit_events: number("BENCH_AUDIT", 1_000_000),
        actors: 12,
        now: domain::db::now_ms(),
    };
    let requests = number("BENCH_REQUESTS", 40) as usize;
    let db = TestDb::new().await;
    create_owner(&bin, &db, "Scale", "owner@scale.test");

    let pool = Db::connect(&db.url).await.unwrap();
    let ws = workspaces::find_by_name(&pool, &WorkspaceName::parse("Scale").unwrap())
        .await
        .unwrap()
        .unwrap();
    let envs = environments::list(&pool, &ws.id).await.unwrap();
    let dev = envs.iter().find(|e| e.slug == "development").unwrap();
    let prod = envs.iter().find(|e| e.slug != "development").unwrap();
    let ring = KeyRing::parse(&key_spec(&[("k1", 1)])).unwrap();
    let sealed = seal_token(
        &ring,
        &ws.id,
        &ConnectionId::generate(),
        TokenColumn::Access,
        &SecretString::new("pina_seeded_for_the_benchmark".into()),
    )
    .unwrap();
    let started = Instant::now();
    let seeded = seed::seed(&pool, &ws.id, &dev.id, &prod.id, &sealed, &spec)
        .await
        .unwrap();
    let seeding = started.elapsed();
    let started = Instant::now();
    seed::analyze(&pool).await.unwrap();
    println!(
        "bench-scale: {} seeded {} connections ({} probes each), {} audit records in {:.1} s (+{:.1} s vacuum/analyze)",
        label(),
        spec.connections,
        spec.probes_per_connection,
        spec.audit_events,
        seeding.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    print_plans(&pool, &ws.id, &dev.id, &seeded).await;
    if std::env::var("BENCH_SEED_ONLY").is_ok() {
        // For looking at the data by hand (sqlite3, psql).
        println!(
            "bench-scale: seeded only; the database is kept at {}",
            db.url
        );
        pool.close().await;
        std::mem::forget(db);
        return;
    }
    let server = serve(&bin, &db);
    let client = sign_in(&server, "owner@scale.test").await;

    let w = format!("/w/{}", ws.id);
    let list = format!("{w}/e/development/connections");
    // How the list's last page is asked for (`page=4000` before keyset paging).
    let last = std::env::var("BENCH_LAST").unwrap_or_else(|_| "page=last".into());
    let (actor_id, _) = &seeded.actors[0];
    let mut pages: Vec<(String, String, &str)> = vec![
        ("connections".into(), list.clone(), "data-connection="),
        (
            "connections last page".into(),
            format!("{list}?{last}"),
            "data-connection=",
        ),
    ];
    for h in domain::shared::Health::ALL {
        pages.push((
            format!("connections state={}", h.as_str()),
            format!("{list}?state={}", h.as_str()),
            "data-connection=",
        ));
        pages.push((
            format!("connections state={} last page", h.as_str()),
            format!("{list}?state={}&{last}", h.as_str()),
            "data-connection=",
        ));
    }
    for (name, q, marker) in [
        ("search one end user", "user-054321", "data-connection="),
        ("search many", "customer", "data-connection="),
        ("search none", "nobody-at-all", "No connections match"),
    ] {
        pages.push((
            format!("connections {name}"),
            format!("{list}?q={q}"),
            marker,
        ));
    }
    // The newest seeded connection can be revoked (at the default 100 000 it
    // is: row 99 999, `i % 100` in the revoked share), and a revoked
    // connection's page has no "Check now": the state card's reason is on
    // every connection's page.
    pages.push((
        "connection page".into(),
        format!("{list}/{}", seeded.newest),
        "data-field=\"reason\"",
    ));
    pages.push((
        "integrations".into(),
        format!("{w}/e/development/integrations"),
        "Pinterest",
    ));
    let audit_filters: Vec<(String, Option<(&str, String)>)> = vec![
        ("audit".into(), None),
        (
            "audit environment".into(),
            Some(("environment", dev.id.to_string())),
        ),
        ("audit actor".into(), Some(("actor", actor_id.to_string()))),
        (
            "audit action=connection.refreshed".into(),
            Some(("action", "connection.refreshed".into())),
        ),
        (
            "audit action=member.role_changed".into(),
            Some(("action", "member.role_changed".into())),
        ),
    ];
    for (name, filter) in &audit_filters {
        let query = filter
            .as_ref()
            .map_or(String::new(), |(k, v)| format!("{k}={v}"));
        pages.push((name.clone(), format!("{w}/audit?{query}"), "data-action="));
        let column = filter.as_ref().map(|(k, v)| {
            let column = match *k {
                "environment" => "environment_id",
                "actor" => "actor_operator_id",
                _ => "action",
            };
            (column, v.as_str())
        });
        if let Some(cursor) = audit_cursor(&pool, &ws.id, column, 999).await {
            let sep = if query.is_empty() { "" } else { "&" };
            pages.push((
                format!("{name} page 1000"),
                format!("{w}/audit?{query}{sep}after={cursor}"),
                "data-action=",
            ));
        }
    }

    println!(
        "bench-scale: {} {requests} requests per page, sequential, signed in as the owner (ms)",
        label()
    );
    let mut missed = Vec::new();
    for (name, path, marker) in &pages {
        let url = format!("{}{path}", server.base);
        let mut samples = Vec::with_capacity(requests);
        for n in 0..requests + 2 {
            let started = Instant::now();
            let res = client
                .get(&url)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            let took = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(status, reqwest::StatusCode::OK, "{name}: {path}");
            assert!(body.contains(marker), "{name}: {path} lacks {marker}");
            // The first two warm the caches.
            if n >= 2 {
                samples.push(took);
            }
        }
        let (p50, p95, max) = percentiles(&mut samples);
        let verdict = if p95 <= TARGET_P95_MS { "ok" } else { "SLOW" };
        if p95 > TARGET_P95_MS {
            missed.push(name.clone());
        }
        println!(
            "bench-scale: {} {name:<44} p50 {p50:7.2}  p95 {p95:7.2}  max {max:7.2}  {verdict}",
            label()
        );
    }
    println!(
        "bench-scale: {} {} of {} pages within p95 <= {TARGET_P95_MS} ms{}",
        label(),
        pages.len() - missed.len(),
        pages.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" (slower: {})", missed.join(", "))
        }
    );
    drop(server);
    pool.close().await;
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("bench-scale: kept the database at {}", db.url);
        std::mem::forget(db);
    } else {
        db.drop_database().await;
    }
}
