//! Webhook delivery against receivers that misbehave: 410 Gone, answers
//! that never come, endless or slow bodies, redirects, `Retry-After`; give-up
//! and the endpoint's flag; both signatures during a rotation; private
//! targets refused at save and at connect time; and the events refreshes and
//! probes write. Rounds of the worker are run by hand, so each step is seen.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use domain::accounts::{ConnectionId, RequestMeta, WebhookEndpointId};
use domain::connections::{ConnectionError, health, tokens};
use domain::crypto::SecretString;
use domain::db::repo::connections as connection_rows;
use domain::db::repo::webhooks::DeliveryRow;
use domain::shared::{DeliveryStatus, WebhookEventType};
use domain::webhooks::deliver::{self, RESPONSE_MAX};
use domain::webhooks::endpoints::{self, EndpointInput};
use domain::webhooks::{Runtime, WebhookPolicy};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{APP_ID, World, world};

/// What the receiver does with the next request.
#[derive(Clone, Debug)]
enum Answer {
    /// This status, these headers, this body.
    Status(u16, Vec<(&'static str, String)>, &'static str),
    /// 200 with a body of this many bytes.
    Huge(usize),
    /// This status, then a body that trickles a byte every 200 ms.
    Trickle(u16),
    /// Reads the request and never answers.
    Silent,
}

/// One request as the receiver read it.
#[derive(Clone, Debug)]
struct Request {
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A receiver on 127.0.0.1 written on a bare socket, so that it can answer
/// the way no well-behaved server would. It counts every connection made to
/// it, even one that sends no HTTP at all.
#[derive(Clone)]
struct Receiver {
    port: u16,
    answer: Arc<Mutex<Answer>>,
    got: Arc<Mutex<Vec<Request>>>,
    connections: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(answer: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let r = Self {
            port,
            answer: Arc::new(Mutex::new(answer)),
            got: Arc::default(),
            connections: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                *me.connections.lock().unwrap() += 1;
                tokio::spawn(me.clone().serve(socket));
            }
        });
        r
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/hook?token=receiver-query-secret",
            self.port
        )
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn got(&self) -> Vec<Request> {
        self.got.lock().unwrap().clone()
    }

    async fn serve(self, mut socket: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
        self.got.lock().unwrap().push(Request { headers, body });
        let answer = self.answer.lock().unwrap().clone();
        let _ = match answer {
            Answer::Status(status, extra, body) => {
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (n, v) in extra {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str("\r\n");
                socket.write_all(format!("{head}{body}").as_bytes()).await
            }
            Answer::Huge(size) => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let block = vec![b'x'; 64 * 1024];
                let mut left = size;
                while left > 0 {
                    let n = left.min(block.len());
                    if socket.write_all(&block[..n]).await.is_err() {
                        break;
                    }
                    left -= n;
                }
                Ok(())
            }
            Answer::Trickle(status) => {
                let head = format!("HTTP/1.1 {status} X\r\ncontent-length: 100000\r\n\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                for _ in 0..300 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if socket.write_all(b"y").await.is_err() {
                        break;
                    }
                }
                Ok(())
            }
            Answer::Silent => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            }
        };
    }
}

fn ok() -> Answer {
    Answer::Status(200, vec![], "ok")
}

/// Delivers the way `policy` says, with a client built for it.
fn with_policy(w: &mut World, policy: WebhookPolicy) {
    let mut config = (*w.services.config).clone();
    config.webhooks = policy;
    w.services.config = Arc::new(config);
    w.services.webhooks = Arc::new(Runtime::new(&policy));
}

/// Short attempts and quick retries, to receivers on 127.0.0.1.
fn local_policy() -> WebhookPolicy {
    WebhookPolicy {
        timeout: Duration::from_millis(1_000),
        ..domain::testing::webhook_policy()
    }
}

fn all_types() -> Vec<String> {
    WebhookEventType::SUBSCRIBABLE
        .iter()
        // The audit stream is its own subscription (see audit_chain.rs).
        .filter(|t| **t != WebhookEventType::Audit)
        .map(|t| t.as_str().to_owned())
        .collect()
}

async fn add_endpoint(w: &World, url: &str) -> (WebhookEndpointId, SecretString) {
    let allow = w.services.config.webhooks.allow_private;
    let input = EndpointInput::parse(url, "receiver", &all_types(), true, allow).unwrap();
    let created = endpoints::create(
        &w.services,
        &w.actor,
        &w.env,
        input,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    (created.row.id, created.secret)
}

async fn endpoint(w: &World, id: &WebhookEndpointId) -> endpoints::EndpointSummary {
    endpoints::find(&w.services, &w.actor, &w.env, id)
        .await
        .unwrap()
}

async fn log(w: &World, id: &WebhookEndpointId) -> Vec<DeliveryRow> {
    endpoints::deliveries(&w.services, &w.actor, &w.env, id, None, None)
        .await
        .unwrap()
}

async fn send_test(w: &World, id: &WebhookEndpointId) {
    endpoints::send_test(&w.services, &w.actor, &w.env, id, &RequestMeta::default())
        .await
        .unwrap();
}

/// Runs rounds until `done` holds, for at most `within`.
async fn rounds_until<F, Fut>(w: &World, within: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        deliver::round(&w.services).await.unwrap();
        if done().await {
            return;
        }
        assert!(started.elapsed() < within, "not done within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Standard Webhooks signature, computed here from the specification.
fn signature(secret: &SecretString, id: &str, timestamp: &str, body: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.expose().strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", b64.encode(mac.finalize().into_bytes()))
}

fn signed_with(r: &Request, secret: &SecretString) -> bool {
    let expected = signature(
        secret,
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        &r.body,
    );
    r.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

async fn audit(w: &World) -> Vec<(String, String, String)> {
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query_as::<_, (String, String, String)>(
            "select action, target, detail from audit_events order by created_at, id",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

#[tokio::test]
async fn a_receiver_answering_410_switches_its_endpoint_off_and_no_other() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let gone = Receiver::start(Answer::Status(410, vec![], "gone")).await;
    let fine = Receiver::start(ok()).await;
    let (gone_id, _) = add_endpoint(&w, &gone.url()).await;
    let (fine_id, _) = add_endpoint(&w, &fine.url()).await;
    w.connect("user-1").await;
    deliver::round(&w.services).await.unwrap();
    assert_eq!(gone.got().len(), 1);
    assert_eq!(fine.got().len(), 1);

    let off = endpoint(&w, &gone_id).await;
    assert!(!off.row.enabled, "410 switches the endpoint off");
    let reason = off.row.disabled_reason.unwrap();
    assert!(reason.contains("410 Gone"), "{reason}");
    assert_eq!(log(&w, &gone_id).await[0].status, DeliveryStatus::Failed);
    assert!(endpoint(&w, &fine_id).await.row.enabled);
    let disabled: Vec<_> = audit(&w)
        .await
        .into_iter()
        .filter(|(action, ..)| action == "webhook.endpoint_disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "audited once");
    assert!(disabled[0].2.contains(gone_id.as_str()));
    assert!(
        !disabled[0].1.contains("receiver-query-secret"),
        "the URL is recorded without its query: {}",
        disabled[0].1
    );

    // Later events go to the endpoint still on, and nothing to the one off.
    w.connect("user-2").await;
    deliver::round(&w.services).await.unwrap();
    assert_eq!(fine.got().len(), 2);
    assert_eq!(gone.got().len(), 1);
    assert_eq!(log(&w, &gone_id).await.len(), 1, "no delivery was queued");
    w.stop().await;
}

#[tokio::test]
async fn a_delivery_retried_past_its_window_fails_and_flags_the_endpoint_until_a_success() {
    let mut w = world().await;
    with_policy(
        &mut w,
        WebhookPolicy {
            retry_for: Duration::from_millis(1_500),
            backoff_base: Duration::from_millis(100),
            ..local_policy()
        },
    );
    let receiver = Receiver::start(Answer::Status(500, vec![], "down")).await;
    let (id, _) = add_endpoint(&w, &receiver.url()).await;
    send_test(&w, &id).await;
    rounds_until(&w, Duration::from_secs(15), || async {
        log(&w, &id).await[0].status == DeliveryStatus::Failed
    })
    .await;
    let failed = &log(&w, &id).await[0];
    assert!(
        failed.attempts >= 3,
        "retried: {} attempts",
        failed.attempts
    );
    assert_eq!(failed.last_status, Some(500));
    assert_eq!(receiver.got().len() as i64, failed.attempts);
    let flagged = endpoint(&w, &id).await;
    assert!(flagged.row.flagged_at.is_some(), "given up: flagged");
    let reason = flagged.row.flag_reason.clone().unwrap();
    assert!(reason.contains("HTTP 500"), "{reason}");
    assert_eq!((flagged.pending, flagged.failed), (0, 1));
    // Nothing more is tried.
    deliver::round(&w.services).await.unwrap();
    assert_eq!(receiver.got().len() as i64, failed.attempts);

    // The receiver is back: the next delivery succeeds and clears the flag,
    // and the failed one can be sent again.
    receiver.set(ok());
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let cleared = endpoint(&w, &id).await;
    assert!(cleared.row.flagged_at.is_none() && cleared.row.flag_reason.is_none());
    endpoints::redeliver(
        &w.services,
        &w.actor,
        &w.env,
        &id,
        &failed.id,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    deliver::round(&w.services).await.unwrap();
    // The failed delivery stays in the log; its event was delivered since, so
    // it no longer counts as failed.
    let statuses: Vec<_> = log(&w, &id).await.iter().map(|d| d.status).collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Succeeded,
            DeliveryStatus::Succeeded,
            DeliveryStatus::Failed
        ]
    );
    let now = endpoint(&w, &id).await;
    assert_eq!((now.pending, now.failed), (0, 0));
    w.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured_and_redirects_are_not_followed() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let busy = Receiver::start(Answer::Status(
        503,
        vec![("retry-after", "7".into())],
        "busy",
    ))
    .await;
    let (busy_id, _) = add_endpoint(&w, &busy.url()).await;
    send_test(&w, &busy_id).await;
    deliver::round(&w.services).await.unwrap();
    let d = &log(&w, &busy_id).await[0];
    assert_eq!(d.status, DeliveryStatus::Pending);
    let waits = d.next_attempt_at - d.last_attempt_at.unwrap();
    assert!(
        (7_000..8_000).contains(&waits),
        "waits as asked, not the 100 ms backoff: {waits} ms"
    );
    deliver::round(&w.services).await.unwrap();
    assert_eq!(busy.got().len(), 1, "not retried before then");

    let elsewhere = Receiver::start(ok()).await;
    let moved = Receiver::start(Answer::Status(302, vec![("location", elsewhere.url())], "")).await;
    let (moved_id, _) = add_endpoint(&w, &moved.url()).await;
    send_test(&w, &moved_id).await;
    deliver::round(&w.services).await.unwrap();
    let d = &log(&w, &moved_id).await[0];
    assert_eq!(moved.got().len(), 1);
    assert_eq!(*elsewhere.connections.lock().unwrap(), 0, "not followed");
    assert_eq!(
        d.status,
        DeliveryStatus::Pending,
        "a failed attempt, retried"
    );
    assert_eq!(d.last_status, Some(302));
    let error = d.last_error.clone().unwrap();
    assert!(error.contains("follows no redirects"), "{error}");
    w.stop().await;
}

#[tokio::test]
async fn endless_slow_and_missing_answers_are_cut_short_and_hold_nothing_up() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let receiver = Receiver::start(Answer::Huge(50 * 1024 * 1024)).await;
    let (id, _) = add_endpoint(&w, &receiver.url()).await;

    // 50 MB of answer: read up to 4 KB, kept, and the delivery succeeds.
    send_test(&w, &id).await;
    let started = Instant::now();
    deliver::round(&w.services).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    let d = &log(&w, &id).await[0];
    assert_eq!(d.status, DeliveryStatus::Succeeded);
    let excerpt = d.response_excerpt.clone().unwrap();
    assert!(excerpt.len() <= RESPONSE_MAX && excerpt.len() > 1_000);

    // An error whose body trickles in, and a receiver that never answers:
    // each attempt ends at the 1 s timeout and is recorded as failed.
    for (answer, words) in [
        (Answer::Trickle(500), "cut short"),
        (Answer::Silent, "No answer within 1 seconds"),
    ] {
        receiver.set(answer);
        send_test(&w, &id).await;
        let started = Instant::now();
        deliver::round(&w.services).await.unwrap();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(3),
            "{took:?}"
        );
        let d = &log(&w, &id).await[0];
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert!(d.attempts == 1 && d.last_attempt_at.is_some());
        let error = d.last_error.clone().unwrap_or_default();
        assert!(error.contains(words), "{words}: {error:?}");
        assert!(d.last_latency_ms.is_some());
    }

    // The receiver recovers; both waiting deliveries go out (they are events
    // of no connection, so neither waits for the other).
    receiver.set(ok());
    rounds_until(&w, Duration::from_secs(20), || async {
        log(&w, &id)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Succeeded)
    })
    .await;
    w.stop().await;
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day_then_stops() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let receiver = Receiver::start(ok()).await;
    let (id, old) = add_endpoint(&w, &receiver.url()).await;
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let first = &receiver.got()[0];
    assert!(signed_with(first, &old));
    assert_eq!(first.header("webhook-signature").split(' ').count(), 1);

    let new = endpoints::rotate_secret(&w.services, &w.actor, &w.env, &id, &RequestMeta::default())
        .await
        .unwrap();
    let (row, new) = (new.row, new.secret);
    assert_eq!(row, endpoint(&w, &id).await.row, "as stored");
    assert_ne!(new.expose(), old.expose());
    assert!(new.expose().starts_with("whsec_"));
    let keeps = row.previous_secret_until.unwrap() - row.updated_at;
    assert!((86_000_000..=86_400_000).contains(&keeps), "{keeps}");
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let second = &receiver.got()[1];
    assert_eq!(second.header("webhook-signature").split(' ').count(), 2);
    assert!(signed_with(second, &new), "the new secret verifies");
    assert!(signed_with(second, &old), "and so does the old one");

    // A day later, only the new secret signs.
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query("update webhook_endpoints set previous_secret_until = $1 where id = $2")
            .bind(domain::db::now_ms() - 1)
            .bind(&id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let third = &receiver.got()[2];
    assert_eq!(third.header("webhook-signature").split(' ').count(), 1);
    assert!(signed_with(third, &new) && !signed_with(third, &old));

    // No secret, old or new, is in the audit log.
    for (action, target, detail) in audit(&w).await {
        for secret in [&old, &new] {
            assert!(
                !target.contains(secret.expose()) && !detail.contains(secret.expose()),
                "{action}"
            );
        }
        assert!(!detail.contains("whsec_"), "{action}: {detail}");
    }
    w.stop().await;
}

#[tokio::test]
async fn private_targets_are_refused_when_saved_and_when_connecting_unless_allowed() {
    let mut w = world().await;
    let receiver = Receiver::start(ok()).await;
    // Saved while the installation allowed private targets…
    with_policy(&mut w, local_policy());
    let (id, _) = add_endpoint(&w, &receiver.url()).await;

    // …which it no longer does.
    with_policy(
        &mut w,
        WebhookPolicy {
            allow_private: false,
            ..local_policy()
        },
    );
    let refused = |url: &str| EndpointInput::parse(url, "", &all_types(), true, false);
    for url in [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "http://example.com/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ] {
        match refused(url) {
            Err(ConnectionError::Invalid { field, message }) => {
                assert_eq!(field, endpoints::URL_FIELD, "{url}");
                assert!(message.len() > 20, "{url}: {message}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // A name that resolves to 127.0.0.1 parses, but is refused when saved.
    let input = refused("https://localhost:4443/hook").unwrap();
    let e = endpoints::create(
        &w.services,
        &w.actor,
        &w.env,
        input,
        &RequestMeta::default(),
    )
    .await
    .expect_err("localhost is private");
    let said = format!("{e:?}");
    assert!(said.contains("127.0.0.1") || said.contains("::1"), "{said}");
    assert_eq!(
        endpoints::list(&w.services, &w.actor, &w.env)
            .await
            .unwrap()
            .len(),
        1,
        "nothing was saved"
    );

    // At connect time: the literal address, then a name that now resolves to
    // loopback (as after DNS rebinding). No connection reaches the receiver.
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let d = &log(&w, &id).await[0];
    assert_eq!(d.status, DeliveryStatus::Pending);
    let error = d.last_error.clone().unwrap();
    assert!(error.starts_with("Not sent"), "{error}");
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query("update webhook_endpoints set url = $1 where id = $2")
            .bind(format!("https://localhost:{}/hook", receiver.port))
            .bind(&id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query("update webhook_deliveries set next_attempt_at = 0")
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    deliver::round(&w.services).await.unwrap();
    let d = &log(&w, &id).await[0];
    assert_eq!(d.attempts, 2);
    let error = d.last_error.clone().unwrap();
    assert!(
        error.contains("127.0.0.1") || error.contains("::1"),
        "{error}"
    );
    assert_eq!(*receiver.connections.lock().unwrap(), 0, "never connected");
    w.stop().await;
}

/// The events the receiver acknowledged, as JSON, in order.
fn events(r: &Receiver) -> Vec<Value> {
    r.got()
        .iter()
        .map(|q| serde_json::from_str(&q.body).unwrap())
        .collect()
}

async fn row(w: &World, id: &ConnectionId) -> connection_rows::ConnectionRow {
    connection_rows::find(&w.services.db, w.actor.workspace_id(), id)
        .await
        .unwrap()
        .unwrap()
}

async fn sim(w: &World, method: reqwest::Method, path: &str, body: Value) {
    let reply = reqwest::Client::new()
        .request(method, format!("{}{path}", w.sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "{path}: {}", reply.status());
}

#[tokio::test]
async fn probes_and_refreshes_write_state_account_and_refresh_failure_events() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let receiver = Receiver::start(ok()).await;
    let (endpoint_id, _) = add_endpoint(&w, &receiver.url()).await;
    let id = w.connect("user-1").await.connection_id;

    // Pinterest fails the probe: degraded; then recovers: active again.
    sim(
        &w,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/user_account"]}),
    )
    .await;
    health::check_now(&w.services, &row(&w, &id).await)
        .await
        .unwrap();
    sim(&w, reqwest::Method::DELETE, "/_sim/faults", json!({})).await;
    health::check_now(&w.services, &row(&w, &id).await)
        .await
        .unwrap();

    // Another account behind the token: said once, however many probes see it.
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query("update connections set account_id = '999' where id = $1")
            .bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    for _ in 0..2 {
        health::check_now(&w.services, &row(&w, &id).await)
            .await
            .unwrap();
    }

    // Pinterest fails refreshes until pinbridge stops retrying.
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query("update connections set refresh_failures = $1 where id = $2")
            .bind(tokens::GIVE_UP_AFTER - 1).bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    sim(
        &w,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/oauth/token"]}),
    )
    .await;
    tokens::refresh_now(&w.services, &row(&w, &id).await)
        .await
        .unwrap();
    sim(&w, reqwest::Method::DELETE, "/_sim/faults", json!({})).await;

    // The user revokes access at Pinterest: the refresh token is refused.
    sim(
        &w,
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"client_id": APP_ID, "username": "demo_pinner"}),
    )
    .await;
    tokens::refresh_now(&w.services, &row(&w, &id).await)
        .await
        .unwrap();

    // One at a time: each event of the connection waits for the one before.
    rounds_until(&w, Duration::from_secs(20), || async {
        log(&w, &endpoint_id)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Succeeded)
    })
    .await;
    let got = events(&receiver);
    let kinds: Vec<String> = got
        .iter()
        .map(|e| {
            let t = e["type"].as_str().unwrap();
            match t {
                "connection.state_changed" => format!(
                    "{t} {}->{}",
                    e["data"]["previous_state"].as_str().unwrap(),
                    e["data"]["state"].as_str().unwrap()
                ),
                _ => t.to_owned(),
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "connection.created",
            "connection.state_changed active->degraded",
            "connection.state_changed degraded->active",
            "connection.account_changed",
            "connection.state_changed active->degraded",
            "connection.refresh_failed",
            "connection.state_changed degraded->needs_reauth",
            "connection.refresh_failed",
        ],
        "{got:#?}"
    );
    let changed = &got[3]["data"];
    assert_eq!(changed["previous_account"]["id"], "999");
    assert_ne!(changed["account"]["id"], "999");
    assert_eq!(got[5]["data"]["failures"], tokens::GIVE_UP_AFTER);
    assert!(got[7]["data"]["reason"].as_str().unwrap().len() > 5);
    for e in &got {
        assert_eq!(e["data"]["connection"]["id"], id.as_str());
        assert_eq!(e["data"]["connection"]["end_user_id"], "user-1");
        let text = e.to_string();
        assert!(!text.contains("access_token") && !text.contains("refresh_token"));
    }
    w.stop().await;
}

#[tokio::test]
async fn another_workspace_or_environment_never_reaches_an_endpoint() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    let receiver = Receiver::start(ok()).await;
    let (id, _) = add_endpoint(&w, &receiver.url()).await;
    send_test(&w, &id).await;
    deliver::round(&w.services).await.unwrap();
    let delivery = log(&w, &id).await[0].id.clone();

    // The same operator owns a second workspace; and the first has a
    // Production environment. Neither reaches the endpoint by its id.
    let db = &w.services.db;
    let other_ws = domain::accounts::workspaces::create(
        db,
        w.actor.operator_id(),
        "Owner",
        &domain::accounts::WorkspaceName::parse("Globex").unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let other = domain::accounts::actor_in(db, &other_ws, w.actor.operator_id())
        .await
        .unwrap();
    let other_env = domain::accounts::environments::list(db, &other)
        .await
        .unwrap()[0]
        .id
        .clone();
    let production = domain::accounts::environments::list(db, &w.actor)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.id != w.env)
        .unwrap()
        .id;
    let meta = RequestMeta::default();
    let input =
        || EndpointInput::parse("http://127.0.0.1:9/x", "", &all_types(), true, true).unwrap();
    for (actor, env) in [
        (&other, &other_env),
        (&other, &w.env),
        (&w.actor, &production),
    ] {
        let s = &w.services;
        let not_found = |r: Result<(), ConnectionError>| {
            assert!(matches!(r, Err(ConnectionError::NotFound)), "{r:?}");
        };
        not_found(endpoints::find(s, actor, env, &id).await.map(|_| ()));
        not_found(endpoints::update(s, actor, env, &id, input(), &meta).await);
        not_found(
            endpoints::rotate_secret(s, actor, env, &id, &meta)
                .await
                .map(|_| ()),
        );
        not_found(
            endpoints::send_test(s, actor, env, &id, &meta)
                .await
                .map(|_| ()),
        );
        not_found(
            endpoints::deliveries(s, actor, env, &id, None, None)
                .await
                .map(|_| ()),
        );
        not_found(endpoints::redeliver(s, actor, env, &id, &delivery, &meta).await);
        not_found(
            endpoints::replay_failed_since(s, actor, env, &id, 0, &meta)
                .await
                .map(|_| ()),
        );
        not_found(
            endpoints::delete(s, actor, env, &id, &meta)
                .await
                .map(|_| ()),
        );
    }
    // Another workspace cannot list or add endpoints in this environment.
    assert!(matches!(
        endpoints::list(&w.services, &other, &w.env).await,
        Err(ConnectionError::NotFound)
    ));
    assert!(matches!(
        endpoints::create(&w.services, &other, &w.env, input(), &meta).await,
        Err(ConnectionError::NotFound)
    ));
    // Untouched: still there, same secret, one delivery, nothing sent again.
    let row = endpoint(&w, &id).await.row;
    assert!(row.previous_secret.is_none() && row.url.starts_with("http://127.0.0.1"));
    assert_eq!(log(&w, &id).await.len(), 1);
    assert_eq!(receiver.got().len(), 1);
    w.stop().await;
}

#[tokio::test]
async fn an_environment_holds_at_most_ten_endpoints() {
    let mut w = world().await;
    with_policy(&mut w, local_policy());
    for n in 0..endpoints::ENDPOINTS_MAX {
        add_endpoint(&w, &format!("http://127.0.0.1:9/hook/{n}")).await;
    }
    let input =
        EndpointInput::parse("http://127.0.0.1:9/one-more", "", &all_types(), true, true).unwrap();
    let refused = endpoints::create(
        &w.services,
        &w.actor,
        &w.env,
        input,
        &RequestMeta::default(),
    )
    .await
    .expect_err("an eleventh");
    assert!(
        matches!(&refused, ConnectionError::Refused(m) if m.contains("already has 10")),
        "{refused:?}"
    );
    let listed = endpoints::list(&w.services, &w.actor, &w.env)
        .await
        .unwrap();
    assert_eq!(listed.len() as i64, endpoints::ENDPOINTS_MAX);
    let created = audit(&w)
        .await
        .iter()
        .filter(|(a, ..)| a == "webhook.endpoint_created")
        .count();
    assert_eq!(
        created as i64,
        endpoints::ENDPOINTS_MAX,
        "the refusal wrote nothing"
    );
    w.stop().await;
}

#[tokio::test]
async fn the_worker_sends_past_a_receiver_that_never_answers() {
    let mut w = world().await;
    with_policy(
        &mut w,
        WebhookPolicy {
            timeout: Duration::from_secs(8),
            ..local_policy()
        },
    );
    let silent = Receiver::start(Answer::Silent).await;
    let fine = Receiver::start(ok()).await;
    let (silent_id, _) = add_endpoint(&w, &silent.url()).await;
    let (fine_id, _) = add_endpoint(&w, &fine.url()).await;
    let worker = tokio::spawn(deliver::run(w.services.clone()));
    send_test(&w, &silent_id).await;
    let started = Instant::now();
    while silent.got().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(5), "never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The silent receiver holds its attempt for 8 s; the other endpoint's
    // event, written after that attempt began, goes out meanwhile.
    send_test(&w, &fine_id).await;
    let started = Instant::now();
    while fine.got().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "held up behind the silent receiver"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(log(&w, &silent_id).await[0].attempts, 0, "still in flight");
    worker.abort();
    w.stop().await;
}
