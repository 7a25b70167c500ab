//! The connect flow's defences, over HTTP against pinterest-sim: no connect
//! token in the request log, no credential Pinterest echoes kept anywhere,
//! `/readyz` without driver text, the cross-site check on "Continue to
//! Pinterest", the return origin and the link's expiry checked again at the
//! callback, and at most five open attempts per link. Runs on SQLite and
//! PostgreSQL (`PINBRIDGE_TEST_BACKEND`).

use domain::connections::handshake::MAX_OPEN_STATES;
use domain::connections::{TokenColumn, open_token, tokens};
use reqwest::StatusCode;
use reqwest::header::{HeaderValue, ORIGIN};
use serde_json::{Value, json};

use super::connections::{
    APP_ID, APP_SECRET, EndUser, RETURN, World, connect, query_param, row, sim_admin, world,
};
use crate::common::TestApp;
use crate::common::logs::captured;

/// The token in a connect link's URL.
fn token_of(link_url: &str) -> String {
    link_url.rsplit('/').next().unwrap().to_owned()
}

/// The environment's outstanding (unused, unexpired) OAuth states.
async fn open_states(w: &World) -> i64 {
    let (n,): (i64,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as(
            "select count(*) from oauth_states where workspace_id = $1 and used_at is null and expires_at > $2",
        )
        .bind(&w.ws)
        .bind(domain::db::now_ms())
        .fetch_one(pool)
        .await
    })
    .unwrap();
    n
}

/// Every audit record's detail in the workspace, as text.
async fn audit_details(w: &World) -> String {
    let rows: Vec<(String, String)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select action, detail from audit_events where workspace_id = $1")
            .bind(&w.ws)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    rows.into_iter()
        .map(|(a, d)| format!("{a} {d}\n"))
        .collect()
}

async fn set_origins(w: &World, origins: &str) {
    let saved: Vec<String> = w
        .owner
        .browser
        .call(
            "connections/origins",
            &[
                ("workspace", &w.ws),
                ("environment_id", &w.env_id),
                ("origins", origins),
            ],
        )
        .await
        .unwrap();
    assert!(!saved.is_empty());
}

#[tokio::test]
async fn the_request_log_shows_route_templates_never_a_connect_token() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-log", RETURN).await.unwrap();
    let token = token_of(&link.url);
    let authorize = user.start(&link.url).await; // GET and POST /connect/{token}
    // A path no route matches still carries no token.
    let stray = user.get(&format!("{}/extra", link.url)).await;
    assert_eq!(stray.status, StatusCode::NOT_FOUND);
    // The way back: its query (code, state) never reaches the log either.
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let code = query_param(&callback, "code").unwrap();
    let state = query_param(&callback, "state").unwrap();
    let logs = captured();
    assert!(
        logs.contains("path=/connect/{token}"),
        "the route template is logged"
    );
    assert!(logs.contains("path=/integration-callback"));
    for secret in [&token, &code, &state] {
        assert!(!logs.contains(secret.as_str()), "{secret} was logged");
    }
    w.stop().await;
}

#[tokio::test]
async fn credentials_pinterest_echoes_reach_no_reason_audit_record_log_or_page() {
    let w = world().await;
    let user = EndUser::new();
    let (id, _) = connect(&w, &user, "user-echo").await;
    let r = row(&w.app, &id).await;
    let refresh_token = open_token(
        &w.app.state().keys,
        &r.workspace_id,
        &r.id,
        TokenColumn::Refresh,
        r.refresh_token.as_deref().unwrap(),
    )
    .unwrap();
    let refresh_token = refresh_token.expose().to_owned();
    // The simulator's careless token endpoint: refusals repeat the form.
    let echo = |status: u16| {
        json!({"error_rate": 1.0, "error_statuses": [status], "error_body": "echo",
               "paths": ["/v5/oauth/token"]})
    };
    let faults = format!("/_sim/apps/{APP_ID}/faults");
    sim_admin(&w.sim, reqwest::Method::PUT, &faults, echo(400)).await;
    // It really does repeat what it is sent.
    let raw: Value = reqwest::Client::new()
        .post(format!("{}/v5/oauth/token", w.sim.base_url()))
        .basic_auth(APP_ID, Some(APP_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "pinr.probe"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        raw["message"]
            .as_str()
            .unwrap()
            .contains("refresh_token=pinr.probe"),
        "{raw}"
    );

    // A refresh refused with the refresh token in Pinterest's message.
    let outcome = tokens::refresh_now(w.app.state(), &r).await.unwrap();
    let Some(tokens::Refreshed::Rejected { reason }) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(reason.contains("[redacted]"), "{reason}");
    let detail = w.detail(&id).await;
    assert!(
        detail.row.reason.contains("[redacted]"),
        "{}",
        detail.row.reason
    );

    // A code exchange refused (400) and failing (503) with the code in the message.
    let mut codes = Vec::new();
    for (end_user, status, page_status) in [
        ("user-echo-2", 400, StatusCode::BAD_GATEWAY),
        ("user-echo-3", 503, StatusCode::BAD_GATEWAY),
    ] {
        sim_admin(&w.sim, reqwest::Method::PUT, &faults, echo(status)).await;
        let link = w.link(end_user, RETURN).await.unwrap();
        let authorize = user.start(&link.url).await;
        let callback = user.consent(&authorize, "allow").await;
        let code = query_param(&callback, "code").unwrap();
        let reply = user.get(&callback).await;
        assert_eq!(reply.status, page_status, "{}", reply.body);
        assert!(!reply.body.contains(&code), "{}", reply.body);
        codes.push(code);
    }

    let page = w
        .owner
        .browser
        .page(&format!("/w/{}/e/{}/connections/{id}", w.ws, w.env_slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("[redacted]"),
        "the reason is on the page"
    );
    let audit = audit_details(&w).await;
    let probes: Vec<(Option<String>,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select error_message from connection_probes where workspace_id = $1")
            .bind(&w.ws)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let row = row(&w.app, &id).await;
    let stored = format!(
        "{} {:?} {:?}",
        row.health_reason, row.last_refresh_error, probes
    );
    let logs = captured();
    for secret in std::iter::once(&refresh_token).chain(&codes) {
        for (place, text) in [
            ("the health reason", &reason),
            ("the detail view", &detail.row.reason),
            ("the connection page", &page.body),
            ("the audit log", &audit),
            ("the stored row", &stored),
            ("the logs", &logs),
        ] {
            assert!(!text.contains(secret.as_str()), "{place} holds {secret}");
        }
    }
    w.stop().await;
}

#[tokio::test]
async fn readiness_with_the_database_gone_says_so_in_general_words() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_text("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.state().db.close().await;
    let (status, body) = app.get_text("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer,
        json!({"status": "unavailable", "reason": "database unreachable"})
    );
    // The driver's own words are for the operator's log.
    assert!(captured().contains("closed pool"), "the detail is logged");
    assert!(!body.contains("pool"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn continue_to_pinterest_from_another_site_is_refused_and_starts_nothing() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-csrf", RETURN).await.unwrap();
    let page = user.get(&link.url).await;
    assert_eq!(page.status, StatusCode::OK);
    let cases: Vec<(&str, HeaderValue, &str)> = vec![
        (
            "sec-fetch-site",
            HeaderValue::from_static("cross-site"),
            "came from another site and was refused",
        ),
        (
            ORIGIN.as_str(),
            HeaderValue::from_static("https://evil.example"),
            "came from https://evil.example",
        ),
        (
            ORIGIN.as_str(),
            HeaderValue::from_static("null"),
            "came from null",
        ),
        (
            ORIGIN.as_str(),
            HeaderValue::from_bytes(b"https://\xffbad").unwrap(),
            "came from invalid",
        ),
    ];
    for (name, value, words) in cases {
        let reply = user
            .send(user.client.post(&link.url).header(name, value.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{name}: {}",
            reply.body
        );
        assert!(reply.body.contains(words), "{name}: {}", reply.body);
        assert_eq!(reply.location, None);
        assert_eq!(open_states(&w).await, 0, "{name}: no state was created");
    }
    // The same press from pinbridge's own page goes through.
    for (name, value) in [
        ("sec-fetch-site", "same-origin".to_owned()),
        (ORIGIN.as_str(), w.app.base.clone()),
    ] {
        let reply = user
            .send(user.client.post(&link.url).header(name, value))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            reply.body
        );
    }
    assert_eq!(open_states(&w).await, 2);
    w.stop().await;
}

#[tokio::test]
async fn removing_a_return_origin_stops_links_already_issued() {
    let w = world().await;
    let user = EndUser::new();
    let on_its_way = w.link("user-origin", RETURN).await.unwrap();
    let unopened = w.link("user-origin-2", RETURN).await.unwrap();
    let authorize = user.start(&on_its_way.url).await;
    set_origins(&w, "http://127.0.0.1:9").await;
    // Back from Pinterest: refused, nothing stored, nobody sent to the removed origin.
    let callback = user.consent(&authorize, "allow").await;
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(reply.location, None);
    assert!(
        reply.body.contains("can no longer be used"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("app.example.com"), "{}", reply.body);
    assert_eq!(w.count().await, 0);
    // A link not yet opened says so at once, and starts nothing.
    let page = user.get(&unopened.url).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(
        page.body.contains("no longer allows this link"),
        "{}",
        page.body
    );
    let before = open_states(&w).await;
    let press = user.send(user.client.post(&unopened.url)).await;
    assert_eq!(press.status, StatusCode::FORBIDDEN, "{}", press.body);
    assert_eq!(open_states(&w).await, before);
    // Allowed again, the link works again.
    set_origins(&w, "https://app.example.com").await;
    let authorize = user.start(&unopened.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        done.location
            .unwrap()
            .starts_with("https://app.example.com/")
    );
    w.stop().await;
}

#[tokio::test]
async fn a_callback_after_the_link_expired_is_refused() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-late", RETURN).await.unwrap();
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    // The link expires while the end user is on Pinterest (the state has not).
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connect_links set expires_at = $1 where workspace_id = $2")
            .bind(domain::db::now_ms() - 1)
            .bind(&w.ws)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::GONE, "{}", reply.body);
    assert!(
        reply.body.contains("expired while you were on Pinterest"),
        "{}",
        reply.body
    );
    assert_eq!(reply.location, None);
    assert_eq!(w.count().await, 0);
    assert!(audit_details(&w).await.contains("link_expired"));
    w.stop().await;
}

#[tokio::test]
async fn a_link_keeps_five_open_attempts_and_the_oldest_give_way() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("user-many", RETURN).await.unwrap();
    let mut started = Vec::new();
    for _ in 0..MAX_OPEN_STATES + 3 {
        started.push(user.start(&link.url).await);
        assert!(open_states(&w).await <= MAX_OPEN_STATES);
    }
    assert_eq!(open_states(&w).await, MAX_OPEN_STATES);
    // The oldest attempt was invalidated: coming back with it is refused.
    let callback = user.consent(&started[0], "allow").await;
    let reply = user.get(&callback).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        reply.body.contains("replaced by a newer attempt"),
        "{}",
        reply.body
    );
    assert_eq!(w.count().await, 0);
    // The newest works.
    let callback = user.consent(started.last().unwrap(), "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(w.count().await, 1);
    w.stop().await;
}
