//! Webhooks checked from outside: `scripts/webhook-check.py`, a receiver on
//! 127.0.0.1 that shares no code with pinbridge, verifies every request with
//! the official Standard Webhooks library (`standardwebhooks` from PyPI,
//! pinned and installed by `scripts/webhook-tools.sh`) and validates every
//! body with jsonschema against the schemas of pinbridge's own
//! `/v1/openapi.json`, answering 200 only when both pass.
//!
//! Every event type is driven through the real paths: end users connect,
//! reconnect and switch accounts through pinterest-sim, Pinterest revokes a
//! grant so that a refresh fails, a probe sees another account, a connection
//! is disconnected, and a test event is sent. The secret is rotated half-way:
//! from then on each request must verify with the new and the old secret,
//! each on its own. The receiver must have seen every event verified and
//! schema-valid, once, in order per connection, and pinbridge must have
//! recorded every delivery succeeded at the first attempt. `make test` runs it
//! on both backends (`PINBRIDGE_WEBHOOK_CHECK=1`); elsewhere it is skipped,
//! except under CI, where a missing run is a failure.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use domain::accounts::{
    ConnectionId, EnvironmentId, OperatorId, RequestMeta, WebhookEndpointId, WorkspaceId, actor_in,
};
use domain::connections::{health, portal, tokens};
use domain::shared::WebhookEventType;
use domain::webhooks::endpoints::{self, EndpointInput};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::api::models::{AUDIT_EVENT_TYPE, AuditEvent};
use server::api::models::{WEBHOOK_EVENTS, WebhookEvent};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::connections::{APP_ID, RETURN, World, row, sim_admin, through_link_as, world_with};
use crate::common::portal::{invite, token_of};

/// An installation whose receivers live on 127.0.0.1, retrying within seconds.
const LOCAL: [&str; 2] = ["--webhooks-allow-private", "--webhook-test-timing"];

/// The schemas are served, one webhook per event type, each a component
/// schema that real payloads deserialize into (run always, no Python).
#[tokio::test]
async fn the_document_describes_every_webhook_event_type() {
    let app = crate::common::TestApp::spawn().await;
    let doc: Value = reqwest::get(app.url("/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let webhooks = doc["webhooks"].as_object().expect("a webhooks object");
    let types: Vec<&str> = domain::shared::WebhookEventType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(
        webhooks.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut sorted = types.clone();
            sorted.sort_unstable();
            sorted
        },
        "one webhook per event type, no other"
    );
    assert_eq!(WEBHOOK_EVENTS.len(), types.len());
    for (event_type, schema) in WEBHOOK_EVENTS {
        let op = &webhooks[event_type]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}")
        );
        let headers: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "header" && p["required"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
        let body = &doc["components"]["schemas"][schema];
        assert_eq!(body["additionalProperties"], false, "{schema}");
        if event_type == AUDIT_EVENT_TYPE {
            // One subscription for many types: `audit.` and a record's action.
            assert_eq!(
                body["properties"]["type"]["pattern"], r"^audit\.[a-z0-9_]+\.[a-z0-9_]+$",
                "{schema}"
            );
            continue;
        }
        assert_eq!(
            body["properties"]["type"]["enum"],
            json!([event_type]),
            "{schema}"
        );
        assert_eq!(
            doc["components"]["schemas"]["WebhookEvent"]["discriminator"]["mapping"][event_type],
            format!("#/components/schemas/{schema}")
        );
    }
    app.stop().await;
}

/// The receiver: scripts/webhook-check.py in the venv of scripts/webhook-tools.sh.
struct PyReceiver {
    url: String,
    control: String,
    child: tokio::process::Child,
}

impl PyReceiver {
    async fn start(openapi_url: &str) -> Self {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let tools = std::process::Command::new(root.join("scripts/webhook-tools.sh"))
            .arg("path")
            .current_dir(&root)
            .output()
            .expect("scripts/webhook-tools.sh runs");
        assert!(
            tools.status.success(),
            "scripts/webhook-tools.sh path failed (run make setup-test):\n{}",
            crate::common::stderr(&tools)
        );
        let bin = crate::common::stdout(&tools).trim().to_owned();
        let mut child = tokio::process::Command::new(format!("{bin}/python"))
            .arg("-u")
            .arg(root.join("scripts/webhook-check.py"))
            .arg(openapi_url)
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the receiver starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the receiver says where it listens within a minute")
            .unwrap()
            .expect("the receiver says where it listens");
        let said: Value = serde_json::from_str(&first).unwrap();
        let url = said["url"].as_str().unwrap().to_owned();
        let control = url.trim_end_matches("/hook").to_owned();
        Self {
            url,
            control,
            child,
        }
    }

    async fn secrets(&self, secrets: &[&str]) {
        let res = reqwest::Client::new()
            .put(format!("{}/control/secrets", self.control))
            .json(&json!({ "secrets": secrets }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn records(&self) -> Vec<Value> {
        let got: Value = reqwest::get(format!("{}/control/records", self.control))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        got["records"].as_array().unwrap().clone()
    }

    /// The records once there are `n` (or a minute has passed).
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.records().await;
            if got.len() >= n || started.elapsed() > Duration::from_secs(60) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        let _ = reqwest::Client::new()
            .post(format!("{}/control/stop", self.control))
            .send()
            .await;
        drop(self.child.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

async fn owner(w: &World) -> domain::accounts::Actor {
    actor_in(
        &w.app.state().db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap()
}

/// `end_user` connects (or reconnects) as the simulator's `username`: the connection id.
async fn connect_as(w: &World, end_user: &str, username: &str) -> String {
    let link = w.link(end_user, RETURN).await.unwrap();
    through_link_as(&link.url, username).await
}

/// Every delivery pinbridge recorded for the endpoint: event id → (status, attempts).
async fn deliveries(w: &World, endpoint: &str) -> BTreeMap<String, (String, i64)> {
    let rows: Vec<(String, String, i64)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as(
            "select v.id, d.status, d.attempts from webhook_deliveries d \
             join webhook_events v on v.seq = d.event_seq where d.endpoint_id = $1",
        )
        .bind(endpoint)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    rows.into_iter()
        .map(|(id, status, attempts)| (id, (status, attempts)))
        .collect()
}

/// The types the receiver acknowledged for one connection, in arrival order.
fn types_of(records: &[Value], connection: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["connection_id"] == connection && r["status"] == 200)
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_webhooks_library_verifies_and_the_schemas_validate_every_event() {
    if std::env::var("PINBRIDGE_WEBHOOK_CHECK").as_deref() != Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the webhook check must run: set PINBRIDGE_WEBHOOK_CHECK=1 (make test does)"
        );
        eprintln!(
            "skipped: set PINBRIDGE_WEBHOOK_CHECK=1 to verify webhooks with the Standard Webhooks library (make test does)"
        );
        return;
    }
    let started = Instant::now();
    let w = world_with(&["user_accounts:read", "boards:read", "pins:read"], &LOCAL).await;
    let receiver = PyReceiver::start(&w.app.url("/v1/openapi.json")).await;
    let actor = owner(&w).await;
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    // Every type but the audit stream, which has a test of its own below.
    let types: Vec<String> = domain::shared::WebhookEventType::SUBSCRIBABLE
        .iter()
        .filter(|t| **t != WebhookEventType::Audit)
        .map(|t| t.as_str().to_owned())
        .collect();
    let created = endpoints::create(
        w.app.state(),
        &actor,
        &env,
        EndpointInput::parse(&receiver.url, "Python receiver", &types, true, true).unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let endpoint = created.row.id.clone();
    let old = created.secret.expose().to_owned();
    receiver.secrets(&[&old]).await;
    for username in ["alice_pins", "alice_new", "bob_pins"] {
        sim_admin(
            &w.sim,
            reqwest::Method::POST,
            "/_sim/users",
            json!({ "username": username }),
        )
        .await;
    }
    let send_test = |endpoint: WebhookEndpointId| {
        let (services, actor, env) = (w.app.state(), actor.clone(), env.clone());
        async move {
            endpoints::send_test(services, &actor, &env, &endpoint, &RequestMeta::default())
                .await
                .unwrap()
        }
    };

    // Before the rotation: created, reauthorized (same account), a refresh
    // Pinterest refuses (state_changed and refresh_failed), a test event.
    let alice = connect_as(&w, "alice", "alice_pins").await;
    let bob = connect_as(&w, "bob", "bob_pins").await;
    assert_eq!(connect_as(&w, "alice", "alice_pins").await, alice);
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"client_id": APP_ID, "username": "bob_pins"}),
    )
    .await;
    let refused = tokens::refresh_now(w.app.state(), &row(&w.app, &bob).await)
        .await
        .unwrap();
    assert!(
        matches!(refused, Some(tokens::Refreshed::Rejected { .. })),
        "{refused:?}"
    );
    let first_test = send_test(endpoint.clone()).await;
    let before = receiver.wait_for(6).await;
    assert_eq!(before.len(), 6, "{before:#?}");

    // The rotation: from now on the new secret and the old one both sign.
    let new = endpoints::rotate_secret(
        w.app.state(),
        &actor,
        &env,
        &endpoint,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let new = new.secret.expose().to_owned();
    assert_ne!(new, old);
    receiver.secrets(&[&new, &old]).await;

    // After: alice reconnects as another account (reauthorized,
    // account_changed), a probe sees yet another account behind her token
    // (account_changed), bob reconnects (reauthorized, state_changed back to
    // active), alice is disconnected, and a test event.
    assert_eq!(connect_as(&w, "alice", "alice_new").await, alice);
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set account_id = '999', account_username = 'someone_else' where id = $1")
            .bind(&alice).execute(pool).await.map(|_| ())
    })
    .unwrap();
    let probed = health::check_now(w.app.state(), &row(&w.app, &alice).await)
        .await
        .unwrap()
        .expect("the probe ran");
    assert!(probed.account_changed);
    assert_eq!(connect_as(&w, "bob", "bob_pins").await, bob);
    portal::disconnect(
        &w.app.state().db,
        &actor,
        &ConnectionId::parse(&alice).unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let second_test = send_test(endpoint.clone()).await;
    let records = receiver.wait_for(13).await;
    // Nothing more arrives (no retry, no duplicate).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records_later = receiver.records().await;
    receiver.stop().await;
    assert_eq!(records.len(), records_later.len(), "{records_later:#?}");

    // Every request passed every check of the receiver, at the first attempt.
    for r in &records {
        assert_eq!(r["status"], 200, "{r:#}");
        assert_eq!(r["failures"], json!([]), "{r:#}");
        assert_eq!(r["schema_valid"], true, "{r:#}");
        assert_eq!(r["webhook_id"], r["id"], "{r:#}");
    }
    let (early, late) = records.split_at(6);
    for r in early {
        assert_eq!(r["signatures"], 1, "{r:#}");
        assert_eq!(r["verified"], json!([true]), "{r:#}");
    }
    for r in late {
        assert_eq!(r["signatures"], 2, "old and new secret sign: {r:#}");
        assert_eq!(r["verified"], json!([true, true]), "each on its own: {r:#}");
    }
    assert_eq!(
        types_of(&records, &alice),
        [
            "connection.created",
            "connection.reauthorized",
            "connection.reauthorized",
            "connection.account_changed",
            "connection.account_changed",
            "connection.disconnected",
        ]
    );
    assert_eq!(
        types_of(&records, &bob),
        [
            "connection.created",
            "connection.state_changed",
            "connection.refresh_failed",
            "connection.reauthorized",
            "connection.state_changed",
        ]
    );
    let tests: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "webhook.test")
        .collect();
    assert_eq!(tests.len(), 2);
    assert_eq!(tests[0]["id"], first_test.id.as_str());
    assert_eq!(tests[1]["id"], second_test.id.as_str());
    let seen: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    for t in domain::shared::WebhookEventType::ALL {
        if t != WebhookEventType::Audit {
            assert!(seen.contains(t.as_str()), "{} was sent", t.as_str());
        }
    }

    // pinbridge recorded the same events, each delivered once and succeeded.
    let recorded = deliveries(&w, endpoint.as_str()).await;
    assert_eq!(recorded.len(), records.len(), "{recorded:#?}");
    for r in &records {
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            recorded.get(id),
            Some(&("succeeded".to_owned(), 1)),
            "{id}: {recorded:#?}"
        );
    }

    // The payloads themselves, as stored and signed, are the API's wire types
    // exactly: each deserializes into `WebhookEvent` and serializes back the same.
    let payloads: Vec<(String,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select payload from webhook_events where environment_id = $1")
            .bind(&w.env_id)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    assert_eq!(payloads.len(), records.len());
    for (payload,) in &payloads {
        let value: Value = serde_json::from_str(payload).unwrap();
        let typed: WebhookEvent =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value:#}"));
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }
    let changed = payloads
        .iter()
        .map(|(p,)| serde_json::from_str::<Value>(p).unwrap())
        .find(|v| v["type"] == "connection.refresh_failed")
        .unwrap();
    assert_eq!(changed["data"]["connection"]["state"], "needs_reauth");
    assert_eq!(changed["data"]["connection"]["end_user_id"], "bob");
    eprintln!(
        "webhook-check: {} events verified and valid in {:.1} s ({:?})",
        records.len(),
        started.elapsed().as_secs_f64(),
        crate::common::backend()
    );
    w.stop().await;
}

/// The audit stream through the same receiver: an endpoint subscribed to
/// `audit.*` alone gets an operator's change to its environment and a
/// record of the workspace (an invitation, made in the portal), in the
/// order written; the Standard Webhooks library verifies each and the
/// document's schemas validate each; the payloads are [`AuditEvent`]s
/// exactly, each the record the log holds, and carry no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_stream_is_verified_and_valid_and_each_event_is_its_record() {
    if std::env::var("PINBRIDGE_WEBHOOK_CHECK").as_deref() != Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the webhook check must run: set PINBRIDGE_WEBHOOK_CHECK=1 (make test does)"
        );
        eprintln!(
            "skipped: set PINBRIDGE_WEBHOOK_CHECK=1 to check the audit stream (make test does)"
        );
        return;
    }
    let w = world_with(&["user_accounts:read", "boards:read", "pins:read"], &LOCAL).await;
    let receiver = PyReceiver::start(&w.app.url("/v1/openapi.json")).await;
    let actor = owner(&w).await;
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    let audit = [WebhookEventType::Audit.as_str().to_owned()];
    let input = |enabled| {
        EndpointInput::parse(&receiver.url, "Audit receiver", &audit, enabled, true).unwrap()
    };
    // Made switched off, so that its own record goes nowhere before the
    // receiver has the secret.
    let created = endpoints::create(
        w.app.state(),
        &actor,
        &env,
        input(false),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let endpoint = created.row.id.clone();
    receiver.secrets(&[created.secret.expose()]).await;
    // Switched on: `webhook.endpoint_changed`, a record of the environment.
    endpoints::update(
        w.app.state(),
        &actor,
        &env,
        &endpoint,
        input(true),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    // `member.invited`, a record of the workspace (no environment).
    let link = invite(&w.owner.browser, &w.ws, "auditor@acme.example", "viewer").await;
    let records = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records_later = receiver.records().await;
    receiver.stop().await;
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records_later.len(), 2, "nothing more: {records_later:#?}");
    for r in &records {
        assert_eq!(r["status"], 200, "{r:#}");
        assert_eq!(r["failures"], json!([]), "{r:#}");
        assert_eq!(r["schema_valid"], true, "{r:#}");
        assert_eq!(r["verified"], json!([true]), "{r:#}");
        assert_eq!(r["webhook_id"], r["id"], "{r:#}");
    }
    assert_eq!(
        records
            .iter()
            .map(|r| r["type"].clone())
            .collect::<Vec<_>>(),
        [
            json!("audit.webhook.endpoint_changed"),
            json!("audit.member.invited")
        ]
    );
    let recorded = deliveries(&w, endpoint.as_str()).await;
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    assert!(
        recorded.values().all(|d| d == &("succeeded".to_owned(), 1)),
        "{recorded:#?}"
    );

    // As stored and signed: the schema's type exactly, and the log's record.
    let payloads: Vec<(String, String)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as(
            "select event_type, payload from webhook_events where environment_id = $1 order by seq",
        )
        .bind(&w.env_id)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    assert_eq!(payloads.len(), 2);
    let mut events = Vec::new();
    for (event_type, payload) in &payloads {
        assert_eq!(event_type, AUDIT_EVENT_TYPE);
        assert!(
            !payload.contains(&token_of(&link)),
            "the invitation's token never leaves: {payload}"
        );
        let value: Value = serde_json::from_str(payload).unwrap();
        let typed: AuditEvent =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value:#}"));
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
        assert_eq!(typed.environment.id, w.env_id);
        let (seq, hash, prev_hash, environment_id): (i64, String, String, Option<String>) =
            domain::on_pool!(&w.app.state().db, pool => {
                sqlx::query_as(
                    "select seq, hash, prev_hash, environment_id from audit_events \
                     where id = $1 and workspace_id = $2",
                )
                .bind(&typed.data.id)
                .bind(&w.ws)
                .fetch_one(pool)
                .await
            })
            .unwrap();
        assert_eq!(
            (typed.data.seq, &typed.data.hash, &typed.data.prev_hash),
            (seq, &hash, &prev_hash)
        );
        assert_eq!(typed.data.environment_id, environment_id);
        assert_eq!(typed.event_type, format!("audit.{}", typed.data.action));
        events.push(typed);
    }
    let (changed, invited) = (&events[0].data, &events[1].data);
    assert_eq!(changed.environment_id.as_deref(), Some(w.env_id.as_str()));
    assert_eq!(
        changed.actor.operator_id.as_deref(),
        Some(w.owner.operator_id.as_str())
    );
    assert_eq!(changed.detail["enabled"], true);
    assert_eq!(invited.environment_id, None);
    assert_eq!(invited.target, "auditor@acme.example");
    assert!(invited.seq > changed.seq);
    w.stop().await;
}
