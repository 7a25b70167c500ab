//! Webhooks over real HTTP: connection events reach a receiver on 127.0.0.1
//! signed the Standard Webhooks way, once each and in order per connection,
//! through a receiver that fails, times out and recovers, across a restart of
//! pinbridge; 410 Gone switches an endpoint off; private targets are refused
//! unless the installation allows them. Both backends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use domain::accounts::{
    ConnectionId, EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in,
};
use domain::connections::portal;
use domain::crypto::SecretString;
use domain::webhooks::endpoints::{self, EndpointInput};
use domain::webhooks::signing;
use serde_json::Value;

use super::connections::{EndUser, World, connect, world_with};

/// Flags of an installation whose receivers live on 127.0.0.1, with retries in seconds.
pub(super) const LOCAL: [&str; 4] = [
    "--webhooks-allow-private",
    "--webhook-test-timing",
    "--webhook-timeout-ms",
    "1000",
];

/// What the receiver answers next.
#[derive(Clone, Copy, Debug)]
pub(super) enum Mode {
    Ok,
    Status(u16),
    /// Answers 200 only after this long (longer than pinbridge waits).
    Slow(Duration),
}

/// One request the receiver got, and what it answered.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
    answered: u16,
}

#[derive(Clone)]
pub(super) struct Receiver {
    pub(super) url: String,
    mode: Arc<Mutex<Mode>>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(super) async fn start() -> Self {
        let mode = Arc::new(Mutex::new(Mode::Ok));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (m, g) = (mode.clone(), got.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (m, g) = (m.clone(), g.clone());
                async move {
                    let mode = *m.lock().unwrap();
                    let answered = match mode {
                        Mode::Ok => 200,
                        Mode::Status(s) => s,
                        Mode::Slow(d) => {
                            tokio::time::sleep(d).await;
                            200
                        }
                    };
                    g.lock().unwrap().push(Received {
                        headers,
                        body,
                        answered,
                    });
                    (StatusCode::from_u16(answered).unwrap(), "thanks")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, mode, got }
    }

    pub(super) fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Events the receiver acknowledged (answered 2xx), in arrival order.
    fn acknowledged(&self) -> Vec<Value> {
        self.received()
            .iter()
            .filter(|r| (200..300).contains(&r.answered))
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect()
    }

    pub(super) async fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.acknowledged();
            if got.len() >= count || started.elapsed() > within {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn owner_actor(w: &World) -> domain::accounts::Actor {
    actor_in(
        &w.app.state().db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap()
}

fn all_types() -> Vec<String> {
    domain::shared::WebhookEventType::SUBSCRIBABLE
        .iter()
        // The audit stream is its own subscription (see audit_chain.rs).
        .filter(|t| **t != domain::shared::WebhookEventType::Audit)
        .map(|t| t.as_str().to_owned())
        .collect()
}

pub(super) async fn new_endpoint(w: &World, url: &str) -> (String, SecretString) {
    let input = EndpointInput::parse(url, "Our backend", &all_types(), true, true).unwrap();
    let created = endpoints::create(
        w.app.state(),
        &owner_actor(w).await,
        &EnvironmentId::parse(&w.env_id).unwrap(),
        input,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    (created.row.id.to_string(), created.secret)
}

/// Checks a request's Standard Webhooks headers against `secret`.
fn verify(r: &Received, secret: &SecretString) -> bool {
    let header = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
    let id = header("webhook-id");
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    let expected = signing::sign(secret, &id, ts, r.body.as_bytes()).unwrap();
    header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

#[tokio::test]
async fn connection_events_arrive_signed_once_each_in_order_through_failures_and_a_restart() {
    crate::common::logs::captured();
    let mut w = world_with(&["user_accounts:read", "boards:read", "pins:read"], &LOCAL).await;
    let receiver = Receiver::start().await;
    let (_, secret) = new_endpoint(&w, &receiver.url).await;

    // The receiver fails for a while: 500s, then answers too late.
    receiver.set(Mode::Status(500));
    let user = EndUser::new();
    let (alice, _) = connect(&w, &user, "alice").await;
    let (bob, _) = connect(&w, &EndUser::new(), "bob").await;
    let actor = owner_actor(&w).await;
    portal::disconnect(
        &w.app.state().db,
        &actor,
        &ConnectionId::parse(&alice).unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let (again, _) = connect(&w, &EndUser::new(), "alice").await;
    assert_eq!(again, alice, "reconnecting keeps the connection's id");
    let started = Instant::now();
    while receiver.received().len() < 3 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    receiver.set(Mode::Slow(Duration::from_millis(1500)));
    tokio::time::sleep(Duration::from_millis(1200)).await;

    // pinbridge stops in the middle, and starts again on the same database.
    let running = w.app.running.take().unwrap();
    running.stop().await.unwrap();
    receiver.set(Mode::Ok);
    let mut restarted = crate::common::TestApp::spawn_sharing(&w.app, &LOCAL).await;
    // An attempt in flight when it stopped is retried once its lease (the
    // 1 s timeout and 5 s) has lapsed.
    let got = receiver.wait_for(5, Duration::from_secs(40)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_later = receiver.acknowledged();
    assert_eq!(
        got.len(),
        got_later.len(),
        "nothing more arrives: {got_later:#?}"
    );

    // Every event once: alice created, bob created, alice disconnected, alice
    // reauthorized and back to active.
    let ids: Vec<&str> = got.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "an event was acknowledged twice: {ids:?}"
    );
    let of = |conn: &str| -> Vec<String> {
        got.iter()
            .filter(|e| e["data"]["connection"]["id"] == conn)
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        of(&alice),
        [
            "connection.created",
            "connection.disconnected",
            "connection.reauthorized",
            "connection.state_changed"
        ]
    );
    assert_eq!(of(&bob), ["connection.created"]);
    let change = got
        .iter()
        .find(|e| e["type"] == "connection.state_changed")
        .unwrap();
    assert_eq!(change["data"]["previous_state"], "revoked");
    assert_eq!(change["data"]["state"], "active");
    assert_eq!(change["data"]["connection"]["end_user_id"], "alice");
    assert_eq!(change["environment"]["id"], w.env_id.as_str());
    assert!(change["timestamp"].as_str().unwrap().ends_with('Z'));

    // Every request, failed or not, is signed with the endpoint's secret, and
    // no request carries a token.
    let all = receiver.received();
    assert!(
        all.len() > got.len(),
        "failures were retried: {}",
        all.len()
    );
    for r in &all {
        assert!(verify(r, &secret), "bad signature: {:?}", r.headers);
        assert!(!r.body.contains("access_token") && !r.body.contains("refresh_token"));
        assert_eq!(r.headers["content-type"], "application/json");
    }
    // A request's webhook-id is its event's id (receivers deduplicate by it).
    for r in &all {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(r.headers["webhook-id"].to_str().unwrap(), body["id"]);
    }
    // Neither the signing secret nor any signature is in pinbridge's logs.
    let logs = crate::common::logs::captured();
    assert!(logs.contains("webhook"), "the worker logged something");
    // (The migration's comment, logged as it runs, names the `whsec_…` form.)
    let leaks: Vec<&str> = logs
        .lines()
        .filter(|l| {
            l.match_indices("whsec_")
                .any(|(i, m)| l[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()))
        })
        .collect();
    assert!(
        leaks.is_empty() && !logs.contains(secret.expose()),
        "{leaks:#?}"
    );
    for r in &all {
        for signature in r.headers["webhook-signature"].to_str().unwrap().split(' ') {
            assert!(!logs.contains(signature.trim_start_matches("v1,")));
        }
    }
    restarted.running.take().unwrap().stop().await.unwrap();
    w.app.db.drop_database().await;
}
