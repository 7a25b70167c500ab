//! The application API (`/v1`) over HTTP against pinterest-sim: API keys and
//! every way one is refused, permissions, tenancy, connect sessions, the
//! connection list, fresh tokens across two instances, checks, disconnecting,
//! the Pinterest proxy and every path escape, rate limits, bad input, and
//! secrets in logs, audit records and answers. Both backends.

use std::time::{Duration, Instant};

use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::api::keys::{self, CreatedKey, KeyInput};
use domain::shared::ApiPermission;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connections::{EndUser, World, connect, query_param, sim_admin, world};
use crate::common::TestApp;

const ALL: [ApiPermission; 7] = ApiPermission::ALL;

pub(super) async fn new_key(
    app: &TestApp,
    ws: &str,
    operator: &str,
    env: &str,
    permissions: &[ApiPermission],
    rate_limit: i64,
) -> CreatedKey {
    let state = app.state();
    let actor = actor_in(
        &state.db,
        &WorkspaceId::parse(ws).unwrap(),
        &OperatorId::parse(operator).unwrap(),
    )
    .await
    .unwrap();
    keys::create(
        state,
        &actor,
        &EnvironmentId::parse(env).unwrap(),
        KeyInput {
            name: "Backend".into(),
            permissions: permissions.to_vec(),
            expires_in_days: None,
            rate_limit,
            end_user_id: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap()
}

async fn key(w: &World, permissions: &[ApiPermission]) -> String {
    new_key(
        &w.app,
        &w.ws,
        &w.owner.operator_id,
        &w.env_id,
        permissions,
        100_000,
    )
    .await
    .key
    .expose()
    .to_owned()
}

struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Got {
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Got {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn problem(got: &Got, status: StatusCode, kind: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    assert_eq!(
        got.headers["content-type"], "application/problem+json",
        "{}",
        got.text
    );
    assert_eq!(
        got.body["type"],
        format!("urn:pinbridge:problem:{kind}"),
        "{}",
        got.text
    );
    assert_eq!(got.body["status"], status.as_u16());
    assert!(
        got.body["detail"].as_str().is_some_and(|d| d.len() > 10),
        "{}",
        got.text
    );
}

async fn sim_requests(w: &World) -> Vec<Value> {
    let log = sim_admin(
        &w.sim,
        reqwest::Method::GET,
        "/_sim/requests?limit=10000",
        Value::Null,
    )
    .await;
    log["items"].as_array().unwrap().clone()
}

async fn clear_sim_requests(w: &World) {
    reqwest::Client::new()
        .delete(format!("{}/_sim/requests", w.sim.base_url()))
        .send()
        .await
        .unwrap();
}

async fn audit_details(w: &World) -> String {
    let rows: Vec<(String, String, String)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select action, actor_label || ' ' || target, detail from audit_events where workspace_id = $1")
            .bind(&w.ws)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    format!("{rows:?}")
}

/// Gets the connection's token through the API, then has Pinterest expire it
/// early (pinbridge still thinks it good): the next call is refused, code 2.
async fn expire_at_pinterest(w: &World, id: &str, k: &str) -> String {
    let token = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/access-token"),
        Some(k),
        None,
    )
    .await;
    let access = token.body["access_token"].as_str().unwrap().to_owned();
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/expire",
        json!({"token": access}),
    )
    .await;
    access
}

/// The world's owner, acting in its workspace.
async fn owner_actor(w: &World) -> domain::accounts::Actor {
    actor_in(
        &w.app.state().db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn every_unusable_key_is_refused_with_401_and_says_why() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let good = key(&w, &ALL).await;
    assert!(good.starts_with("pinbridge_dev_"), "Development key");
    let path = format!("/v1/connections/{id}");
    let ok = call(&w.app, reqwest::Method::GET, &path, Some(&good), None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["id"], id);
    assert_eq!(ok.headers["cache-control"], "no-store");
    assert!(ok.headers.contains_key("ratelimit"));
    assert!(ok.headers.contains_key("ratelimit-policy"));

    let missing = call(&w.app, reqwest::Method::GET, &path, None, None).await;
    problem(&missing, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        missing.headers["www-authenticate"],
        "Bearer realm=\"pinbridge\""
    );
    let malformed = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some("sk_live_123"),
        None,
    )
    .await;
    problem(&malformed, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        malformed.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // One character changed: the checksum catches it.
    let mut typo = good.clone().into_bytes();
    let i = typo.len() - 12;
    typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let mistyped = call(&w.app, reqwest::Method::GET, &path, Some(&typo), None).await;
    problem(&mistyped, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        mistyped.body["detail"]
            .as_str()
            .unwrap()
            .contains("checksum")
    );
    // Well-formed with a valid checksum, but never issued.
    let unknown = domain::api::key::NewKey::generate(domain::api::key::KeyKind::Development);
    let got = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(unknown.expose()),
        None,
    )
    .await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        got.body["detail"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    // The scheme is case-insensitive.
    let upper = reqwest::Client::new()
        .get(w.app.url(&path))
        .header("authorization", format!("BEARER {good}"))
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status(), StatusCode::OK);
    // A Basic header is no key either.
    let basic = reqwest::Client::new()
        .get(w.app.url(&path))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    // Revoked: at once on this instance.
    let state = w.app.state();
    let actor = owner_actor(&w).await;
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    let doomed = new_key(&w.app, &w.ws, &w.owner.operator_id, &w.env_id, &ALL, 100).await;
    let works = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(doomed.key.expose()),
        None,
    )
    .await;
    assert_eq!(works.status, StatusCode::OK);
    keys::revoke(state, &actor, &env, &doomed.row.id, &RequestMeta::default())
        .await
        .unwrap();
    let revoked = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(doomed.key.expose()),
        None,
    )
    .await;
    problem(&revoked, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(revoked.body["detail"].as_str().unwrap().contains("revoked"));

    // Expired: a key whose expiry has passed.
    let old = new_key(&w.app, &w.ws, &w.owner.operator_id, &w.env_id, &ALL, 100).await;
    domain::on_pool!(&state.db, pool => {
        sqlx::query("update api_keys set expires_at = $1 where id = $2")
            .bind(domain::db::now_ms() - 1).bind(old.row.id.as_str()).execute(pool).await.map(|_| ())
    })
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(old.key.expose()),
        None,
    )
    .await;
    problem(&expired, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(expired.body["detail"].as_str().unwrap().contains("expired"));
    // Its expiry is audited once, by the maintenance pass.
    domain::api::maintain(state, false).await.unwrap();
    domain::api::maintain(state, false).await.unwrap();
    let expiries: Vec<(String,)> = domain::on_pool!(&state.db, pool => {
        sqlx::query_as("select action from audit_events where action = 'api_key.expired' and workspace_id = $1")
            .bind(&w.ws).fetch_all(pool).await
    })
    .unwrap();
    assert_eq!(expiries.len(), 1);

    // Rotated: the old key works through the grace period, then not.
    let rotating = new_key(&w.app, &w.ws, &w.owner.operator_id, &w.env_id, &ALL, 100).await;
    let next = keys::rotate(
        state,
        &actor,
        &env,
        &rotating.row.id,
        3600,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    for k in [rotating.key.expose(), next.key.expose()] {
        let r = call(&w.app, reqwest::Method::GET, &path, Some(k), None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "both work during the grace period"
        );
    }
    let again = keys::rotate(
        state,
        &actor,
        &env,
        &next.row.id,
        0,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let out = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(next.key.expose()),
        None,
    )
    .await;
    problem(&out, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(out.body["detail"].as_str().unwrap().contains("expired"));
    let newest = call(
        &w.app,
        reqwest::Method::GET,
        &path,
        Some(again.key.expose()),
        None,
    )
    .await;
    assert_eq!(newest.status, StatusCode::OK);
    // Grace beyond 7 days is refused.
    assert!(
        keys::rotate(
            state,
            &actor,
            &env,
            &again.row.id,
            8 * 86_400,
            &RequestMeta::default()
        )
        .await
        .is_err()
    );

    // Every endpoint refuses every unusable key alike, and changes nothing.
    let endpoints = [
        (
            reqwest::Method::POST,
            "/v1/connect-sessions".to_owned(),
            Some(json!({"end_user_id": "x"})),
        ),
        (reqwest::Method::GET, "/v1/connections".to_owned(), None),
        (reqwest::Method::GET, path.clone(), None),
        (reqwest::Method::POST, format!("{path}/access-token"), None),
        (reqwest::Method::POST, format!("{path}/check"), None),
        (reqwest::Method::DELETE, path.clone(), None),
        (
            reqwest::Method::GET,
            format!("{path}/pinterest/user_account"),
            None,
        ),
    ];
    let unusable = [
        None,
        Some("sk_live_123".to_owned()),
        Some(typo.clone()),
        Some(unknown.expose().to_owned()),
        Some(old.key.expose().to_owned()),
        Some(doomed.key.expose().to_owned()),
        Some(next.key.expose().to_owned()),
    ];
    clear_sim_requests(&w).await;
    for (method, endpoint, body) in &endpoints {
        for k in &unusable {
            let got = call(&w.app, method.clone(), endpoint, k.as_deref(), body.clone()).await;
            problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
            assert!(got.headers.contains_key("www-authenticate"), "{endpoint}");
        }
    }
    assert!(
        sim_requests(&w).await.is_empty(),
        "nothing reached Pinterest"
    );
    let still = call(&w.app, reqwest::Method::GET, &path, Some(&good), None).await;
    assert_eq!(still.body["state"], "active");
    let audit = audit_details(&w).await;
    for action in [
        "api_key.created",
        "api_key.rotated",
        "api_key.revoked",
        "api_key.expired",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }
    for k in [
        &good,
        doomed.key.expose(),
        next.key.expose(),
        again.key.expose(),
    ] {
        assert!(!audit.contains(k), "no key in the audit log");
        assert!(!audit.contains(&k[14..]), "no key in the audit log");
    }
    // The database holds hashes only.
    let stored: Vec<(String, String)> = domain::on_pool!(&state.db, pool => {
        sqlx::query_as("select key_hash, last_four from api_keys").fetch_all(pool).await
    })
    .unwrap();
    for (hash, last_four) in stored {
        assert_eq!(hash.len(), 64);
        assert!(!good.contains(&hash));
        assert_eq!(last_four.len(), 4);
    }
    w.stop().await;
}

#[tokio::test]
async fn each_permission_is_enforced() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let cases: [(ApiPermission, reqwest::Method, String, Option<Value>); 7] = [
        (
            ApiPermission::Connect,
            reqwest::Method::POST,
            "/v1/connect-sessions".into(),
            Some(json!({"end_user_id": "user-9"})),
        ),
        (
            ApiPermission::ConnectionsRead,
            reqwest::Method::GET,
            "/v1/connections".into(),
            None,
        ),
        (
            ApiPermission::ConnectionsRead,
            reqwest::Method::GET,
            format!("/v1/connections/{id}"),
            None,
        ),
        (
            ApiPermission::Tokens,
            reqwest::Method::POST,
            format!("/v1/connections/{id}/access-token"),
            None,
        ),
        (
            ApiPermission::Proxy,
            reqwest::Method::GET,
            format!("/v1/connections/{id}/pinterest/user_account"),
            None,
        ),
        (
            ApiPermission::ConnectionsWrite,
            reqwest::Method::POST,
            format!("/v1/connections/{id}/check"),
            None,
        ),
        (
            ApiPermission::ConnectionsWrite,
            reqwest::Method::DELETE,
            format!("/v1/connections/{id}"),
            None,
        ),
    ];
    for (needed, method, path, body) in cases {
        let others: Vec<ApiPermission> = ALL.into_iter().filter(|p| *p != needed).collect();
        let without = key(&w, &others).await;
        let refused = call(&w.app, method.clone(), &path, Some(&without), body.clone()).await;
        problem(&refused, StatusCode::FORBIDDEN, "permission-missing");
        assert_eq!(refused.body["permission"], needed.as_str(), "{path}");
        let with = key(&w, &[needed]).await;
        let allowed = call(&w.app, method, &path, Some(&with), body).await;
        assert!(
            allowed.status.is_success(),
            "{path}: {} {}",
            allowed.status,
            allowed.text
        );
    }
    w.stop().await;
}

#[tokio::test]
async fn keys_see_only_their_environment_and_another_workspace_sees_nothing() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let view = w.owner.browser.workspace(&w.ws).await.unwrap();
    let production = view
        .environments
        .iter()
        .find(|e| e.name == "Production")
        .unwrap()
        .id
        .clone();
    let prod_key = new_key(&w.app, &w.ws, &w.owner.operator_id, &production, &ALL, 1000).await;
    assert!(prod_key.key.expose().starts_with("pinbridge_prod_"));
    let other = crate::common::portal::provision(&w.app, "Rival Pins", "rival@rival.test").await;
    let other_env = other
        .browser
        .workspace(&other.workspace_id)
        .await
        .unwrap()
        .environments[0]
        .id
        .clone();
    let rival = new_key(
        &w.app,
        &other.workspace_id,
        &other.operator_id,
        &other_env,
        &ALL,
        1000,
    )
    .await;
    for k in [prod_key.key.expose(), rival.key.expose()] {
        for (method, path) in [
            (reqwest::Method::GET, format!("/v1/connections/{id}")),
            (
                reqwest::Method::POST,
                format!("/v1/connections/{id}/access-token"),
            ),
            (reqwest::Method::POST, format!("/v1/connections/{id}/check")),
            (
                reqwest::Method::GET,
                format!("/v1/connections/{id}/pinterest/user_account"),
            ),
            (reqwest::Method::DELETE, format!("/v1/connections/{id}")),
        ] {
            let got = call(&w.app, method, &path, Some(k), None).await;
            problem(&got, StatusCode::NOT_FOUND, "not-found");
            assert!(!got.text.contains("demo_pinner"), "no data: {}", got.text);
        }
        let list = call(
            &w.app,
            reqwest::Method::GET,
            "/v1/connections",
            Some(k),
            None,
        )
        .await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.body["data"], json!([]));
    }
    // Still connected: nothing above changed it.
    let mine = key(&w, &ALL).await;
    let got = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}"),
        Some(&mine),
        None,
    )
    .await;
    assert_eq!(got.body["state"], "active");
    w.stop().await;
}

#[tokio::test]
async fn an_application_connects_a_user_gets_tokens_checks_and_disconnects() {
    let w = world().await;
    let k = key(&w, &ALL).await;
    let made = call(
        &w.app,
        reqwest::Method::POST,
        "/v1/connect-sessions",
        Some(&k),
        Some(json!({"end_user_id": "user-77", "display_name": "Ada",
                    "return_url": "https://app.example.com/back"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let url = made.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/connect/", w.app.base)));
    assert!(made.body["expires_at"].as_str().unwrap().ends_with('Z'));
    // A return URL off the allow-list is refused at its field.
    let foreign = call(
        &w.app,
        reqwest::Method::POST,
        "/v1/connect-sessions",
        Some(&k),
        Some(json!({"end_user_id": "user-77", "return_url": "https://evil.example/x"})),
    )
    .await;
    problem(&foreign, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(foreign.body["field"], "return_url");
    // The end user follows the session's link.
    let user = EndUser::new();
    let authorize = user.start(&url).await;
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    let to = done.location.unwrap();
    let id = query_param(&to, "connection_id").unwrap();

    let list = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections?end_user_id=user-77",
        Some(&k),
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    let c = &list.body["data"][0];
    assert_eq!(c["id"], id);
    assert_eq!(c["state"], "active");
    assert_eq!(c["account"]["username"], "demo_pinner");
    assert!(
        c["scopes_granted"]
            .as_array()
            .unwrap()
            .contains(&json!("boards:read"))
    );
    assert!(c["access_token_expires_at"].is_string());
    assert!(list.body["next_cursor"].is_null());
    let filtered = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections?state=revoked",
        Some(&k),
        None,
    )
    .await;
    assert_eq!(filtered.body["data"], json!([]));

    let token = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/access-token"),
        Some(&k),
        Some(json!({"min_valid_secs": 60})),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text);
    assert_eq!(token.headers["cache-control"], "no-store");
    let access = token.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.body["account"]["username"], "demo_pinner");
    assert!(token.body["expires_in"].as_i64().unwrap() > 60);
    // The token works at Pinterest.
    let me = reqwest::Client::new()
        .get(format!("{}/v5/user_account", w.sim.base_url()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The connection's answers never carry a token.
    let one = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}"),
        Some(&k),
        None,
    )
    .await;
    assert!(!one.text.contains(&access));
    assert!(!list.text.contains(&access));

    let checked = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/check"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.body["ran"], true);
    assert_eq!(checked.body["outcome"], "ok");
    assert_eq!(checked.body["connection"]["last_probe"]["outcome"], "ok");

    let gone = call(
        &w.app,
        reqwest::Method::DELETE,
        &format!("/v1/connections/{id}"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    assert_eq!(gone.body["state"], "revoked");
    let twice = call(
        &w.app,
        reqwest::Method::DELETE,
        &format!("/v1/connections/{id}"),
        Some(&k),
        None,
    )
    .await;
    problem(&twice, StatusCode::CONFLICT, "refused");
    let after = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/access-token"),
        Some(&k),
        None,
    )
    .await;
    problem(&after, StatusCode::CONFLICT, "reconnect-required");
    assert_eq!(after.body["state"], "revoked");
    assert!(
        after.body["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/connect-sessions")
    );

    // Audited as the key, never with it.
    let audit = audit_details(&w).await;
    assert!(
        audit.contains("API key \u{201c}Backend\u{201d} (pinbridge_dev_\u{2026}"),
        "{audit}"
    );
    assert!(audit.contains("connection.disconnected"));
    assert!(!audit.contains(&k) && !audit.contains(&access));
    // Calls are counted per connection and key, and requests per key.
    domain::api::maintain(w.app.state(), true).await.unwrap();
    let counted: Vec<(i64, i64)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select token_calls, proxy_calls from connection_api_calls where connection_id = $1")
            .bind(&id).fetch_all(pool).await
    })
    .unwrap();
    assert_eq!(counted, vec![(1, 0)]);
    let (requests, last_used): (i64, Option<i64>) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select request_count, last_used_at from api_keys where permissions like '%proxy%' order by created_at limit 1")
            .fetch_one(pool).await
    })
    .unwrap();
    assert!(requests >= 9, "{requests}");
    assert!(last_used.is_some());
    w.stop().await;
}

#[tokio::test]
async fn cursor_paging_walks_every_connection_once() {
    let w = world().await;
    let k = key(&w, &ALL).await;
    let state = w.app.state();
    let users: Vec<String> = (0..53).map(|i| format!("paged-{i}")).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    domain::testing::insert_connections(
        &state.db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &EnvironmentId::parse(&w.env_id).unwrap(),
        &users,
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/connections?limit=10&cursor={c}"),
            None => "/v1/connections?limit=10".to_owned(),
        };
        let page = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for c in page.body["data"].as_array().unwrap() {
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_owned()),
                "no repeats"
            );
        }
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 53);
    assert_eq!(pages, 6);
    w.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_token_calls_on_two_instances_make_one_refresh() {
    let w = world().await;
    let flags = super::connections::sim_flags(&w.sim);
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let second = TestApp::spawn_sharing(&w.app, &refs).await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-7").await;
    let k = key(&w, &ALL).await;
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set access_expires_at = $1 where id = $2")
            .bind(domain::db::now_ms() + 1000).bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    clear_sim_requests(&w).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let base = if i % 2 == 0 {
            w.app.base.clone()
        } else {
            second.base.clone()
        };
        let (k, id) = (k.clone(), id.clone());
        tasks.spawn(async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/v1/connections/{id}/access-token"))
                .bearer_auth(k)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    }
    let mut got = Vec::new();
    while let Some(t) = tasks.join_next().await {
        got.push(t.unwrap());
    }
    assert!(got.iter().all(|t| t == &got[0]), "one new token for all");
    let refreshes = sim_requests(&w)
        .await
        .iter()
        .filter(|r| r["path"] == "/v5/oauth/token")
        .count();
    assert_eq!(refreshes, 1, "exactly one refresh reached Pinterest");
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn revoking_is_seen_by_another_instance_within_two_seconds() {
    let w = world().await;
    let second = TestApp::spawn_sharing(&w.app, &[]).await;
    let doomed = new_key(&w.app, &w.ws, &w.owner.operator_id, &w.env_id, &ALL, 1000).await;
    let k = doomed.key.expose().to_owned();
    // The second instance has the key cached.
    let ok = call(
        &second,
        reqwest::Method::GET,
        "/v1/connections",
        Some(&k),
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let state = w.app.state();
    let actor = owner_actor(&w).await;
    keys::revoke(
        state,
        &actor,
        &EnvironmentId::parse(&w.env_id).unwrap(),
        &doomed.row.id,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let revoked_at = Instant::now();
    let here = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections",
        Some(&k),
        None,
    )
    .await;
    assert_eq!(
        here.status,
        StatusCode::UNAUTHORIZED,
        "at once where revoked"
    );
    loop {
        let there = call(
            &second,
            reqwest::Method::GET,
            "/v1/connections",
            Some(&k),
            None,
        )
        .await;
        if there.status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(2),
            "the second instance still accepts the key after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(revoked_at.elapsed() < Duration::from_secs(2));
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn the_proxy_pages_through_every_board_and_pin() {
    let w = super::connections::world_with_scopes(&[
        "user_accounts:read",
        "boards:read",
        "boards:write",
        "pins:read",
    ])
    .await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/users/demo_pinner/boards",
        json!({"boards": (0..7).map(|i| json!({"name": format!("Board {i}"), "pins": 4})).collect::<Vec<_>>()}),
    )
    .await;
    let k = key(&w, &[ApiPermission::Proxy]).await;
    let mut boards = Vec::new();
    let mut bookmark: Option<String> = None;
    loop {
        let path = match &bookmark {
            Some(b) => format!("/v1/connections/{id}/pinterest/boards?page_size=3&bookmark={b}"),
            None => format!("/v1/connections/{id}/pinterest/boards?page_size=3"),
        };
        let page = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.headers.contains_key("x-pinterest-rid"));
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        for b in page.body["items"].as_array().unwrap() {
            boards.push(b["id"].as_str().unwrap().to_owned());
        }
        match page.body["bookmark"].as_str() {
            Some(b) if !b.is_empty() => bookmark = Some(b.to_owned()),
            _ => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = boards.iter().collect();
    assert!(unique.len() >= 7, "{}", unique.len());
    assert_eq!(unique.len(), boards.len());
    let mut pins = 0;
    for b in &boards {
        let mut bookmark: Option<String> = None;
        loop {
            let path = match &bookmark {
                Some(m) => format!(
                    "/v1/connections/{id}/pinterest/boards/{b}/pins?page_size=2&bookmark={m}"
                ),
                None => format!("/v1/connections/{id}/pinterest/boards/{b}/pins?page_size=2"),
            };
            let page = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            pins += page.body["items"].as_array().unwrap().len();
            match page.body["bookmark"].as_str() {
                Some(m) if !m.is_empty() => bookmark = Some(m.to_owned()),
                _ => break,
            }
        }
    }
    assert!(pins >= 28, "{pins}");
    // Writes pass through too: create a board, then delete it.
    let made = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/pinterest/boards"),
        Some(&k),
        Some(json!({"name": "Made through pinbridge"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let board = made.body["id"].as_str().unwrap();
    assert_eq!(
        made.body["name"], "Made through pinbridge",
        "the body went through"
    );
    let patched = reqwest::Client::new()
        .patch(
            w.app
                .url(&format!("/v1/connections/{id}/pinterest/boards/{board}")),
        )
        .bearer_auth(&k)
        .json(&json!({"description": "patched"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let deleted = call(
        &w.app,
        reqwest::Method::DELETE,
        &format!("/v1/connections/{id}/pinterest/boards/{board}"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    // Pinterest's errors pass through as they are.
    let missing = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}/pinterest/boards/{board}"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body["code"].is_number(), "{}", missing.text);
    w.stop().await;
}

/// Sends a request line as it is (no client normalises the path).
async fn raw_get(app: &TestApp, path: &str, key: &str) -> (u16, String) {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn every_path_escape_is_refused_before_pinterest_is_called() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &[ApiPermission::Proxy]).await;
    let base = format!("/v1/connections/{id}/pinterest/");
    clear_sim_requests(&w).await;
    for escape in [
        "../oauth/token",
        "..%2foauth%2ftoken",
        "%2e%2e/oauth/token",
        "%2E%2E%2F%2E%2E%2F_sim/state",
        "boards/../../_sim/state",
        "boards%2f..%2f..%2f_sim%2fstate",
        "/_sim/state",
        "//evil.example/v5/boards",
        "@evil.example/boards",
        "user@evil.example/boards",
        "..\\_sim\\state",
        "boards\\..\\..\\_sim",
        "http://evil.example/boards",
        "https:%2f%2fevil.example",
        "./user_account",
        "boards/%2e%2e",
        "user_account%00",
    ] {
        let (status, text) = raw_get(&w.app, &format!("{base}{escape}"), &k).await;
        assert!((400..500).contains(&status), "{escape}: {status}\n{text}");
        assert!(
            !text.contains("demo_pinner"),
            "{escape} reached Pinterest: {text}"
        );
    }
    assert!(
        sim_requests(&w).await.is_empty(),
        "no request reached the simulator"
    );
    // And a plain path does reach it.
    let (status, _) = raw_get(&w.app, &format!("{base}user_account"), &k).await;
    assert_eq!(status, 200);
    let log = sim_requests(&w).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["path"], "/v5/user_account");
    w.stop().await;
}

#[tokio::test]
async fn a_401_from_pinterest_refreshes_once_and_retries() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &ALL).await;
    // Pinterest expires the token early; pinbridge still thinks it is good.
    expire_at_pinterest(&w, &id, &k).await;
    clear_sim_requests(&w).await;
    let me = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}/pinterest/user_account"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["username"], "demo_pinner");
    let log = sim_requests(&w).await;
    let paths: Vec<&str> = log.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["/v5/user_account", "/v5/oauth/token", "/v5/user_account"],
        "refused, one refresh, one retry"
    );
    // Caller headers outside the allow-list never reach Pinterest.
    clear_sim_requests(&w).await;
    let res = reqwest::Client::new()
        .get(
            w.app
                .url(&format!("/v1/connections/{id}/pinterest/user_account")),
        )
        .bearer_auth(&k)
        .header("cookie", "pinbridge_session=abc")
        .header("x-forwarded-for", "10.0.0.1")
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let seen = sim_requests(&w).await;
    let seen = seen[0].to_string();
    assert!(
        !seen.contains(&k),
        "the caller's key never reaches Pinterest"
    );
    assert!(!seen.contains("pinbridge_session"));
    // A 401 for another reason (code 3: missing scope) passes through as it
    // is, with no refresh.
    clear_sim_requests(&w).await;
    let refused = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/pinterest/boards"),
        Some(&k),
        Some(json!({"name": "no write scope"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert_eq!(refused.body["code"], 3);
    assert!(!refused.headers.contains_key("www-authenticate"));
    let paths: Vec<String> = sim_requests(&w)
        .await
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["/v5/boards"]);
    w.stop().await;
}

#[tokio::test]
async fn pinterest_rate_limits_and_timeouts_are_answered_honestly() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &ALL).await;
    let path = format!("/v1/connections/{id}/pinterest/user_account");
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"rate_limit": {"requests": 1, "window_ms": 60000, "retry_after": true},
               "paths": ["/v5/user_account"]}),
    )
    .await;
    let first = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let limited = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert!(
        limited.headers.contains_key("retry-after"),
        "{:?}",
        limited.headers
    );
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"latency_ms": 3000, "paths": ["/v5/user_account"]}),
    )
    .await;
    let slow = call(&w.app, reqwest::Method::GET, &path, Some(&k), None).await;
    problem(&slow, StatusCode::GATEWAY_TIMEOUT, "pinterest-timeout");
    w.stop().await;
}

#[tokio::test]
async fn each_key_has_its_own_rate_limit_answered_with_429_and_headers() {
    let w = world().await;
    let small = new_key(&w.app, &w.ws, &w.owner.operator_id, &w.env_id, &ALL, 3).await;
    let k = small.key.expose();
    for remaining in [2, 1, 0] {
        let ok = call(
            &w.app,
            reqwest::Method::GET,
            "/v1/connections",
            Some(k),
            None,
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.headers["ratelimit-policy"], "\"per-key\";q=3;w=60");
        assert!(
            ok.headers["ratelimit"]
                .to_str()
                .unwrap()
                .starts_with(&format!("\"per-key\";r={remaining};t=")),
            "{:?}",
            ok.headers["ratelimit"]
        );
    }
    let refused = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections",
        Some(k),
        None,
    )
    .await;
    problem(&refused, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    // Another key is not affected.
    let other = key(&w, &ALL).await;
    let ok = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    w.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_precise_problem_and_changes_nothing() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &ALL).await;
    let before = audit_details(&w).await;
    let client = reqwest::Client::new();
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Got {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    };
    let sessions = w.app.url("/v1/connect-sessions");
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .header("content-type", "application/json")
            .body("{\"end_user_id\": "),
    )
    .await;
    problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .header("content-type", "text/plain")
            .body("end_user_id=1"),
    )
    .await;
    problem(
        &got,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let got = send(client.post(&sessions).bearer_auth(&k).body("{}")).await;
    problem(
        &got,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .json(&json!({"end_user_id": "u", "admin": true})),
    )
    .await;
    problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
    assert!(
        got.body["detail"].as_str().unwrap().contains("admin"),
        "{}",
        got.text
    );
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .json(&json!({"end_user_id": 5})),
    )
    .await;
    problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
    assert_eq!(got.body["field"], "end_user_id");
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .json(&json!({"end_user_id": ""})),
    )
    .await;
    problem(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    assert_eq!(got.body["field"], "end_user_id");
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .json(&json!({"end_user_id": "x".repeat(201)})),
    )
    .await;
    problem(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    let huge = format!("{{\"end_user_id\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let got = send(
        client
            .post(&sessions)
            .bearer_auth(&k)
            .header("content-type", "application/json")
            .body(huge),
    )
    .await;
    problem(&got, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    for (query, kind, status) in [
        (
            "cursor=bm90LWEtY3Vyc29y",
            "invalid-field",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "cursor=%%%",
            "invalid-field",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("limit=0", "invalid-field", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "limit=101",
            "invalid-field",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("limit=ten", "malformed-request", StatusCode::BAD_REQUEST),
        (
            "state=sleeping",
            "malformed-request",
            StatusCode::BAD_REQUEST,
        ),
        ("owner=me", "malformed-request", StatusCode::BAD_REQUEST),
    ] {
        let got = call(
            &w.app,
            reqwest::Method::GET,
            &format!("/v1/connections?{query}"),
            Some(&k),
            None,
        )
        .await;
        problem(&got, status, kind);
    }
    for bad in ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"] {
        let got = call(
            &w.app,
            reqwest::Method::GET,
            &format!("/v1/connections/{bad}"),
            Some(&k),
            None,
        )
        .await;
        problem(&got, StatusCode::NOT_FOUND, "not-found");
        assert!(got.body["detail"].as_str().unwrap().contains("UUID"));
    }
    let unknown = uuid::Uuid::new_v4();
    let got = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{unknown}"),
        Some(&k),
        None,
    )
    .await;
    problem(&got, StatusCode::NOT_FOUND, "not-found");
    let got = call(
        &w.app,
        reqwest::Method::POST,
        &format!("/v1/connections/{id}/access-token"),
        Some(&k),
        Some(json!({"min_valid_secs": 999999})),
    )
    .await;
    problem(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field");
    let got = call(
        &w.app,
        reqwest::Method::GET,
        "/v1/nothing-here",
        Some(&k),
        None,
    )
    .await;
    problem(&got, StatusCode::NOT_FOUND, "not-found");
    let got = call(
        &w.app,
        reqwest::Method::PUT,
        "/v1/connections",
        Some(&k),
        None,
    )
    .await;
    problem(&got, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    let got = call(
        &w.app,
        reqwest::Method::PUT,
        &format!("/v1/connections/{id}/pinterest/boards"),
        Some(&k),
        None,
    )
    .await;
    assert!(got.status.is_client_error(), "{}", got.text);
    // The proxy takes at most 1 MiB, refused before Pinterest is called.
    clear_sim_requests(&w).await;
    let big = send(
        client
            .post(w.app.url(&format!("/v1/connections/{id}/pinterest/boards")))
            .bearer_auth(&k)
            .header("content-type", "application/json")
            .body(vec![b' '; 1024 * 1024 + 1]),
    )
    .await;
    problem(&big, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert!(sim_requests(&w).await.is_empty());
    // Nothing changed: no new audit record, the connection as it was.
    assert_eq!(audit_details(&w).await, before);
    let still = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(still.body["state"], "active");
    w.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_lists_every_endpoint() {
    let w = world().await;
    let doc = call(&w.app, reqwest::Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/connect-sessions",
        "/connections",
        "/connections/{id}",
        "/connections/{id}/access-token",
        "/connections/{id}/check",
        "/connections/{id}/pinterest/{path}",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    assert!(doc.body["components"]["schemas"]["AccessToken"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["api_key"].is_object());
    let kinds = doc.body["x-problem-types"].as_array().unwrap();
    assert!(
        kinds
            .iter()
            .any(|k| k["type"] == "urn:pinbridge:problem:reconnect-required")
    );
    w.stop().await;
}

#[tokio::test]
async fn no_token_key_or_secret_reaches_a_log_line() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &ALL).await;
    // Pinterest expires the token early; pinbridge still thinks it is good.
    let access = expire_at_pinterest(&w, &id, &k).await;
    let me = call(
        &w.app,
        reqwest::Method::GET,
        &format!("/v1/connections/{id}/pinterest/user_account"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    let refreshed = super::connections::row(&w.app, &id).await;
    let state = w.app.state();
    let new_access = domain::connections::open_token(
        &state.keys,
        &refreshed.workspace_id,
        &refreshed.id,
        domain::connections::TokenColumn::Access,
        refreshed.access_token.as_ref().unwrap(),
    )
    .unwrap();
    let new_refresh = domain::connections::open_token(
        &state.keys,
        &refreshed.workspace_id,
        &refreshed.id,
        domain::connections::TokenColumn::Refresh,
        refreshed.refresh_token.as_ref().unwrap(),
    )
    .unwrap();
    // Bad keys are logged as refused, never as they were.
    let mut typo = k.clone();
    typo.push('x');
    call(
        &w.app,
        reqwest::Method::GET,
        "/v1/connections",
        Some(&typo),
        None,
    )
    .await;
    domain::api::maintain(state, true).await.unwrap();
    let logs = crate::common::logs::captured();
    for secret in [
        k.as_str(),
        &k[14..40],
        typo.as_str(),
        access.as_str(),
        new_access.expose(),
        new_refresh.expose(),
        super::connections::APP_SECRET,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    let audit = audit_details(&w).await;
    for secret in [
        k.as_str(),
        access.as_str(),
        new_access.expose(),
        new_refresh.expose(),
    ] {
        assert!(!audit.contains(secret));
    }
    w.stop().await;
}

#[tokio::test]
async fn the_connection_page_shows_how_to_call_it_and_the_calls_each_key_made() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-1").await;
    let k = key(&w, &ALL).await;
    for _ in 0..2 {
        let t = call(
            &w.app,
            reqwest::Method::POST,
            &format!("/v1/connections/{id}/access-token"),
            Some(&k),
            None,
        )
        .await;
        assert_eq!(t.status, StatusCode::OK);
    }
    for _ in 0..3 {
        let p = call(
            &w.app,
            reqwest::Method::GET,
            &format!("/v1/connections/{id}/pinterest/user_account"),
            Some(&k),
            None,
        )
        .await;
        assert_eq!(p.status, StatusCode::OK);
    }
    domain::api::maintain(w.app.state(), false).await.unwrap();
    let detail = w.detail(&id).await;
    assert_eq!(detail.api_base, w.app.base);
    assert_eq!(detail.api_calls.len(), 1);
    let calls = &detail.api_calls[0];
    assert_eq!((calls.token_calls, calls.proxy_calls), (2, 3));
    assert_eq!(calls.name, "Backend");
    assert!(calls.visible.starts_with("pinbridge_dev_"));
    assert!(calls.visible.len() < 30, "only the visible part");
    let page = w
        .owner
        .browser
        .page(&format!("/w/{}/e/{}/connections/{id}", w.ws, w.env_slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Use from your application"));
    assert!(
        page.body
            .contains(&format!("{}/v1/connections/{id}/access-token", w.app.base))
    );
    assert!(page.body.contains(&format!(
        "{}/v1/connections/{id}/pinterest/user_account",
        w.app.base
    )));
    assert!(!page.body.contains(&k), "never the key");
    w.stop().await;
}
