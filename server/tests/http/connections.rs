//! End users' connections against pinterest-sim, over HTTP with cookie-keeping
//! clients: connect links, the handshake and every way it can fail, refresh
//! across two pinbridge processes, health probes, and the portal's pages.
//! Runs on SQLite and PostgreSQL (`PINBRIDGE_TEST_BACKEND`).

use std::sync::Arc;

use crate::common::TestApp;
use crate::common::portal::{Owned, set_up};
use app::errors::AppError;
use app::models::{ConnectionDetailView, ConnectionsPageView, IssuedConnectLink};
use domain::accounts::ConnectionId;
use domain::connections::tokens;
use domain::connections::{TokenColumn, open_token};
use domain::db::repo::connections as rows;
use domain::shared::{Health, Trigger};
use pinterest_sim::{RunningSim, SimConfig};
use reqwest::StatusCode;
use reqwest::cookie::Jar;
use serde_json::{Value, json};

pub(super) const APP_ID: &str = "7654321";
pub(super) const APP_SECRET: &str = "sim-test-secret-0123";
pub(super) const RETURN: &str = "https://app.example.com/pinterest/done?from=pb";

pub(super) struct World {
    pub(super) sim: RunningSim,
    pub(super) app: TestApp,
    pub(super) owner: Owned,
    pub(super) ws: String,
    pub(super) env_id: String,
    pub(super) env_slug: String,
}

pub(super) fn sim_flags(sim: &RunningSim) -> Vec<String> {
    vec![
        "--pinterest-oauth-url".into(),
        sim.base_url(),
        "--pinterest-api-url".into(),
        sim.base_url(),
        "--pinterest-sandbox-api-url".into(),
        sim.base_url(),
        "--pinterest-timeout-ms".into(),
        "2000".into(),
        // The tests drive refreshes and probes themselves.
        "--scheduler-interval-ms".into(),
        "3600000".into(),
    ]
}

pub(super) async fn sim_admin(
    sim: &RunningSim,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", sim.base_url()));
    if !body.is_null() {
        request = request.json(&body);
    }
    let res = request.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A simulator, pinbridge pointed at it, a workspace whose Development
/// environment has Pinterest configured and the return origin allowed.
pub(super) async fn world() -> World {
    world_with_scopes(&["user_accounts:read", "boards:read", "pins:read"]).await
}

/// [`world`] with the environment requiring `scopes`.
pub(super) async fn world_with_scopes(scopes: &[&str]) -> World {
    world_with(scopes, &[]).await
}

/// [`world_with_scopes`], pinbridge started with `extra` settings too.
pub(super) async fn world_with(scopes: &[&str], extra: &[&str]) -> World {
    crate::common::logs::captured();
    let sim = pinterest_sim::spawn(SimConfig {
        request_log_capacity: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let flags = sim_flags(&sim);
    let mut refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    refs.extend_from_slice(extra);
    let app = TestApp::spawn_with(&refs).await;
    sim_admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/apps",
        json!({"id": APP_ID, "secret": APP_SECRET, "name": "Acme", "tier": "standard",
               "redirect_uris": [format!("{}/integration-callback", app.base)]}),
    )
    .await;
    let owner = set_up(&app, "Acme Pins", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let view = owner.browser.workspace(&ws).await.unwrap();
    let env = view.environments[0].clone();
    let mut form = vec![
        ("workspace", ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("version", "0"),
        ("client_id", APP_ID),
        ("client_secret", APP_SECRET),
        ("api", "production"),
    ];
    form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
    let saved = owner.browser.post("pinterest/save", &form).await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let origins: Vec<String> = owner
        .browser
        .call(
            "connections/origins",
            &[
                ("workspace", &ws),
                ("environment_id", &env.id),
                ("origins", "https://app.example.com\nhttp://127.0.0.1:9"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(origins, ["http://127.0.0.1:9", "https://app.example.com"]);
    World {
        sim,
        app,
        owner,
        ws,
        env_id: env.id,
        env_slug: env.slug,
    }
}

impl World {
    pub(super) async fn link(
        &self,
        end_user: &str,
        return_url: &str,
    ) -> Result<IssuedConnectLink, AppError> {
        self.owner
            .browser
            .call(
                "connections/link",
                &[
                    ("workspace", &self.ws),
                    ("environment_id", &self.env_id),
                    ("end_user_id", end_user),
                    ("display_name", "Ada Lovelace"),
                    ("return_url", return_url),
                ],
            )
            .await
    }

    async fn list(&self, query: &[(&str, &str)]) -> ConnectionsPageView {
        let mut form = vec![
            ("workspace", self.ws.as_str()),
            ("environment", self.env_slug.as_str()),
        ];
        form.extend_from_slice(query);
        self.owner
            .browser
            .call("connections/view", &form)
            .await
            .unwrap()
    }

    pub(super) async fn detail(&self, id: &str) -> ConnectionDetailView {
        self.owner
            .browser
            .call(
                "connection/view",
                &[
                    ("workspace", &self.ws),
                    ("environment", &self.env_slug),
                    ("connection", id),
                ],
            )
            .await
            .unwrap()
    }

    pub(super) async fn count(&self) -> i64 {
        self.list(&[]).await.counts.total()
    }

    pub(super) async fn audit_actions(&self) -> Vec<String> {
        let rows: Vec<(String,)> = domain::on_pool!(&self.app.state().db, pool => {
            sqlx::query_as("select action from audit_events where workspace_id = $1")
                .bind(&self.ws)
                .fetch_all(pool)
                .await
        })
        .unwrap();
        rows.into_iter().map(|(a,)| a).collect()
    }

    pub(super) async fn stop(self) {
        self.app.stop().await;
        self.sim.shutdown().await;
    }
}

/// An end user's browser: its own cookies, no redirects followed.
#[derive(Clone)]
pub(super) struct EndUser {
    pub(super) client: reqwest::Client,
}

pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) location: Option<String>,
    pub(super) body: String,
}

impl EndUser {
    pub(super) fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_provider(Arc::new(Jar::default()))
                .redirect(reqwest::redirect::Policy::none())
                .timeout(crate::common::REQUEST_TIMEOUT)
                .build()
                .unwrap(),
        }
    }

    pub(super) async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let res = request.send().await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        Reply {
            status,
            location,
            body: res.text().await.unwrap(),
        }
    }

    pub(super) async fn get(&self, url: &str) -> Reply {
        self.send(self.client.get(url)).await
    }

    /// Opens the link and presses "Continue to Pinterest": the authorize URL.
    pub(super) async fn start(&self, link: &str) -> String {
        let page = self.get(link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Continue to Pinterest"));
        let go = self.send(self.client.post(link)).await;
        assert_eq!(go.status, StatusCode::SEE_OTHER, "{}", go.body);
        go.location.unwrap()
    }

    /// Consents on the simulator (or not) and comes back: the callback URL.
    pub(super) async fn consent(&self, authorize: &str, decision: &str) -> String {
        let back = self
            .get(&format!("{authorize}&sim_consent={decision}"))
            .await;
        assert_eq!(back.status, StatusCode::FOUND, "{}", back.body);
        back.location.unwrap()
    }
}

pub(super) fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(super) async fn connect(w: &World, user: &EndUser, end_user: &str) -> (String, String) {
    let link = w.link(end_user, RETURN).await.unwrap();
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.location.unwrap();
    assert!(
        to.starts_with(
            "https://app.example.com/pinterest/done?from=pb&status=connected&connection_id="
        ),
        "{to}"
    );
    (query_param(&to, "connection_id").unwrap(), callback)
}

/// `end_user` connects the simulator's account `username` in the environment
/// `env_id` through the real flow (a link returning to [`RETURN`], pinbridge's
/// page, the simulator's consent signed in as that account, the callback):
/// the connection id.
pub(super) async fn connect_sim_user(
    w: &World,
    env_id: &str,
    end_user: &str,
    username: &str,
) -> String {
    let link: IssuedConnectLink = w
        .owner
        .browser
        .call(
            "connections/link",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", env_id),
                ("end_user_id", end_user),
                ("display_name", end_user),
                ("return_url", RETURN),
            ],
        )
        .await
        .unwrap();
    through_link_as(&link.url, username).await
}

/// A new end user's browser opens `link`, consents on the simulator signed
/// in as its account `username`, and comes back: the connection id.
pub(super) async fn through_link_as(link: &str, username: &str) -> String {
    let user = EndUser::new();
    let authorize = user.start(link).await;
    let back = user
        .get(&format!(
            "{authorize}&sim_consent=allow&sim_user={username}"
        ))
        .await;
    assert_eq!(back.status, StatusCode::FOUND, "{}", back.body);
    let done = user.get(&back.location.unwrap()).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.location.unwrap();
    assert!(to.contains("status=connected"), "{to}");
    query_param(&to, "connection_id").unwrap()
}

async fn token_requests(sim: &RunningSim) -> usize {
    let log = sim_admin(
        sim,
        reqwest::Method::GET,
        "/_sim/requests?limit=10000",
        Value::Null,
    )
    .await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v5/oauth/token")
        .count()
}

async fn clear_requests(sim: &RunningSim) {
    reqwest::Client::new()
        .delete(format!("{}/_sim/requests", sim.base_url()))
        .send()
        .await
        .unwrap();
}

pub(super) async fn row(app: &TestApp, id: &str) -> rows::ConnectionRow {
    rows::find_by_id(&app.state().db, &ConnectionId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn an_end_user_connects_through_the_simulator_and_reconnecting_keeps_the_id() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-42", RETURN).await.unwrap();
    assert!(link.url.starts_with(&format!("{}/connect/", w.app.base)));
    // The end user's page: workspace, scopes in words, the button; no script needed.
    let page = user.get(&link.url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Acme Pins would like to connect"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Hi Ada Lovelace"));
    assert!(
        page.body
            .contains("<code class=\"small muted\">boards:read</code>")
    );
    assert!(!page.body.contains("<script"));
    let authorize = user.start(&link.url).await;
    assert!(
        authorize.starts_with(&format!("{}/oauth/?", w.sim.base_url())),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(APP_ID)
    );
    assert_eq!(
        query_param(&authorize, "scope").as_deref(),
        Some("user_accounts:read,boards:read,pins:read")
    );
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        Some(format!("{}/integration-callback", w.app.base))
    );
    let state = query_param(&authorize, "state").unwrap();
    assert_eq!(state.len(), 43, "256 random bits");
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let id = query_param(done.location.as_deref().unwrap(), "connection_id").unwrap();

    // Stored: the account, scopes, sealed tokens that open only under their binding.
    let stored = row(&w.app, &id).await;
    assert_eq!(
        (
            stored.health.as_str(),
            stored.account_username.as_str(),
            stored.end_user_id.as_str()
        ),
        ("active", "demo_pinner", "user-42")
    );
    assert_eq!(
        stored.scopes_granted,
        "user_accounts:read boards:read pins:read"
    );
    let keys = &w.app.state().keys;
    let access = open_token(
        keys,
        &stored.workspace_id,
        &stored.id,
        TokenColumn::Access,
        stored.access_token.as_deref().unwrap(),
    )
    .unwrap();
    assert!(access.expose().starts_with("pina_"));
    assert!(
        !stored
            .access_token
            .as_deref()
            .unwrap()
            .contains(access.expose())
    );
    assert!(
        open_token(
            keys,
            &stored.workspace_id,
            &stored.id,
            TokenColumn::Refresh,
            stored.access_token.as_deref().unwrap()
        )
        .is_err()
    );
    // The state is stored only hashed.
    let states: Vec<(String,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select state_hash from oauth_states").fetch_all(pool).await
    })
    .unwrap();
    assert!(states.iter().all(|(h,)| h != &state && h.len() == 64));

    // The callback again: the state is used up; nothing changes.
    let replay = user.get(&callback).await;
    assert_eq!(replay.status, StatusCode::GONE, "{}", replay.body);
    assert!(replay.body.contains("already used"));
    // The link again: used.
    assert_eq!(user.get(&link.url).await.status, StatusCode::GONE);

    // Without a return URL the page says who is connected.
    let link2 = w.link("user-42", "").await.unwrap();
    let authorize = user.start(&link2.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let page = user.get(&callback).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Connected as @demo_pinner"));
    assert!(page.body.contains("renewed"));
    let list = w.list(&[]).await;
    assert_eq!(list.counts.total(), 1, "re-authorizing kept one connection");
    assert_eq!(list.rows[0].id, id);
    let actions = w.audit_actions().await;
    assert!(actions.contains(&"connection.created".to_owned()));
    assert!(actions.contains(&"connection.reauthorized".to_owned()));
    assert!(actions.contains(&"connection.link_created".to_owned()));
    w.stop().await;
}

#[tokio::test]
async fn every_failed_callback_gets_its_own_page_stores_nothing_and_is_audited() {
    let w = world().await;
    let base = format!("{}/integration-callback", w.app.base);
    let user = EndUser::new();
    // Requests that never reach a state.
    let long = format!("{base}?code=abc&state={}", "a".repeat(8 * 1024));
    let cases = [
        (base.clone(), StatusCode::BAD_REQUEST, "no state parameter"),
        (
            format!("{base}?code=abc"),
            StatusCode::BAD_REQUEST,
            "no state parameter",
        ),
        (
            format!("{base}?code=abc&state=short"),
            StatusCode::BAD_REQUEST,
            "changed or cut short",
        ),
        (
            format!("{base}?code=a&code=b&state={}", "a".repeat(43)),
            StatusCode::BAD_REQUEST,
            "more than once",
        ),
        (
            format!("{base}?code=a&error=access_denied&state={}", "a".repeat(43)),
            StatusCode::BAD_REQUEST,
            "both",
        ),
        (
            format!("{base}?code=a&state={}", "a".repeat(43)),
            StatusCode::BAD_REQUEST,
            "did not start",
        ),
        (long, StatusCode::BAD_REQUEST, "far longer"),
    ];
    for (url, status, words) in &cases {
        let reply = user.get(url).await;
        assert_eq!(reply.status, *status, "{url}: {}", reply.body);
        assert!(reply.body.contains(words), "{url}: {}", reply.body);
        assert!(!reply.body.contains("<script"));
    }
    // A tampered state (one character changed) is unknown.
    let link = w.link("user-1", RETURN).await.unwrap();
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let state = query_param(&callback, "state").unwrap();
    let flipped: String = state
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    let tampered = callback.replace(&state, &flipped);
    assert_eq!(user.get(&tampered).await.status, StatusCode::BAD_REQUEST);
    // Another browser (no cookie) cannot finish it, and a cookie from another
    // browser neither; the state stays usable by the right browser.
    let stranger = EndUser::new();
    let reply = stranger.get(&callback).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert!(reply.body.contains("no record of starting"));
    let other = EndUser::new();
    let other_link = w.link("user-2", "").await.unwrap();
    other.start(&other_link.url).await;
    let reply = other.get(&callback).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("different browser"));
    assert_eq!(w.count().await, 0);

    // Denied consent: a page, a way back with the reason, nothing stored.
    let link = w.link("user-3", RETURN).await.unwrap();
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "deny").await;
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("You did not connect Pinterest"));
    assert!(reply.body.contains("Your connect link still works"));
    assert!(
        reply
            .body
            .contains("status=failed&amp;reason=access_denied"),
        "{}",
        reply.body
    );
    // The link is still open: trying again works.
    let authorize = user.start(&link.url).await;
    // A code Pinterest does not accept.
    let callback = user.consent(&authorize, "allow").await;
    let code = query_param(&callback, "code").unwrap();
    let bad = callback.replace(&code, &"0".repeat(40));
    let reply = user.get(&bad).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.body);
    assert!(reply.body.contains("did not accept the authorization code"));
    // The used state cannot be replayed with the real code either.
    assert_eq!(user.get(&callback).await.status, StatusCode::GONE);

    // Fewer scopes granted than required (by a Pinterest user who never granted
    // more: Pinterest's scope echo is cumulative per user).
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/users",
        json!({"username": "narrow_pinner"}),
    )
    .await;
    let authorize = format!("{}&sim_user=narrow_pinner", user.start(&link.url).await);
    let narrowed = authorize.replace(
        "user_accounts%3Aread%2Cboards%3Aread%2Cpins%3Aread",
        "user_accounts%3Aread",
    );
    assert_ne!(narrowed, authorize);
    let callback = user.consent(&narrowed, "allow").await;
    let reply = user.get(&callback).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("boards:read, pins:read"));

    // Pinterest down at the code exchange.
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/oauth/token"]}),
    )
    .await;
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.body);
    assert!(reply.body.contains("Pinterest is not answering"));
    reqwest::Client::new()
        .delete(format!("{}/_sim/faults", w.sim.base_url()))
        .send()
        .await
        .unwrap();

    // An expired state.
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let state_hash = domain::accounts::TokenHash::of(&query_param(&callback, "state").unwrap());
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update oauth_states set expires_at = 0 where state_hash = $1")
            .bind(state_hash.as_str()).execute(pool).await.map(|_| ())
    })
    .unwrap();
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::GONE);
    assert!(reply.body.contains("More than 10 minutes"));

    // A link can make one connection: two trips started from it, the second finishes too late.
    let twice = w.link("user-4", "").await.unwrap();
    let first = user.start(&twice.url).await;
    let second = user.start(&twice.url).await;
    let cb1 = user.consent(&first, "allow").await;
    let cb2 = user.consent(&second, "allow").await;
    assert_eq!(user.get(&cb1).await.status, StatusCode::OK);
    let reply = user.get(&cb2).await;
    assert_eq!(reply.status, StatusCode::GONE, "{}", reply.body);
    assert!(reply.body.contains("already made a connection"));

    // Only user-4 is connected; each failure with a known owner is audited.
    let list = w.list(&[]).await;
    assert_eq!(list.counts.total(), 1);
    assert_eq!(list.rows[0].end_user_id, "user-4");
    let failures = w
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "connection.authorization_failed")
        .count();
    assert!(failures >= 8, "{failures}");
    w.stop().await;
}

/// Two callbacks for the same end user (two connect links, say two tabs) that
/// finish at once end in one connection, and both pages say so truthfully:
/// never a 500 from the second insert. Six end users race at once, so that
/// pairs overlap on every backend.
#[tokio::test]
async fn two_callbacks_for_one_end_user_at_once_make_one_connection() {
    let w = world().await;
    let mut callbacks = Vec::new();
    for i in 0..6 {
        let end_user = format!("racer-{i}");
        for _ in 0..2 {
            let browser = EndUser::new();
            let link = w.link(&end_user, "").await.unwrap();
            let back = browser
                .consent(&browser.start(&link.url).await, "allow")
                .await;
            callbacks.push((browser, back));
        }
    }
    let mut pages = tokio::task::JoinSet::new();
    for (browser, back) in callbacks {
        pages.spawn(async move { browser.get(&back).await });
    }
    while let Some(page) = pages.join_next().await {
        let page = page.unwrap();
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("Connected as @demo_pinner"),
            "{}",
            page.body
        );
    }
    for i in 0..6 {
        let end_user = format!("racer-{i}");
        let rows: Vec<(String, String)> = domain::on_pool!(&w.app.state().db, pool => {
            sqlx::query_as("select id, health from connections where end_user_id = $1")
                .bind(&end_user)
                .fetch_all(pool)
                .await
        })
        .unwrap();
        assert_eq!(rows.len(), 1, "{end_user}: one connection");
        assert_eq!(rows[0].1, "active");
        // The tokens stored last are the live ones: a token for it works.
        let id = ConnectionId::parse(&rows[0].0).unwrap();
        tokens::fresh_access_token(w.app.state(), &id)
            .await
            .unwrap()
            .expect("a usable token");
    }
    let actions = w.audit_actions().await;
    let made = actions
        .iter()
        .filter(|a| *a == "connection.created")
        .count();
    let renewed = actions
        .iter()
        .filter(|a| *a == "connection.reauthorized")
        .count();
    assert_eq!((made, renewed), (6, 6), "{actions:?}");
    w.stop().await;
}

#[tokio::test]
async fn links_refuse_bad_input_and_foreign_return_origins() {
    let w = world().await;
    for (end_user, ret, field) in [
        ("", "", "end_user_id"),
        ("u", "javascript:alert(1)", "return_url"),
        ("u", "https://evil.example/steal", "return_url"),
        ("u", "https://app.example.com.evil.example/", "return_url"),
        ("a\u{7}b", "", "end_user_id"),
    ] {
        let err = w.link(end_user, ret).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{end_user:?} {ret:?}: {err:?}");
    }
    let origins = w
        .owner
        .browser
        .post(
            "connections/origins",
            &[
                ("workspace", &w.ws),
                ("environment_id", &w.env_id),
                ("origins", "https://a.example/path"),
            ],
        )
        .await;
    assert_eq!(origins.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Unknown links get their own page; nothing is listed.
    let user = EndUser::new();
    assert_eq!(
        user.get(&format!("{}/connect/nope", w.app.base))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        user.send(
            user.client
                .post(format!("{}/connect/{}", w.app.base, "x".repeat(43)))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // A disabled integration is explained on the link's page.
    let link = w.link("user-9", "").await.unwrap();
    w.owner
        .browser
        .call::<app::models::PinterestSettingsView>(
            "pinterest/enable",
            &[
                ("workspace", &w.ws),
                ("environment_id", &w.env_id),
                ("enabled", "false"),
            ],
        )
        .await
        .unwrap();
    let page = user.get(&link.url).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("turned its Pinterest integration off"));
    assert!(
        w.link("user-10", "").await.is_err(),
        "no new links while disabled"
    );
    assert_eq!(w.count().await, 0);
    w.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_refreshes_on_two_instances_reach_pinterest_once() {
    let w = world().await;
    let flags = sim_flags(&w.sim);
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let second = TestApp::spawn_sharing(&w.app, &refs).await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-7").await;
    let before = row(&w.app, &id).await;
    // About to expire: every caller needs a fresh token.
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set access_expires_at = $1 where id = $2")
            .bind(domain::db::now_ms() + 1000).bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    clear_requests(&w.sim).await;
    let cid = ConnectionId::parse(&id).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let state = if i % 2 == 0 {
            w.app.state().clone()
        } else {
            second.state().clone()
        };
        let cid = cid.clone();
        tasks.spawn(async move { tokens::fresh_access_token(&state, &cid).await });
    }
    let mut got = Vec::new();
    while let Some(r) = tasks.join_next().await {
        got.push(r.unwrap().unwrap().expect("a token").expose().to_owned());
    }
    assert_eq!(got.len(), 50);
    assert!(
        got.iter().all(|t| t == &got[0]),
        "everyone got the one new token"
    );
    assert_eq!(
        token_requests(&w.sim).await,
        1,
        "exactly one refresh reached Pinterest"
    );
    let after = row(&w.app, &id).await;
    assert_eq!(after.token_version, before.token_version + 1);
    assert_eq!(after.refresh_count, 1);
    assert_eq!(after.health, Health::Active);
    // No refresh token was lost: the stored (rotated) one works.
    let next = tokens::refresh_now(second.state(), &after).await.unwrap();
    assert_eq!(next, Some(tokens::Refreshed::Stored));

    // A refresh that lost the race (it read the row before the rotation) is not
    // mistaken for a revoked token.
    let stale = after.clone();
    let claimed = rows::claim(
        &w.app.state().db,
        &cid,
        "test",
        domain::db::now_ms(),
        domain::db::now_ms() + 60_000,
    )
    .await
    .unwrap()
    .unwrap();
    let mut racing = stale;
    racing.lease_fence = claimed.lease_fence;
    let outcome = tokens::refresh_leased(w.app.state(), &racing, Trigger::Operator)
        .await
        .unwrap();
    assert_eq!(outcome, tokens::Refreshed::AlreadyDone);
    rows::release(&w.app.state().db, &cid, claimed.lease_fence)
        .await
        .unwrap();
    assert_eq!(row(&w.app, &id).await.health, Health::Active);
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn probes_see_revocation_outages_and_recovery() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-8").await;
    let check = |id: String| {
        let b = &w.owner.browser;
        let ws = w.ws.clone();
        async move {
            b.call::<String>(
                "connection/check",
                &[("workspace", &ws), ("connection", &id)],
            )
            .await
        }
    };
    assert!(check(id.clone()).await.unwrap().contains("Active"));
    // Pinterest failing: degraded, never needs_reauth.
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503]}),
    )
    .await;
    let said = check(id.clone()).await.unwrap();
    assert!(said.contains("Degraded"), "{said}");
    let d = w.detail(&id).await;
    assert_eq!(d.row.state, Health::Degraded);
    assert!(d.row.reason.contains("503"), "{}", d.row.reason);
    reqwest::Client::new()
        .delete(format!("{}/_sim/faults", w.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert!(check(id.clone()).await.unwrap().contains("Active"));
    // An expired access token is refreshed after the 401, and the probe passes.
    let r = row(&w.app, &id).await;
    let access = open_token(
        &w.app.state().keys,
        &r.workspace_id,
        &r.id,
        TokenColumn::Access,
        r.access_token.as_deref().unwrap(),
    )
    .unwrap();
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/expire",
        json!({"token": access.expose()}),
    )
    .await;
    assert!(check(id.clone()).await.unwrap().contains("Active"));
    assert_eq!(row(&w.app, &id).await.refresh_count, 1);
    // Pinterest shows another account behind the token than the one connected.
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set account_id = '999' where id = $1")
            .bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    let said = check(id.clone()).await.unwrap();
    assert!(said.contains("different account"), "{said}");
    let d = w.detail(&id).await;
    assert!(d.probes[0].account_changed);
    assert!(
        d.account_mismatch
            .as_deref()
            .unwrap()
            .contains("not the connected @demo_pinner (id 999)")
    );
    assert!(w.list(&[]).await.rows[0].account_changed);
    // Revoked by the user on Pinterest: needs re-authorization at the next probe.
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"client_id": APP_ID, "username": "demo_pinner"}),
    )
    .await;
    let said = check(id.clone()).await.unwrap();
    assert!(said.contains("Needs re-authorization"), "{said}");
    let d = w.detail(&id).await;
    assert_eq!(d.row.state, Health::NeedsReauth);
    assert!(d.probes.len() >= 5);
    // The page draws one bar per check in its chart.
    let page = w
        .owner
        .browser
        .page(&format!("/w/{}/e/{}/connections/{id}", w.ws, w.env_slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"class="probe-chart""#),
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("<rect").count(), d.probes.len());
    assert_eq!(d.probes[0].http_status, Some(401));
    assert!(
        w.audit_actions()
            .await
            .contains(&"connection.state_changed".to_owned())
    );
    // Re-authorizing brings it back, same id.
    let (again, _) = connect(&w, &user, "user-8").await;
    assert_eq!(again, id);
    assert_eq!(w.detail(&id).await.row.state, Health::Active);
    w.stop().await;
}

#[tokio::test]
async fn a_restart_between_leaving_for_pinterest_and_coming_back_loses_nothing() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-5", "").await.unwrap();
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    // pinbridge stops; a new process on the same database answers the callback
    // (cookies ignore ports, so the browser still sends its cookie).
    let mut w = w;
    w.app.running.take().unwrap().stop().await.unwrap();
    let mut flags = sim_flags(&w.sim);
    flags.extend(["--public-url".to_owned(), w.app.base.clone()]);
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let second = TestApp::spawn_sharing(&w.app, &refs).await;
    let reply = user.get(&callback.replace(&w.app.base, &second.base)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("Connected as @demo_pinner"));
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn the_portal_lists_filters_checks_all_and_disconnects() {
    let w = world().await;
    let user = EndUser::new();
    let (a, _) = connect(&w, &user, "alice-1").await;
    let (b, _) = connect(&w, &user, "bob-2").await;
    let list = w.list(&[]).await;
    assert_eq!(
        (list.counts.total(), list.counts.get(Health::Active)),
        (2, 2)
    );
    assert_eq!(w.list(&[("search", "ALICE")]).await.rows.len(), 1);
    assert_eq!(w.list(&[("search", "demo_pin")]).await.rows.len(), 2);
    assert_eq!(
        w.list(&[("search", "%")]).await.rows.len(),
        0,
        "search is literal"
    );
    assert_eq!(w.list(&[("state", "revoked")]).await.rows.len(), 0);
    let bad = w
        .owner
        .browser
        .post(
            "connections/view",
            &[
                ("workspace", &w.ws),
                ("environment", &w.env_slug),
                ("state", "healthy"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The Integrations card and the Pinterest page count by state.
    let cards: app::models::IntegrationsView = w
        .owner
        .browser
        .call(
            "environments/integrations",
            &[("workspace", &w.ws), ("environment", &w.env_slug)],
        )
        .await
        .unwrap();
    assert_eq!(
        cards.integrations[0].connections.summary(),
        "2 connections: 2 active"
    );
    // Check all: both probed, progress complete.
    let total: i64 = w
        .owner
        .browser
        .call(
            "connections/check-all",
            &[("workspace", &w.ws), ("environment_id", &w.env_id)],
        )
        .await
        .unwrap();
    assert_eq!(total, 2);
    let mut done = 0;
    for _ in 0..100 {
        done = w.list(&[]).await.check_all.unwrap().done;
        if done == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(done, 2);
    // Disconnect: tokens gone, state revoked, audited; deleting Pinterest now
    // waits only for the other connection.
    let said: String = w
        .owner
        .browser
        .call(
            "connection/disconnect",
            &[("workspace", &w.ws), ("connection", &a)],
        )
        .await
        .unwrap();
    assert!(said.contains("Disconnected @demo_pinner"));
    let gone = row(&w.app, &a).await;
    assert_eq!(gone.health, Health::Revoked);
    assert!(gone.access_token.is_none() && gone.refresh_token.is_none());
    assert!(
        w.audit_actions()
            .await
            .contains(&"connection.disconnected".to_owned())
    );
    let refused = w
        .owner
        .browser
        .post(
            "pinterest/delete",
            &[
                ("workspace", &w.ws),
                ("environment_id", &w.env_id),
                ("confirm_name", "Development"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("1 Pinterest connection"));
    // Pages render (server-side) with the connection.
    let page = w
        .owner
        .browser
        .page(&format!("/w/{}/e/{}/connections/{b}", w.ws, w.env_slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("@demo_pinner") && page.body.contains("Check now"));
    let page = w
        .owner
        .browser
        .page(&format!(
            "/w/{}/e/{}/connections?state=revoked",
            w.ws, w.env_slug
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("alice-1") && !page.body.contains("bob-2"),
        "filtered"
    );
    // Another workspace sees none of it.
    let other = crate::common::portal::provision(&w.app, "Other Co", "other@other.test").await;
    let foreign = other
        .browser
        .post(
            "connection/view",
            &[
                ("workspace", &other.workspace_id),
                ("environment", "development"),
                ("connection", &b),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign = other
        .browser
        .post(
            "connection/disconnect",
            &[("workspace", &other.workspace_id), ("connection", &b)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(row(&w.app, &b).await.health, Health::Active);
    // No token in any page or answer the operator saw.
    let r = row(&w.app, &b).await;
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
    for body in w.owner.browser.bodies() {
        assert!(!body.contains(access.expose()) && !body.contains(refresh.expose()));
    }
    let audit: Vec<(String,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select detail from audit_events").fetch_all(pool).await
    })
    .unwrap();
    for (detail,) in audit {
        assert!(!detail.contains(access.expose()) && !detail.contains(refresh.expose()));
        assert!(
            !detail.contains("pina_") && !detail.contains("pinr."),
            "{detail}"
        );
    }
    w.stop().await;
}

/// `n` connections of the simulator's demo user, each holding real tokens the
/// simulator minted, due for a refresh now (their access tokens expire in a
/// minute), stored as the handshake stores them.
async fn seed_due_connections(w: &World, n: usize) {
    use domain::connections::seal_token;
    use domain::crypto::SecretString;
    let minted = sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens",
        json!({"client_id": APP_ID, "username": "demo_pinner",
               "scopes": "user_accounts:read,boards:read,pins:read", "count": n}),
    )
    .await;
    let items = minted["items"].as_array().unwrap();
    assert_eq!(items.len(), n);
    let services = w.app.state();
    let ws = domain::accounts::WorkspaceId::parse(&w.ws).unwrap();
    let env = domain::accounts::EnvironmentId::parse(&w.env_id).unwrap();
    let now = domain::db::now_ms();
    for (c, chunk) in items.chunks(500).enumerate() {
        let mut tx = services.db.begin().await.unwrap();
        for (i, t) in chunk.iter().enumerate() {
            let mut row = domain::testing::connection_row(&ws, &env, &format!("due-{c}-{i}"));
            let seal = |column, token: &Value| {
                let token = SecretString::new(token.as_str().unwrap().to_owned());
                seal_token(&services.keys, &ws, &row.id, column, &token).unwrap()
            };
            row.access_token = Some(seal(TokenColumn::Access, &t["access_token"]));
            row.refresh_token = Some(seal(TokenColumn::Refresh, &t["refresh_token"]));
            row.access_expires_at = Some(now + 60_000);
            row.next_refresh_at = Some(now);
            row.next_probe_at = Some(now + 86_400_000);
            rows::insert(&mut tx, &row).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// A count from the shared database.
async fn count(w: &World, sql: &'static str) -> i64 {
    let (n,): (i64,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as(sql).fetch_one(pool).await
    })
    .unwrap();
    n
}

/// Two more pinbridge processes on `w`'s database whose schedulers look for
/// work every 50 ms, with `timeout_ms` for each call to Pinterest.
async fn two_schedulers(w: &World, timeout_ms: &str) -> (TestApp, TestApp) {
    let mut flags = sim_flags(&w.sim);
    for (flag, value) in [
        ("--scheduler-interval-ms", "50"),
        ("--pinterest-timeout-ms", timeout_ms),
    ] {
        let at = flags.iter().position(|f| f == flag).unwrap();
        flags[at + 1] = value.into();
    }
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let one = TestApp::spawn_sharing(&w.app, &refs).await;
    let two = TestApp::spawn_sharing(&w.app, &refs).await;
    (one, two)
}

/// Waits until `n` connections were refreshed at least once (or `limit` passed).
async fn until_refreshed(w: &World, n: usize, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while (count(
        w,
        "select count(*) from connections where refresh_count >= 1",
    )
    .await as usize)
        < n
        && started.elapsed() < limit
    {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The token endpoint's calls in the simulator's log, and how many it refused.
async fn token_calls(sim: &RunningSim) -> (usize, usize) {
    let log = sim_admin(
        sim,
        reqwest::Method::GET,
        "/_sim/requests?limit=100000",
        Value::Null,
    )
    .await;
    let calls: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v5/oauth/token")
        .collect();
    let refused = calls.iter().filter(|r| r["status"] != 200).count();
    (calls.len(), refused)
}

/// A slow Pinterest must not let a claim outlive its lease. Two processes;
/// each refresh takes 1.5 s against leases of 15 s (a 5 s timeout); 200 due
/// connections are more than one process's lanes get through within one
/// lease. Each connection is refreshed exactly once, nothing changes state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_pinterest_never_gets_a_refresh_twice_across_instances() {
    const N: usize = 200;
    let w = world().await;
    seed_due_connections(&w, N).await;
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"latency_ms": 1500, "paths": ["/v5/oauth/token"]}),
    )
    .await;
    clear_requests(&w.sim).await;
    let (one, two) = two_schedulers(&w, "5000").await;
    until_refreshed(&w, N, std::time::Duration::from_secs(120)).await;
    one.stop().await;
    two.stop().await;
    let (calls, refused) = token_calls(&w.sim).await;
    assert_eq!(
        count(
            &w,
            "select count(*) from connections where refresh_count = 1"
        )
        .await as usize,
        N,
        "every connection refreshed once"
    );
    assert_eq!(calls, N, "one token call per connection, none twice");
    assert_eq!(refused, 0);
    assert_eq!(
        count(
            &w,
            "select count(*) from connections where health <> 'active'"
        )
        .await,
        0
    );
    assert!(
        !w.audit_actions()
            .await
            .iter()
            .any(|a| a == "connection.state_changed"),
        "no spurious state change"
    );
    w.stop().await;
}

/// The refresh benchmark (`scripts/bench-refresh.sh`): two pinbridge processes'
/// schedulers refresh N due connections against pinterest-sim. Prints total
/// time, refreshes per second, and checks that no connection was refreshed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench-refresh.sh"]
async fn bench_scheduler_refreshes_due_connections_on_two_instances() {
    let n: usize = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let w = world().await;
    let seeding = std::time::Instant::now();
    seed_due_connections(&w, n).await;
    let seeded_in = seeding.elapsed();
    clear_requests(&w.sim).await;
    let started = std::time::Instant::now();
    let (one, two) = two_schedulers(&w, "2000").await;
    until_refreshed(&w, n, std::time::Duration::from_secs(900)).await;
    let elapsed = started.elapsed();
    one.stop().await;
    two.stop().await;
    let refreshed = count(
        &w,
        "select count(*) from connections where refresh_count = 1",
    )
    .await;
    let doubled = count(
        &w,
        "select count(*) from connections where refresh_count > 1",
    )
    .await;
    let unhealthy = count(
        &w,
        "select count(*) from connections where health <> 'active'",
    )
    .await;
    let (calls, refused) = token_calls(&w.sim).await;
    println!(
        "bench-refresh backend={:?} connections={n} seeded_in={:.1}s total={:.2}s refreshes_per_s={:.0} token_calls={calls} refused={refused} refreshed_once={refreshed} refreshed_twice_or_more={doubled} not_active={unhealthy}",
        crate::common::backend(),
        seeded_in.as_secs_f64(),
        elapsed.as_secs_f64(),
        refreshed as f64 / elapsed.as_secs_f64(),
    );
    assert_eq!(refreshed as usize, n);
    assert_eq!(doubled, 0, "no connection was refreshed twice");
    assert_eq!(refused, 0);
    assert_eq!(unhealthy, 0);
    w.stop().await;
}

#[tokio::test]
async fn an_outage_or_a_disabled_integration_never_leaves_callers_or_the_scheduler_spinning() {
    use domain::connections::scheduler;
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-11").await;
    let cid = ConnectionId::parse(&id).unwrap();
    let state = w.app.state();
    let set = |sql: &'static str, at: i64| {
        let db = state.db.clone();
        let id = id.clone();
        async move {
            domain::on_pool!(&db, pool => {
                sqlx::query(sql).bind(at).bind(&id).execute(pool).await.map(|_| ())
            })
            .unwrap();
        }
    };
    let now = domain::db::now_ms();
    // Pinterest failing while the token still has a minute: callers get the stored
    // token, the connection is degraded and its refresh retried later.
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/oauth/token"]}),
    )
    .await;
    set(
        "update connections set access_expires_at = $1 where id = $2",
        now + 60_000,
    )
    .await;
    let stored = row(&w.app, &id).await;
    let token = tokens::fresh_access_token(state, &cid)
        .await
        .unwrap()
        .expect("the stored token");
    let expected = open_token(
        &state.keys,
        &stored.workspace_id,
        &stored.id,
        TokenColumn::Access,
        stored.access_token.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(token.expose(), expected.expose());
    let after = row(&w.app, &id).await;
    assert_eq!(after.health, Health::Degraded);
    assert_eq!(after.refresh_failures, 1);
    assert!(after.next_refresh_at.unwrap() >= now + 20_000, "backoff");
    reqwest::Client::new()
        .delete(format!("{}/_sim/faults", w.sim.base_url()))
        .send()
        .await
        .unwrap();
    // The integration turned off: a due refresh is postponed an hour, not retried
    // every round, and Pinterest is not asked.
    w.owner
        .browser
        .call::<app::models::PinterestSettingsView>(
            "pinterest/enable",
            &[
                ("workspace", &w.ws),
                ("environment_id", &w.env_id),
                ("enabled", "false"),
            ],
        )
        .await
        .unwrap();
    set(
        "update connections set next_refresh_at = $1 where id = $2",
        now,
    )
    .await;
    clear_requests(&w.sim).await;
    let first = scheduler::run_round(state, 200).await.unwrap();
    assert_eq!((first.refreshed, first.refresh_failed), (0, 1));
    let second = scheduler::run_round(state, 200).await.unwrap();
    assert_eq!(second.claimed(), 0, "nothing due any more");
    assert!(row(&w.app, &id).await.next_refresh_at.unwrap() >= now + 3_000_000);
    assert_eq!(token_requests(&w.sim).await, 0);
    w.stop().await;
}
