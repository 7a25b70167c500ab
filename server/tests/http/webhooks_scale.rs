//! Webhooks at scale: two pinbridge instances on one database (on SQLite both
//! share the file) deliver events seeded into the outbox
//! (`domain::testing::seed_webhook_events`, round robin over the connections)
//! to a receiver on 127.0.0.1 that records each request's `webhook-id` in
//! arrival order. Every event must arrive exactly once, in order per
//! connection, and every delivery must end `succeeded`. Both backends; the
//! benchmark (`scripts/bench-webhooks.sh`) is the same run with more events.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::webhooks::endpoints::{self, EndpointInput};

use super::connections::world_with;
use crate::common::TestApp;

/// Receivers on 127.0.0.1; retries within seconds and a 50 ms poll.
const TEST_TIMING: [&str; 2] = ["--webhooks-allow-private", "--webhook-test-timing"];
/// Receivers on 127.0.0.1, and otherwise the installation's defaults (a 1 s poll).
const DEFAULT_TIMING: [&str; 1] = ["--webhooks-allow-private"];

/// Records the `webhook-id` of every request, in arrival order, and answers 200.
#[derive(Clone)]
struct Recorder {
    url: String,
    got: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, _body: String| {
                let g = g.clone();
                async move {
                    let id = headers
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    g.lock().unwrap().push(id);
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got }
    }

    fn received(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }
}

/// What one run found.
struct Outcome {
    events: usize,
    connections: usize,
    seconds: f64,
    /// Requests beyond the first of their event.
    duplicates: usize,
    /// Events that never arrived.
    missing: usize,
    /// Events that arrived before an earlier event of their connection.
    out_of_order: usize,
    /// Deliveries by status, as pinbridge recorded them.
    statuses: BTreeMap<String, i64>,
    /// Attempts pinbridge made in all.
    attempts: i64,
}

impl Outcome {
    fn line(&self, tag: &str) -> String {
        format!(
            "{tag}: backend={:?} events={} connections={} seconds={:.2} events_per_s={:.0} duplicates={} missing={} out_of_order={} attempts={} statuses={:?}",
            crate::common::backend(),
            self.events,
            self.connections,
            self.seconds,
            self.events as f64 / self.seconds,
            self.duplicates,
            self.missing,
            self.out_of_order,
            self.attempts,
            self.statuses,
        )
    }
}

async fn succeeded(app: &TestApp) -> i64 {
    let (n,): (i64,) = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_as("select count(*) from webhook_deliveries where status = 'succeeded'")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    n
}

/// Seeds `events` events over `connections` connections with pinbridge
/// stopped, then starts two instances with `flags` and waits (at most
/// `limit`) until every delivery succeeded.
async fn run(events: usize, connections: usize, flags: &[&str], limit: Duration) -> Outcome {
    let mut w = world_with(
        &["user_accounts:read", "boards:read", "pins:read"],
        &TEST_TIMING,
    )
    .await;
    let recorder = Recorder::start().await;
    let ws = WorkspaceId::parse(&w.ws).unwrap();
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    let actor = actor_in(
        &w.app.state().db,
        &ws,
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    let types = vec!["connection.state_changed".to_owned()];
    endpoints::create(
        w.app.state(),
        &actor,
        &env,
        EndpointInput::parse(&recorder.url, "Recorder", &types, true, true).unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let names: Vec<String> = (0..connections).map(|i| format!("scale-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ids = domain::testing::insert_connections(&w.app.state().db, &ws, &env, &names).await;

    // The outbox is filled while no pinbridge runs, so that the clock measures
    // delivery alone.
    w.app.running.take().unwrap().stop().await.unwrap();
    let db = w.app.db.connect().await;
    let seeded = domain::testing::seed_webhook_events(&db, &ws, &env, &ids, events).await;
    assert_eq!(seeded.len(), events);

    let started = Instant::now();
    let one = TestApp::spawn_sharing(&w.app, flags).await;
    let two = TestApp::spawn_sharing(&w.app, flags).await;
    while (succeeded(&one).await as usize) < events && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Anything that would arrive twice has had its chance.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows: Vec<(String, i64)> = domain::on_pool!(&one.state().db, pool => {
        sqlx::query_as("select status, attempts from webhook_deliveries")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    one.stop().await;
    two.stop().await;

    let mut statuses = BTreeMap::new();
    let mut attempts = 0;
    for (status, a) in rows {
        *statuses.entry(status).or_insert(0) += 1;
        attempts += a;
    }
    // Event i belongs to connection i % connections (the seeder's round robin).
    let index: HashMap<&str, usize> = seeded
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let received = recorder.received();
    let mut seen = vec![0usize; events];
    let mut last: Vec<Option<usize>> = vec![None; connections];
    let mut out_of_order = 0;
    for id in &received {
        let i = *index
            .get(id.as_str())
            .unwrap_or_else(|| panic!("an event nobody seeded: {id}"));
        seen[i] += 1;
        let c = i % connections;
        if last[c].is_some_and(|before| before > i) {
            out_of_order += 1;
        }
        last[c] = last[c].max(Some(i));
    }
    let outcome = Outcome {
        events,
        connections,
        seconds,
        duplicates: received.len() - seen.iter().filter(|&&n| n > 0).count(),
        missing: seen.iter().filter(|&&n| n == 0).count(),
        out_of_order,
        statuses,
        attempts,
    };
    w.stop().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_a_thousand_events_once_each_in_order() {
    let o = run(1000, 50, &TEST_TIMING, Duration::from_secs(120)).await;
    eprintln!("{}", o.line("webhooks-scale"));
    assert_eq!(o.missing, 0, "every event arrived");
    assert_eq!(o.duplicates, 0, "no event arrived twice");
    assert_eq!(o.out_of_order, 0, "in order per connection");
    assert_eq!(
        o.statuses,
        BTreeMap::from([("succeeded".to_owned(), 1000)]),
        "every delivery succeeded"
    );
    assert_eq!(o.attempts, 1000, "each at the first attempt");
}

/// The webhook benchmark (`scripts/bench-webhooks.sh`): two instances deliver
/// `BENCH_EVENTS` seeded events (default 10000) over `BENCH_CONNECTIONS`
/// connections (default 50), with the installation's default timing (a 1 s
/// poll), or the tests' (a 50 ms poll) when `BENCH_TEST_TIMING=1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench-webhooks.sh"]
async fn bench_webhooks() {
    let var = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let events = var("BENCH_EVENTS", 10_000);
    let connections = var("BENCH_CONNECTIONS", 50);
    let test_timing = std::env::var("BENCH_TEST_TIMING").as_deref() == Ok("1");
    let flags: &[&str] = if test_timing {
        &TEST_TIMING
    } else {
        &DEFAULT_TIMING
    };
    let o = run(events, connections, flags, Duration::from_secs(1200)).await;
    println!(
        "{} poll={}",
        o.line("bench-webhooks"),
        if test_timing { "50ms" } else { "1s" }
    );
    assert_eq!(o.missing, 0);
    assert_eq!(o.duplicates, 0);
    assert_eq!(o.out_of_order, 0);
}
