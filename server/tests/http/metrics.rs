//! `/metrics` over HTTP: off unless configured, the bearer token on the main
//! listener, a listener of its own, and the counters after real traffic (a
//! portal page, API calls with a key, refreshes and probes against
//! pinterest-sim). Route labels are templates, never ids; no secret reaches
//! the output or the logs. With `PINBRIDGE_METRICS_CHECK=1` (as `make test`
//! runs it) the output is read by the Prometheus Python client's own parser
//! (`prometheus_client` from PyPI, pinned by `scripts/metrics-tools.sh`).
//!
//! The recorder is one per process, shared by every server the tests start:
//! counters are compared before and after (they only grow), and exact
//! values are read only under labels that belong to one test (its API key,
//! its environment).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use domain::connections::{TokenColumn, open_token};
use domain::shared::ApiPermission;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::api::new_key;
use super::connections::{APP_SECRET, EndUser, World, connect, row, sim_admin, world_with};
use super::webhooks::{LOCAL, Mode, Receiver, new_endpoint};
use crate::common::TestApp;

const TOKEN: &str = "metrics-test-token-5b1f0c9a7e42";
const SCOPES: [&str; 3] = ["user_accounts:read", "boards:read", "pins:read"];

/// One sample of the text format: name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, read just enough to find samples (the format itself is checked
/// by Prometheus' own parser, below).
struct Scraped {
    text: String,
    samples: Vec<Sample>,
}

impl Scraped {
    fn parse(text: String) -> Self {
        let label = regex::Regex::new(r#"(\w+)="((?:[^"\\]|\\.)*)""#).unwrap();
        let samples = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').unwrap();
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => (name, rest.trim_end_matches('}')),
                    None => (series, ""),
                };
                Sample {
                    name: name.to_owned(),
                    labels: label
                        .captures_iter(labels)
                        .map(|c| (c[1].to_owned(), c[2].to_owned()))
                        .collect(),
                    value: value.parse().unwrap(),
                }
            })
            .collect();
        Self { text, samples }
    }

    /// The sum of `name`'s samples that carry every label of `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.matching(name, with).map(|s| s.value).sum()
    }

    /// The one sample of `name` with exactly the labels `with` among its own.
    fn value(&self, name: &str, with: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<&Sample> = self.matching(name, with).collect();
        assert!(found.len() <= 1, "{name} {with:?}: {found:?}");
        found.first().map(|s| s.value)
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// Every value the label `name` takes, in any sample.
    fn label_values(&self, name: &str) -> Vec<&str> {
        let mut values: Vec<&str> = self
            .samples
            .iter()
            .filter_map(|s| s.labels.get(name).map(String::as_str))
            .collect();
        values.sort_unstable();
        values.dedup();
        values
    }
}

async fn get(url: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    request.send().await.unwrap()
}

/// Scrapes `url` with the token and reads the answer.
async fn scrape(url: &str) -> Scraped {
    let res = get(url, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    Scraped::parse(res.text().await.unwrap())
}

async fn scrape_app(app: &TestApp) -> Scraped {
    scrape(&app.url("/metrics")).await
}

fn metrics_url(app: &TestApp) -> String {
    let addr = app.running.as_ref().unwrap().metrics_addr.unwrap();
    format!("http://{addr}/metrics")
}

/// A refusal: 401 asking for a bearer token, with one line saying why.
async fn refused(res: reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    let said = res.text().await.unwrap();
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    assert!(!said.contains(TOKEN));
    said
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let app = TestApp::spawn().await;
    assert!(app.running.as_ref().unwrap().metrics_addr.is_none());
    for authorization in [None, Some(format!("Bearer {TOKEN}"))] {
        let res = get(&app.url("/metrics"), authorization.as_deref()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(!res.text().await.unwrap().contains("pinbridge_"));
    }
    app.stop().await;
}

#[tokio::test]
async fn the_main_listener_asks_for_the_token() {
    crate::common::logs::captured();
    let app = TestApp::spawn_with(&["--metrics-token", TOKEN]).await;
    assert!(app.running.as_ref().unwrap().metrics_addr.is_none());
    let url = app.url("/metrics");
    let missing = refused(get(&url, None).await).await;
    assert!(missing.contains("needs the metrics token"), "{missing}");
    let wrong = refused(get(&url, Some("Bearer metrics-test-token-5b1f0c9a7e43")).await).await;
    assert!(wrong.contains("not the metrics token"), "{wrong}");
    refused(get(&url, Some(&format!("Basic {TOKEN}"))).await).await;
    refused(get(&url, Some(TOKEN)).await).await;
    refused(get(&url, Some(&format!("Bearer {TOKEN}{TOKEN}"))).await).await;

    let res = get(&url, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let scraped = Scraped::parse(res.text().await.unwrap());
    assert_eq!(
        scraped.value(
            "pinbridge_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    assert!(!scraped.text.contains(TOKEN));
    // The refusals were answered, and nothing logged the token.
    let after = scrape_app(&app).await;
    assert!(
        after.sum(
            "pinbridge_http_requests_total",
            &[("route", "/metrics"), ("status", "401")]
        ) >= 5.0
    );
    assert!(!crate::common::logs::captured().contains(TOKEN));
    app.stop().await;
}

#[tokio::test]
async fn a_listener_of_its_own_serves_metrics_and_stops_with_the_server() {
    // Without a token: served there without one, and not on the main listener.
    let app = TestApp::spawn_with(&["--metrics-addr", "127.0.0.1:0"]).await;
    let url = metrics_url(&app);
    assert_eq!(
        get(&app.url("/metrics"), None).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = get(&url, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let scraped = Scraped::parse(res.text().await.unwrap());
    assert!(
        scraped
            .value("pinbridge_db_pool_max_connections", &[])
            .unwrap()
            >= 1.0
    );
    // Only /metrics: the portal and the API are not on that listener.
    for path in ["/", "/healthz", "/v1/connections"] {
        let other = url.replace("/metrics", path);
        assert_eq!(
            get(&other, None).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    app.stop().await;
    assert!(
        reqwest::Client::new().get(&url).send().await.is_err(),
        "the metrics listener stopped with the server"
    );

    // With a token too: asked for on both listeners.
    let app =
        TestApp::spawn_with(&["--metrics-addr", "127.0.0.1:0", "--metrics-token", TOKEN]).await;
    let url = metrics_url(&app);
    refused(get(&url, None).await).await;
    refused(get(&url, Some("Bearer not-the-metrics-token")).await).await;
    scrape(&url).await;
    refused(get(&app.url("/metrics"), None).await).await;
    scrape_app(&app).await;
    app.stop().await;
}

fn uuid_like() -> regex::Regex {
    regex::Regex::new(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-").unwrap()
}

#[tokio::test]
async fn counters_move_with_real_traffic_and_labels_hold_no_ids_or_secrets() {
    let w = world_with(&SCOPES, &["--metrics-token", TOKEN]).await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let created = new_key(
        &w.app,
        &w.ws,
        &w.owner.operator_id,
        &w.env_id,
        &ApiPermission::ALL,
        100_000,
    )
    .await;
    let key = created.key.expose().to_owned();
    let key_id = created.row.id.as_str().to_owned();
    // A key allowed one request a minute.
    let slow = new_key(
        &w.app,
        &w.ws,
        &w.owner.operator_id,
        &w.env_id,
        &ApiPermission::ALL,
        1,
    )
    .await;
    let before = scrape_app(&w.app).await;

    // A portal page, a page nobody routes, API calls with the key and without.
    let page = w
        .owner
        .browser
        .page(&format!("/w/{}/e/{}/connections/{id}", w.ws, w.env_slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let nowhere = format!("/no/such/{id}");
    w.app.client.get(w.app.url(&nowhere)).send().await.unwrap();
    let api = |authorization: Option<String>| {
        let url = w.app.url(&format!("/v1/connections/{id}"));
        async move { get(&url, authorization.as_deref()).await.status() }
    };
    for _ in 0..2 {
        assert_eq!(api(Some(format!("Bearer {key}"))).await, StatusCode::OK);
    }
    assert_eq!(api(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api(Some(format!("Bearer {key}x"))).await,
        StatusCode::UNAUTHORIZED
    );
    let slow_key = format!("Bearer {}", slow.key.expose());
    assert_eq!(api(Some(slow_key.clone())).await, StatusCode::OK);
    assert_eq!(api(Some(slow_key)).await, StatusCode::TOO_MANY_REQUESTS);
    // An agent's first MCP request, with the same key, and one without a key.
    let mcp = |authorization: Option<String>| {
        let url = w.app.url("/mcp");
        async move {
            let mut req = reqwest::Client::new()
                .post(url)
                .header("accept", "application/json, text/event-stream")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "metrics-test", "version": "1"}}}));
            if let Some(a) = authorization {
                req = req.header("authorization", a);
            }
            req.send().await.unwrap().status()
        }
    };
    assert_eq!(mcp(Some(format!("Bearer {key}"))).await, StatusCode::OK);
    assert_eq!(mcp(None).await, StatusCode::UNAUTHORIZED);
    // Refresh now; a probe while Pinterest fails, then one that passes.
    let b = &w.owner.browser;
    let form = [("workspace", w.ws.as_str()), ("connection", id.as_str())];
    let said: String = b.call("connection/refresh", &form).await.unwrap();
    assert!(said.starts_with("Refreshed"), "{said}");
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503]}),
    )
    .await;
    let said: String = b.call("connection/check", &form).await.unwrap();
    assert!(said.contains("Degraded"), "{said}");
    sim_admin(&w.sim, reqwest::Method::DELETE, "/_sim/faults", Value::Null).await;
    let said: String = b.call("connection/check", &form).await.unwrap();
    assert!(said.contains("Active"), "{said}");

    let after = scrape_app(&w.app).await;
    let grew = |name: &str, with: &[(&str, &str)]| after.sum(name, with) - before.sum(name, with);
    // API requests by API and key: this test's key alone, exactly.
    assert_eq!(
        after.value(
            "pinbridge_api_requests_total",
            &[("api", "v1"), ("key", &key_id), ("status", "200")]
        ),
        Some(2.0)
    );
    assert_eq!(
        after.value(
            "pinbridge_api_requests_total",
            &[("api", "mcp"), ("key", &key_id), ("status", "200")]
        ),
        Some(1.0)
    );
    assert!(
        grew(
            "pinbridge_api_requests_total",
            &[("api", "mcp"), ("key", "none"), ("status", "401")]
        ) >= 1.0
    );
    let slow_id = slow.row.id.as_str();
    for status in ["200", "429"] {
        assert_eq!(
            after.value(
                "pinbridge_api_requests_total",
                &[("key", slow_id), ("status", status)]
            ),
            Some(1.0),
            "{status}"
        );
    }
    assert!(
        grew(
            "pinbridge_api_requests_total",
            &[("key", "none"), ("status", "401")]
        ) >= 2.0
    );
    // HTTP requests by route template, method and status, and their latency.
    let v1 = [("route", "/v1/connections/{id}"), ("method", "GET")];
    assert!(
        grew(
            "pinbridge_http_requests_total",
            &[v1[0], v1[1], ("status", "200")]
        ) >= 2.0
    );
    assert!(grew("pinbridge_http_requests_total", &[v1[0], ("status", "401")]) >= 2.0);
    assert!(
        grew(
            "pinbridge_http_request_duration_seconds_bucket",
            &[v1[0], v1[1], ("le", "+Inf")]
        ) >= 4.0
    );
    assert!(grew("pinbridge_http_request_duration_seconds_count", &v1) >= 4.0);
    assert!(grew("pinbridge_http_requests_total", &[("route", "unmatched")]) >= 1.0);
    assert!(
        grew(
            "pinbridge_http_requests_total",
            &[
                ("route", "/api/connection/refresh"),
                ("method", "POST"),
                ("status", "200")
            ]
        ) >= 1.0
    );
    let page_route = after
        .label_values("route")
        .into_iter()
        .find(|r| r.starts_with("/w/") && r.ends_with("/connections/{id}"))
        .map(str::to_owned)
        .expect("the connection page's route template");
    assert!(
        grew(
            "pinbridge_http_requests_total",
            &[("route", &page_route), ("method", "GET"), ("status", "200")]
        ) >= 1.0,
        "{page_route}"
    );
    // Refreshes and probes by outcome and trigger.
    assert!(
        grew(
            "pinbridge_refreshes_total",
            &[("outcome", "stored"), ("trigger", "operator")]
        ) >= 1.0
    );
    assert!(
        grew(
            "pinbridge_probes_total",
            &[("outcome", "transient"), ("trigger", "operator")]
        ) >= 1.0
    );
    assert!(
        grew(
            "pinbridge_probes_total",
            &[("outcome", "ok"), ("trigger", "operator")]
        ) >= 1.0
    );
    // Connections by environment and state; the pool; the scheduler; the build.
    let env = ("environment", w.env_id.as_str());
    assert_eq!(
        after.value("pinbridge_connections", &[env, ("state", "active")]),
        Some(1.0)
    );
    assert_eq!(
        after.value("pinbridge_connections", &[env, ("state", "revoked")]),
        Some(0.0)
    );
    assert!(
        after
            .value("pinbridge_db_pool_max_connections", &[])
            .unwrap()
            >= 1.0
    );
    assert!(
        after
            .value("pinbridge_db_pool_connections", &[("state", "idle")])
            .is_some()
    );
    assert!(
        after
            .value("pinbridge_db_pool_connections", &[("state", "in_use")])
            .is_some()
    );
    assert!(after.value("pinbridge_scheduler_lag_seconds", &[]).unwrap() >= 0.0);
    assert!(after.value("pinbridge_build_info", &[]).is_some());

    // Routes are templates: no id, no token, no path as it was asked for.
    let ids = uuid_like();
    for route in after.label_values("route") {
        assert!(!ids.is_match(route), "an id in a route label: {route}");
        assert!(
            !route.contains(&id) && !route.contains("/no/such"),
            "{route}"
        );
    }
    // No secret in the output, nor in the logs.
    let r = row(&w.app, &id).await;
    let keys = &w.app.state().keys;
    let access = open_token(
        keys,
        &r.workspace_id,
        &r.id,
        TokenColumn::Access,
        r.access_token.as_deref().unwrap(),
    )
    .unwrap();
    let refresh = open_token(
        keys,
        &r.workspace_id,
        &r.id,
        TokenColumn::Refresh,
        r.refresh_token.as_deref().unwrap(),
    )
    .unwrap();
    let logs = crate::common::logs::captured();
    for secret in [
        TOKEN,
        slow.key.expose(),
        key.as_str(),
        &key[14..40],
        access.expose(),
        refresh.expose(),
        APP_SECRET,
    ] {
        assert!(!after.text.contains(secret), "a secret in /metrics");
        assert!(!logs.contains(secret), "a secret in the logs");
    }
    w.stop().await;
}

#[tokio::test]
async fn connections_are_counted_at_most_every_few_seconds_and_every_state_is_reported() {
    let w = world_with(&SCOPES, &["--metrics-token", TOKEN]).await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let env = ("environment", w.env_id.as_str());
    let first = scrape_app(&w.app).await;
    let counted_at = Instant::now();
    assert_eq!(
        first.value("pinbridge_connections", &[env, ("state", "active")]),
        Some(1.0)
    );
    for state in ["degraded", "needs_reauth", "insufficient_scope", "revoked"] {
        assert_eq!(
            first.value("pinbridge_connections", &[env, ("state", state)]),
            Some(0.0),
            "{state}"
        );
    }
    let said: String = w
        .owner
        .browser
        .call(
            "connection/disconnect",
            &[("workspace", w.ws.as_str()), ("connection", id.as_str())],
        )
        .await
        .unwrap();
    assert!(!said.is_empty());
    // Scrapes right after one another reuse the count...
    let again = scrape_app(&w.app).await;
    if counted_at.elapsed() < Duration::from_secs(4) {
        assert_eq!(
            again.value("pinbridge_connections", &[env, ("state", "active")]),
            Some(1.0)
        );
    }
    // ...and a few seconds later see the change.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = scrape_app(&w.app).await;
        if now.value("pinbridge_connections", &[env, ("state", "revoked")]) == Some(1.0) {
            assert_eq!(
                now.value("pinbridge_connections", &[env, ("state", "active")]),
                Some(0.0)
            );
            assert!(
                counted_at.elapsed() >= Duration::from_secs(4),
                "counted again too soon"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the count never changed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    w.stop().await;
}

#[tokio::test]
async fn webhook_deliveries_are_counted_by_outcome() {
    let mut flags = LOCAL.to_vec();
    flags.extend(["--metrics-token", TOKEN]);
    let w = world_with(&SCOPES, &flags).await;
    let receiver = Receiver::start().await;
    new_endpoint(&w, &receiver.url).await;
    let before = scrape_app(&w.app).await;
    // The first attempt fails; the retry, seconds later, is taken.
    receiver.set(Mode::Status(500));
    connect(&w, &EndUser::new(), "user-1").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.wait_for(1, Duration::ZERO).await.is_empty() {
        let failed = scrape_app(&w.app).await.sum(
            "pinbridge_webhook_deliveries_total",
            &[("outcome", "retrying")],
        );
        if failed
            > before.sum(
                "pinbridge_webhook_deliveries_total",
                &[("outcome", "retrying")],
            )
        {
            receiver.set(Mode::Ok);
        }
        assert!(Instant::now() < deadline, "no webhook was delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = scrape_app(&w.app).await;
    for outcome in ["retrying", "delivered"] {
        let with = [("outcome", outcome)];
        let grew = after.sum("pinbridge_webhook_deliveries_total", &with)
            - before.sum("pinbridge_webhook_deliveries_total", &with);
        assert!(grew >= 1.0, "{outcome}");
    }
    w.stop().await;
}

/// The scraped text as `prometheus_client`'s parser reads it: every family
/// with its type, help and samples (scripts/metrics-check.py).
fn parsed_by_prometheus_client(text: &str) -> Value {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tools = std::process::Command::new(root.join("scripts/metrics-tools.sh"))
        .arg("path")
        .current_dir(&root)
        .output()
        .expect("scripts/metrics-tools.sh runs");
    assert!(
        tools.status.success(),
        "scripts/metrics-tools.sh path failed (run make setup-test):\n{}",
        crate::common::stderr(&tools)
    );
    let bin = crate::common::stdout(&tools).trim().to_owned();
    let mut child = std::process::Command::new(format!("{bin}/python"))
        .arg(root.join("scripts/metrics-check.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the parser starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the text: {}",
        crate::common::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn prometheus_own_parser_reads_every_family() {
    if std::env::var("PINBRIDGE_METRICS_CHECK").as_deref() != Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the metrics check must run: set PINBRIDGE_METRICS_CHECK=1 (make test does)"
        );
        eprintln!(
            "skipped: set PINBRIDGE_METRICS_CHECK=1 to read /metrics with the Prometheus client's parser (make test does)"
        );
        return;
    }
    let w: World = world_with(&SCOPES, &["--metrics-token", TOKEN]).await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let key = new_key(
        &w.app,
        &w.ws,
        &w.owner.operator_id,
        &w.env_id,
        &ApiPermission::ALL,
        100_000,
    )
    .await;
    let res = get(
        &w.app.url(&format!("/v1/connections/{id}")),
        Some(&format!("Bearer {}", key.key.expose())),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let form = [("workspace", w.ws.as_str()), ("connection", id.as_str())];
    let _: String = w
        .owner
        .browser
        .call("connection/refresh", &form)
        .await
        .unwrap();
    let _: String = w
        .owner
        .browser
        .call("connection/check", &form)
        .await
        .unwrap();
    let scraped = scrape_app(&w.app).await;

    let parsed = parsed_by_prometheus_client(&scraped.text);
    let families: BTreeMap<&str, &Value> = parsed["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f))
        .collect();
    // The parser names a counter without its `_total`.
    for (name, kind) in [
        ("pinbridge_http_requests", "counter"),
        ("pinbridge_http_request_duration_seconds", "histogram"),
        ("pinbridge_api_requests", "counter"),
        ("pinbridge_refreshes", "counter"),
        ("pinbridge_probes", "counter"),
        ("pinbridge_scheduler_lag_seconds", "gauge"),
        ("pinbridge_connections", "gauge"),
        ("pinbridge_db_pool_connections", "gauge"),
        ("pinbridge_db_pool_max_connections", "gauge"),
        ("pinbridge_build_info", "gauge"),
    ] {
        let family = families
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {families:?}"));
        assert_eq!(family["type"], kind, "{name}");
        assert!(
            family["help"].as_str().is_some_and(|h| h.len() > 10),
            "{name} has help text"
        );
        assert!(!family["samples"].as_array().unwrap().is_empty(), "{name}");
    }
    // The parser read every sample line, with the values read here.
    let samples: Vec<&Value> = families
        .values()
        .flat_map(|f| f["samples"].as_array().unwrap())
        .collect();
    assert_eq!(samples.len(), scraped.samples.len());
    let api = samples
        .iter()
        .find(|s| {
            s["name"] == "pinbridge_api_requests_total" && s["labels"]["key"] == key.row.id.as_str()
        })
        .expect("the key's requests");
    assert_eq!(api["labels"]["status"], "200");
    assert_eq!(api["value"], 1.0);
    let histogram = &families["pinbridge_http_request_duration_seconds"]["samples"];
    let buckets: Vec<&str> = histogram
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["name"] == "pinbridge_http_request_duration_seconds_bucket"
                && s["labels"]["route"] == "/v1/connections/{id}"
        })
        .map(|s| s["labels"]["le"].as_str().unwrap())
        .collect();
    assert!(
        buckets.contains(&"0.1") && buckets.contains(&"+Inf"),
        "{buckets:?}"
    );
    w.stop().await;
}
