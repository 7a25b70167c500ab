//! The portal's Webhooks pages over HTTP, as their forms use them with and
//! without JavaScript: an endpoint's signing secret is shown once and never
//! again (not in pages, the session store, the audit log or the logs); bad
//! input is refused at its field and stores nothing; at most 10 endpoints;
//! viewers are refused and other tenants' endpoints are not found; editing,
//! switching off, rotating and deleting; a test event reaches a receiver on
//! 127.0.0.1 and shows in the delivery log, which filters, pages, redelivers
//! and replays. Both backends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::errors::AppError;
use app::models::{EndpointState, IssuedSecret, WebhookPageView, WebhooksPageView};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use domain::accounts::{OperatorId, RequestMeta, WebhookEndpointId, actor_in};
use domain::crypto::SecretString;
use domain::shared::DeliveryStatus;
use reqwest::StatusCode;

use super::api_keys_portal::{Env, development};
use crate::common::TestApp;
use crate::common::portal::{Browser, join, provision, set_up};

/// An installation whose receivers live on 127.0.0.1, retrying within seconds.
const LOCAL: [&str; 4] = [
    "--webhooks-allow-private",
    "--webhook-test-timing",
    "--webhook-timeout-ms",
    "1000",
];
const ALL_TYPES: [&str; 6] = [
    "connection.created",
    "connection.reauthorized",
    "connection.state_changed",
    "connection.account_changed",
    "connection.disconnected",
    "connection.refresh_failed",
];

/// A receiver on 127.0.0.1 that answers every request with the status and
/// body it is set to, and keeps what it got.
#[derive(Clone)]
struct Receiver {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start() -> Self {
        let answer = Arc::new(Mutex::new((200, "ok".to_owned())));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (a, g) = (answer.clone(), got.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (a, g) = (a.clone(), g.clone());
                async move {
                    g.lock().unwrap().push((headers, body));
                    let (status, text) = a.lock().unwrap().clone();
                    (AxumStatus::from_u16(status).unwrap(), text)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, answer, got }
    }

    fn answer(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned());
    }

    fn received(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().unwrap().clone()
    }
}

fn webhooks_page(env: &Env) -> String {
    env.path("webhooks")
}

async fn list(browser: &Browser, env: &Env) -> Result<WebhooksPageView, AppError> {
    browser
        .call(
            "webhooks/view",
            &[("workspace", &env.ws), ("environment", &env.slug)],
        )
        .await
}

async fn endpoint_page(
    browser: &Browser,
    env: &Env,
    id: &str,
    status: &str,
    before: &str,
) -> Result<WebhookPageView, AppError> {
    browser
        .call(
            "webhook/view",
            &[
                ("workspace", &env.ws),
                ("environment", &env.slug),
                ("endpoint", id),
                ("status", status),
                ("before", before),
            ],
        )
        .await
}

/// The endpoint form's fields.
fn endpoint_form<'a>(
    env: &'a Env,
    url: &'a str,
    description: &'a str,
    types: &[&'a str],
    enabled: bool,
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("workspace", env.ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("url", url),
        ("description", description),
    ];
    form.extend(types.iter().map(|t| ("event_types[]", *t)));
    if enabled {
        form.push(("enabled", "on"));
    }
    form
}

async fn create(
    browser: &Browser,
    env: &Env,
    url: &str,
    description: &str,
    types: &[&str],
) -> Result<IssuedSecret, AppError> {
    browser
        .call(
            "webhooks/create",
            &endpoint_form(env, url, description, types, true),
        )
        .await
}

/// Calls one of an endpoint's forms (`webhook/…`) with JavaScript.
async fn act<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    endpoint: &str,
    env: &Env,
    id: &str,
    extra: &[(&str, &str)],
) -> Result<T, AppError> {
    let mut form = vec![
        ("workspace", env.ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("endpoint_id", id),
    ];
    form.extend_from_slice(extra);
    browser.call(endpoint, &form).await
}

/// The secret a page shows in its "shown once" box, if any.
fn shown_secret(html: &str) -> Option<String> {
    let start = html.find(r#"data-field="issued-secret-text""#)?;
    let rest = &html[start..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(rest[..rest.find('<')?].to_owned())
}

async fn sessions_hold(app: &TestApp, text: &str) -> bool {
    let sessions: Vec<Vec<u8>> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select data from sessions").fetch_all(pool).await
    })
    .unwrap();
    sessions
        .iter()
        .any(|data| String::from_utf8_lossy(data).contains(text))
}

/// Every audit entry of the workspace, as text.
async fn audit_text(browser: &Browser, ws: &str) -> String {
    let audit: serde_json::Value = browser
        .call("audit/list", &[("workspace", ws)])
        .await
        .unwrap();
    audit.to_string()
}

/// Waits until the endpoint's log shows `count` deliveries of `status`.
async fn wait_for(
    browser: &Browser,
    env: &Env,
    id: &str,
    status: DeliveryStatus,
    count: usize,
) -> WebhookPageView {
    let started = Instant::now();
    loop {
        let view = endpoint_page(browser, env, id, status.as_str(), "")
            .await
            .unwrap();
        if view.deliveries.len() >= count || started.elapsed() > Duration::from_secs(15) {
            assert_eq!(view.deliveries.len(), count, "{status}: {view:#?}");
            // Read again: the endpoint and its counts are read before the log,
            // so the first read may predate the attempt it shows.
            return endpoint_page(browser, env, id, status.as_str(), "")
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn verify(headers: &HeaderMap, body: &str, secret: &str) -> bool {
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    let expected = domain::webhooks::signing::sign(
        &SecretString::new(secret.to_owned()),
        &header("webhook-id"),
        ts,
        body.as_bytes(),
    )
    .unwrap();
    header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

#[tokio::test]
async fn without_javascript_an_endpoint_is_added_its_secret_shown_once_and_a_test_event_arrives() {
    crate::common::logs::captured();
    let app = TestApp::spawn_with(&LOCAL).await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    let receiver = Receiver::start().await;
    let page = webhooks_page(&env);

    let empty = owner.browser.page(&page).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains(r#"data-field="no-endpoints""#));
    assert!(
        empty.body.contains(r#"data-field="private-targets""#),
        "this installation allows private targets and says so"
    );
    assert!(
        empty.body.contains(&format!(r#"href="{page}""#)),
        "the navigation leads here"
    );

    let answer = owner
        .browser
        .plain_post(
            "webhooks/create",
            &page,
            &endpoint_form(
                &env,
                &receiver.url,
                "Billing backend",
                &["connection.created", "connection.disconnected"],
                true,
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = answer.location().to_owned();
    assert!(!location.contains("__err="), "{location}");
    let first = owner.browser.page(&location).await;
    let secret = shown_secret(&first.body).expect("the secret is shown");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(first.body.contains("will not be shown again"));
    assert!(first.body.contains("Billing backend"));

    // Listed with what it sends and its (empty) counts.
    let view = list(&owner.browser, &env).await.unwrap();
    assert!(view.limits.allow_private);
    assert_eq!(view.issued, None, "a later call does not show it again");
    let [endpoint] = view.endpoints.as_slice() else {
        panic!("{view:?}")
    };
    assert_eq!(endpoint.url, receiver.url);
    assert_eq!(endpoint.description, "Billing backend");
    assert_eq!(
        endpoint
            .event_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
        ["connection.created", "connection.disconnected"]
    );
    assert_eq!(endpoint.state(), EndpointState::Enabled);
    assert_eq!((endpoint.pending, endpoint.failed), (0, 0));

    // A reload, and the endpoint's own page, never show it again.
    let second = owner.browser.page(&location).await;
    assert_eq!(shown_secret(&second.body), None);
    assert!(!second.body.contains("whsec_"));
    let detail = owner.browser.page(&format!("{page}/{}", endpoint.id)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.body.contains("whsec_"));
    assert!(detail.body.contains(r#"data-field="private-targets""#));

    // "Send test event" without JavaScript: said on the next page, and the
    // receiver gets it signed with the secret shown.
    let detail_path = format!("{page}/{}", endpoint.id);
    let sent = owner
        .browser
        .plain_post(
            "webhook/test",
            &detail_path,
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("endpoint_id", &endpoint.id),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::FOUND);
    let said = owner.browser.page(sent.location()).await;
    assert!(said.body.contains("Test event"), "{}", said.body);
    let log = wait_for(
        &owner.browser,
        &env,
        &endpoint.id,
        DeliveryStatus::Succeeded,
        1,
    )
    .await;
    let delivery = &log.deliveries[0];
    assert_eq!(delivery.event_type.as_str(), "webhook.test");
    assert_eq!(delivery.attempts, 1);
    assert_eq!(delivery.last_status, Some(200));
    assert!(delivery.last_latency_ms.is_some());
    let [(headers, body)] = receiver.received().try_into().unwrap();
    assert!(
        verify(&headers, &body, &secret),
        "signed with the secret shown"
    );
    assert!(body.contains(&delivery.event_id), "{body}");
    let with_log = owner.browser.page(&detail_path).await;
    assert!(with_log.body.contains("webhook.test"));
    assert!(with_log.body.contains("HTTP 200"));
    assert!(with_log.body.contains(&delivery.event_id));

    // Nowhere else: not in the session store, the audit log or the logs.
    assert!(!sessions_hold(&app, &secret).await);
    assert!(!sessions_hold(&app, "whsec_").await);
    let audit = audit_text(&owner.browser, &env.ws).await;
    assert!(audit.contains("webhook"), "{audit}");
    assert!(!audit.contains("whsec_"), "{audit}");
    assert!(!answer.body.contains(&secret), "nor the redirect's body");
    // (The prefix itself is in the migrations' comments, which sqlx logs.)
    assert!(!crate::common::logs::captured().contains(&secret));
    let bodies = owner.browser.bodies();
    assert_eq!(
        bodies.iter().filter(|b| b.contains("whsec_")).count(),
        1,
        "only the page load after the post"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_at_its_field_keeps_what_was_typed_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let long = "d".repeat(201);
    let cases: [(&str, &str, &[&str], &str, &str); 7] = [
        ("not a url", "", &ALL_TYPES, "url", "is not a URL"),
        ("", "", &ALL_TYPES, "url", "The URL is required"),
        (
            "http://hooks.example/in",
            "",
            &ALL_TYPES,
            "url",
            "must start with https://",
        ),
        (
            "https://127.0.0.1/in",
            "",
            &ALL_TYPES,
            "url",
            "pinbridge sends webhooks only to public addresses",
        ),
        (
            "https://10.1.2.3/in",
            "",
            &ALL_TYPES,
            "url",
            "pinbridge sends webhooks only to public addresses",
        ),
        (
            "https://hooks.example/in",
            "",
            &[],
            "event_types",
            "Choose at least one event type",
        ),
        (
            "https://hooks.example/in",
            &long,
            &ALL_TYPES,
            "description",
            "at most 200",
        ),
    ];
    for (url, description, types, field, message) in cases {
        let err = create(b, &env, url, description, types).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{url}: {err:?}");
        assert!(
            err.to_string().contains(message),
            "{url}: {err} (wanted {message})"
        );
    }
    let unknown = create(b, &env, "https://hooks.example/in", "", &["pin.created"])
        .await
        .unwrap_err();
    assert_eq!(unknown.field(), Some("event_types"));
    let view = list(b, &env).await.unwrap();
    assert!(view.endpoints.is_empty(), "nothing stored");
    assert!(!view.limits.allow_private);

    // Without JavaScript: the error at its field, what was typed kept.
    let page = webhooks_page(&env);
    let html = b.page(&page).await;
    assert!(
        !html.body.contains(r#"data-field="private-targets""#),
        "no note where private targets are refused"
    );
    let refused = b
        .plain_post(
            "webhooks/create",
            &page,
            &endpoint_form(
                &env,
                "http://hooks.example/in",
                "Kept description",
                &["connection.state_changed"],
                false,
            ),
        )
        .await;
    let location = refused.location().to_owned();
    assert!(location.contains("__err="), "{location}");
    let shown = b.page(&location).await;
    assert!(shown.body.contains("must start with https://"));
    assert!(shown.body.contains(r#"value="http://hooks.example/in""#));
    assert!(shown.body.contains(r#"value="Kept description""#));
    let checked = |id: &str| {
        let at = shown.body.find(&format!(r#"id="{id}""#)).unwrap();
        let tag = &shown.body[shown.body[..at].rfind('<').unwrap()..];
        tag[..tag.find('>').unwrap()].contains("checked")
    };
    assert!(checked("new-endpoint-event-connection-state_changed"));
    assert!(!checked("new-endpoint-event-connection-created"));
    assert!(!checked("new-endpoint-enabled"), "enabled was left off");
    assert!(list(b, &env).await.unwrap().endpoints.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_environment_has_at_most_ten_endpoints() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    for n in 0..10 {
        create(
            &owner.browser,
            &env,
            &format!("http://127.0.0.1:9/hook/{n}"),
            "",
            &ALL_TYPES,
        )
        .await
        .unwrap();
    }
    let err = create(
        &owner.browser,
        &env,
        "http://127.0.0.1:9/hook/11",
        "",
        &ALL_TYPES,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Refused(m) if m.contains("already has 10")),
        "{err:?}"
    );
    assert_eq!(
        list(&owner.browser, &env).await.unwrap().endpoints.len(),
        10
    );
    let page = owner.browser.page(&webhooks_page(&env)).await;
    assert!(page.body.contains("10 of 10 endpoints"));
    app.stop().await;
}

#[tokio::test]
async fn viewers_are_refused_and_other_tenants_endpoints_are_not_found() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    let mine = create(
        &owner.browser,
        &env,
        "http://127.0.0.1:9/mine",
        "",
        &ALL_TYPES,
    )
    .await
    .unwrap();
    let (viewer, _) = join(
        &app,
        &owner.browser,
        &env.ws,
        "viewer@hooks.example",
        "viewer",
    )
    .await;

    assert_eq!(list(&viewer, &env).await.unwrap_err(), AppError::Forbidden);
    let page = viewer.page(&webhooks_page(&env)).await;
    assert!(!page.body.contains("http://127.0.0.1:9/mine"));
    assert!(page.body.contains("does not allow this"));
    let elsewhere = viewer.page(&env.path("api-keys")).await;
    assert!(
        !elsewhere.body.contains(&webhooks_page(&env)),
        "no Webhooks item in a viewer's navigation"
    );
    let err = create(&viewer, &env, "http://127.0.0.1:9/theirs", "", &ALL_TYPES)
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Forbidden);
    assert_eq!(
        endpoint_page(&viewer, &env, &mine.endpoint_id, "", "")
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    for (endpoint, extra) in mutations() {
        let err =
            act::<serde_json::Value>(&viewer, endpoint, &env, &mine.endpoint_id, &extra.pairs())
                .await
                .unwrap_err();
        assert_eq!(err, AppError::Forbidden, "{endpoint}");
    }

    // Another workspace's endpoint, and one of another environment of this
    // workspace, are not found through this environment.
    let other = provision(&app, "Other Co", "owner@other.example").await;
    let their_env = development(&other).await;
    let theirs = create(
        &other.browser,
        &their_env,
        "http://127.0.0.1:9/theirs",
        "Theirs",
        &ALL_TYPES,
    )
    .await
    .unwrap();
    let production = owner
        .browser
        .workspace(&env.ws)
        .await
        .unwrap()
        .environments
        .into_iter()
        .find(|e| e.name != "Development")
        .expect("a second environment");
    let prod_env = Env {
        ws: env.ws.clone(),
        id: production.id,
        slug: production.slug,
    };
    let in_production = create(
        &owner.browser,
        &prod_env,
        "http://127.0.0.1:9/prod",
        "",
        &ALL_TYPES,
    )
    .await
    .unwrap();
    for id in [&theirs.endpoint_id, &in_production.endpoint_id] {
        assert_eq!(
            endpoint_page(&owner.browser, &env, id, "", "")
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        let page = owner
            .browser
            .page(&format!("{}/{id}", webhooks_page(&env)))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(!page.body.contains("127.0.0.1:9"));
        for (endpoint, extra) in mutations() {
            let err = act::<serde_json::Value>(&owner.browser, endpoint, &env, id, &extra.pairs())
                .await
                .unwrap_err();
            assert_eq!(err, AppError::NotFound, "{endpoint} {id}");
        }
    }
    // Nor through their environment's id from this workspace.
    let mixed = Env {
        ws: env.ws.clone(),
        id: their_env.id.clone(),
        slug: env.slug.clone(),
    };
    let err = act::<serde_json::Value>(
        &owner.browser,
        "webhook/delete",
        &mixed,
        &theirs.endpoint_id,
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    assert_eq!(
        create(
            &owner.browser,
            &mixed,
            "http://127.0.0.1:9/x",
            "",
            &ALL_TYPES
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        list(&owner.browser, &their_env).await.unwrap_err(),
        AppError::NotFound
    );
    // Theirs is untouched.
    let still = list(&other.browser, &their_env).await.unwrap();
    assert_eq!(still.endpoints.len(), 1);
    assert_eq!(still.endpoints[0].url, "http://127.0.0.1:9/theirs");
    assert!(still.endpoints[0].enabled);
    app.stop().await;
}

/// Every change an endpoint's page can send, with valid fields.
fn mutations() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let delivery = domain::accounts::WebhookDeliveryId::generate().to_string();
    let form = |pairs: &[(&'static str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    vec![
        (
            "webhook/update",
            form(&[
                ("url", "http://127.0.0.1:9/changed"),
                ("event_types[]", "connection.created"),
                ("enabled", "on"),
            ]),
        ),
        ("webhook/delete", vec![]),
        ("webhook/rotate", vec![]),
        ("webhook/test", vec![]),
        ("webhook/redeliver", form(&[("delivery_id", &delivery)])),
        ("webhook/replay", form(&[("since", "2020-01-01T00:00")])),
    ]
}

/// `act` for the `(name, String)` pairs of [`mutations`].
trait AsPairs {
    fn pairs(&self) -> Vec<(&str, &str)>;
}

impl AsPairs for Vec<(&'static str, String)> {
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

#[tokio::test]
async fn an_endpoint_is_changed_switched_off_rotated_and_deleted() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let first = create(b, &env, "http://127.0.0.1:9/a", "First", &ALL_TYPES)
        .await
        .unwrap();
    let id = first.endpoint_id.clone();

    // Changed, and switched off.
    let said: String = act(
        b,
        "webhook/update",
        &env,
        &id,
        &[
            ("url", "http://127.0.0.1:9/b"),
            ("description", "Renamed"),
            ("event_types[]", "connection.refresh_failed"),
        ],
    )
    .await
    .unwrap();
    assert!(said.contains("disabled"), "{said}");
    let view = endpoint_page(b, &env, &id, "", "").await.unwrap();
    assert_eq!(view.endpoint.url, "http://127.0.0.1:9/b");
    assert_eq!(view.endpoint.description, "Renamed");
    assert_eq!(
        view.endpoint.event_types,
        [domain::shared::WebhookEventType::ConnectionRefreshFailed]
    );
    assert_eq!(view.endpoint.state(), EndpointState::Disabled);
    let listed = b.page(&webhooks_page(&env)).await;
    assert!(listed.body.contains(r#"data-state="disabled""#));

    // A bad change is refused at its field and changes nothing.
    let err = act::<String>(
        b,
        "webhook/update",
        &env,
        &id,
        &[
            ("url", "ftp://127.0.0.1/x"),
            ("event_types[]", "connection.created"),
            ("enabled", "on"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.field(), Some("url"), "{err:?}");
    let same = endpoint_page(b, &env, &id, "", "").await.unwrap();
    assert_eq!(same.endpoint, view.endpoint);

    // Without JavaScript, switched on again; the form shows what it holds.
    let detail = format!("{}/{id}", webhooks_page(&env));
    let mut form = endpoint_form(
        &env,
        "http://127.0.0.1:9/b",
        "Renamed",
        &["connection.refresh_failed", "connection.created"],
        true,
    );
    form.push(("endpoint_id", &id));
    let answer = b.plain_post("webhook/update", &detail, &form).await;
    assert!(!answer.location().contains("__err="));
    let page = b.page(answer.location()).await;
    assert!(page.body.contains("Saved"));
    assert!(page.body.contains(r#"data-state="enabled""#));

    // Rotated with JavaScript: a new secret, the old one signing for 24 hours.
    let before = domain::db::now_ms();
    let rotated: IssuedSecret = act(b, "webhook/rotate", &env, &id, &[]).await.unwrap();
    assert!(rotated.secret.starts_with("whsec_"));
    assert_ne!(rotated.secret, first.secret);
    let until = rotated.previous_until.expect("the old secret's end");
    assert!(
        (before + 24 * 3_600_000..before + 24 * 3_600_000 + 60_000).contains(&until),
        "{until}"
    );
    let page = b.page(&detail).await;
    assert!(!page.body.contains(&rotated.secret));
    assert!(!page.body.contains("whsec_"));
    assert!(page.body.contains(r#"data-field="previous-secret-until""#));

    // Rotated without JavaScript: the next page shows it once.
    let answer = b
        .plain_post(
            "webhook/rotate",
            &detail,
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("endpoint_id", &id),
            ],
        )
        .await;
    assert!(!answer.body.contains("whsec_"));
    let shown = b.page(answer.location()).await;
    let secret = shown_secret(&shown.body).expect("shown once");
    assert!(secret.starts_with("whsec_") && secret != rotated.secret);
    assert!(shown.body.contains("keeps signing"));
    assert_eq!(shown_secret(&b.page(&detail).await.body), None);

    // Deleted without JavaScript: back to the list, which says so.
    let answer = b
        .plain_post(
            "webhook/delete",
            &detail,
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("endpoint_id", &id),
            ],
        )
        .await;
    assert_eq!(answer.location(), webhooks_page(&env));
    let page = b.page(answer.location()).await;
    assert!(page.body.contains("Deleted the endpoint"), "{}", page.body);
    assert!(list(b, &env).await.unwrap().endpoints.is_empty());
    assert_eq!(b.page(&detail).await.status, StatusCode::NOT_FOUND);
    let err = act::<String>(b, "webhook/delete", &env, &id, &[])
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    let audit = audit_text(b, &env.ws).await;
    assert!(!audit.contains("whsec_"));
    app.stop().await;
}

#[tokio::test]
async fn the_delivery_log_counts_filters_pages_redelivers_and_replays() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let owner = set_up(&app, "Hooks Inc", "owner@hooks.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let receiver = Receiver::start().await;
    // The receiver is gone, and says so in markup that must stay text.
    receiver.answer(410, "<script>alert('gone')</script> endpoint removed");
    let issued = create(b, &env, &receiver.url, "Flaky", &ALL_TYPES)
        .await
        .unwrap();
    let id = issued.endpoint_id.clone();
    let _: String = act(b, "webhook/test", &env, &id, &[]).await.unwrap();
    let failed = wait_for(b, &env, &id, DeliveryStatus::Failed, 1).await;
    let gone = failed.deliveries[0].clone();
    assert_eq!(gone.last_status, Some(410));
    // 410 Gone switched the endpoint off, with the reason.
    assert_eq!(failed.endpoint.state(), EndpointState::Disabled);
    assert!(failed.endpoint.disabled_reason.is_some());
    assert_eq!((failed.endpoint.pending, failed.endpoint.failed), (0, 1));

    // While it is off, a test event waits.
    let said: String = act(b, "webhook/test", &env, &id, &[]).await.unwrap();
    assert!(said.contains("waiting"), "{said}");
    let listed = list(b, &env).await.unwrap();
    assert_eq!(
        (listed.endpoints[0].pending, listed.endpoints[0].failed),
        (1, 1)
    );
    let page = b.page(&webhooks_page(&env)).await;
    assert!(
        page.body
            .contains(r#"data-field="endpoint-disabled-reason""#)
    );
    assert!(page.body.contains(r#"data-field="endpoint-pending""#));
    let detail = format!("{}/{id}", webhooks_page(&env));
    let html = b.page(&detail).await.body;
    assert!(
        !html.contains("<script>alert('gone')"),
        "the receiver's answer is text"
    );
    assert!(html.contains("&lt;script&gt;alert("), "{html}");

    // The filter.
    let all = endpoint_page(b, &env, &id, "", "").await.unwrap();
    assert_eq!(all.deliveries.len(), 2);
    let pending = endpoint_page(b, &env, &id, "pending", "").await.unwrap();
    assert_eq!(pending.deliveries.len(), 1);
    assert_eq!(pending.status, Some(DeliveryStatus::Pending));
    let waiting = pending.deliveries[0].clone();
    let filtered = b.page(&format!("{detail}?status=failed")).await.body;
    assert!(filtered.contains(&gone.id) && !filtered.contains(&waiting.id));
    let bad = endpoint_page(b, &env, &id, "lost", "").await.unwrap_err();
    assert_eq!(bad.field(), Some("status"));

    // A pending event is not redelivered; the refusal belongs to its row.
    let err = act::<String>(
        b,
        "webhook/redeliver",
        &env,
        &id,
        &[("delivery_id", &waiting.id)],
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.field(),
        Some(format!("@{}", waiting.id).as_str()),
        "{err:?}"
    );

    // Replay: a date that is not one, or still to come, is refused at its field.
    for since in ["yesterday", "2999-01-01T00:00"] {
        let err = act::<String>(b, "webhook/replay", &env, &id, &[("since", since)])
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("since"), "{since}: {err:?}");
    }
    let an_hour_ago = app::models::format_input_utc(domain::db::now_ms() - 3_600_000);
    let said: String = act(b, "webhook/replay", &env, &id, &[("since", &an_hour_ago)])
        .await
        .unwrap();
    assert!(said.starts_with("1 failed event"), "{said}");
    // The failed event is being delivered again: pending, no longer failed.
    let counts = endpoint_page(b, &env, &id, "", "").await.unwrap().endpoint;
    assert_eq!((counts.pending, counts.failed), (2, 0));
    // Replayed already: nothing more to replay, and it is not redelivered twice.
    let said: String = act(b, "webhook/replay", &env, &id, &[("since", &an_hour_ago)])
        .await
        .unwrap();
    assert!(said.starts_with("No failed event"), "{said}");
    let err = act::<String>(
        b,
        "webhook/redeliver",
        &env,
        &id,
        &[("delivery_id", &gone.id)],
    )
    .await
    .unwrap_err();
    assert!(err.field().is_some_and(|f| f.starts_with('@')), "{err:?}");

    // The receiver is back and the endpoint on: everything waiting goes out.
    receiver.answer(204, "");
    let _: String = act(
        b,
        "webhook/update",
        &env,
        &id,
        &[
            ("url", &receiver.url),
            ("description", "Flaky"),
            ("event_types[]", "connection.created"),
            ("enabled", "on"),
        ],
    )
    .await
    .unwrap();
    // The replay delivered the failed event: nothing counts as failed now.
    let delivered = wait_for(b, &env, &id, DeliveryStatus::Succeeded, 2).await;
    assert_eq!(
        (delivered.endpoint.pending, delivered.endpoint.failed),
        (0, 0)
    );
    // Now the failed one may be redelivered, as a new delivery.
    let _: String = act(
        b,
        "webhook/redeliver",
        &env,
        &id,
        &[("delivery_id", &gone.id)],
    )
    .await
    .unwrap();
    wait_for(b, &env, &id, DeliveryStatus::Succeeded, 3).await;
    let types: Vec<String> = receiver
        .received()
        .iter()
        .map(|(_, body)| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["type"].to_string()
        })
        .collect();
    assert!(types.iter().all(|t| t == "\"webhook.test\""), "{types:?}");

    // Paging: 50 a page, newest first, with a link to the older ones.
    let actor = actor_in(
        &app.state().db,
        &env.ids().0,
        &OperatorId::parse(&owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    receiver.answer(500, "busy");
    let _: String = act(
        b,
        "webhook/update",
        &env,
        &id,
        &[
            ("url", &receiver.url),
            ("event_types[]", "connection.created"),
        ],
    )
    .await
    .unwrap();
    let endpoint_id = WebhookEndpointId::parse(&id).unwrap();
    for _ in 0..50 {
        domain::webhooks::endpoints::send_test(
            app.state(),
            &actor,
            &env.ids().1,
            &endpoint_id,
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    }
    let first_page = endpoint_page(b, &env, &id, "", "").await.unwrap();
    assert_eq!(first_page.deliveries.len(), 50);
    assert!(!first_page.paged);
    let cursor = first_page.next.clone().expect("an older page");
    let second = endpoint_page(b, &env, &id, "", &cursor).await.unwrap();
    assert!(second.paged);
    assert_eq!(second.deliveries.len(), 4, "54 in all");
    assert_eq!(second.next, None);
    let seen: std::collections::HashSet<_> = first_page
        .deliveries
        .iter()
        .chain(&second.deliveries)
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(seen.len(), 54);
    let html = b.page(&detail).await.body;
    assert!(html.contains(r#"rel="next""#));
    assert_eq!(
        list(b, &env).await.unwrap().endpoints[0].pending,
        50,
        "waiting while the endpoint is off"
    );
    app.stop().await;
}
