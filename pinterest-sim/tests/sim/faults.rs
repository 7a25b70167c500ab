//! Fault injection, driven through the admin API as a test suite would:
//! latency, a share of 5xx, a per-token rate limit, hung responses, and
//! "Pinterest is down" both as 503 and as refused connections.

use std::time::{Duration, Instant};

use crate::support::*;
use pinterest_sim::RunningSim;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn set_faults(sim: &RunningSim, path: &str, faults: Value) {
    let response = admin(sim, Method::PUT, path, Some(faults)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
}

async fn clear(sim: &RunningSim) {
    assert_eq!(
        admin(sim, Method::DELETE, "/_sim/faults", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

async fn second_app_token(sim: &RunningSim) -> String {
    let created = admin(
        sim,
        Method::POST,
        "/_sim/apps",
        Some(json!({"id": "7200001", "secret": "x", "tier": "standard", "redirect_uris": ["http://127.0.0.1:9/cb"]})),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let minted = admin(
        sim,
        Method::POST,
        "/_sim/tokens",
        Some(json!({"client_id": "7200001", "username": "demo_pinner", "scopes": ALL_READ})),
    )
    .await;
    let body: Value = minted.json().await.unwrap();
    body["items"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn latency_is_added_globally_or_per_app() {
    let sim = start().await;
    let token = mint_demo(&sim, ALL_READ);
    let other = second_app_token(&sim).await;
    let timed = |token: String| {
        let sim = &sim;
        async move {
            let started = Instant::now();
            let status = get(sim, &token, "/v5/user_account").await.status();
            (status, started.elapsed())
        }
    };
    set_faults(&sim, "/_sim/faults", json!({"latency_ms": 800})).await;
    let (status, took) = timed(token.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        took >= Duration::from_millis(800),
        "global latency: {took:?}"
    );

    clear(&sim).await;
    set_faults(
        &sim,
        "/_sim/apps/7200001/faults",
        json!({"latency_ms": 800}),
    )
    .await;
    let (_, fast) = timed(token.clone()).await;
    let (_, slow) = timed(other.clone()).await;
    assert!(
        fast < Duration::from_millis(600),
        "the demo app is not delayed: {fast:?}"
    );
    assert!(
        slow >= Duration::from_millis(800),
        "the second app is: {slow:?}"
    );

    // Per-app faults replace the global ones for that app.
    set_faults(&sim, "/_sim/faults", json!({"error_rate": 1.0})).await;
    assert_eq!(
        get(&sim, &token, "/v5/user_account").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        get(&sim, &other, "/v5/user_account").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        admin(&sim, Method::DELETE, "/_sim/apps/7200001/faults", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&sim, &other, "/v5/user_account").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn a_share_of_requests_fail_with_5xx() {
    let sim = start().await;
    let token = mint_demo(&sim, ALL_READ);
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"error_rate": 0.5, "error_statuses": [502, 503]}),
    )
    .await;
    let mut failed = 0;
    for _ in 0..200 {
        let response = get(&sim, &token, "/v5/user_account").await;
        match response.status().as_u16() {
            200 => {}
            status @ (502 | 503) => {
                failed += 1;
                expect_error(response, status, i64::from(status)).await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (40..=160).contains(&failed),
        "about half fail: {failed}/200"
    );

    set_faults(
        &sim,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_body": "html", "error_statuses": [502]}),
    )
    .await;
    let response = get(&sim, &token, "/v5/user_account").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_body": "empty"}),
    )
    .await;
    let response = get(&sim, &token, "/v5/user_account").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.bytes().await.unwrap().is_empty());
    clear(&sim).await;
    assert_eq!(
        get(&sim, &token, "/v5/user_account").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_echoing_refusal_repeats_what_was_sent() {
    let sim = start().await;
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_body": "echo", "error_statuses": [400],
               "paths": ["/v5/oauth/token"]}),
    )
    .await;
    let response = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "pinr.abc+/="),
        ],
    )
    .await;
    let body = expect_error(response, 400, 400).await;
    assert_eq!(
        body["message"],
        "Invalid request: grant_type=refresh_token refresh_token=pinr.abc+/="
    );
    assert_eq!(body["status"], "failure");
    // Other paths are untouched.
    let token = mint_demo(&sim, ALL_READ);
    assert_eq!(
        get(&sim, &token, "/v5/user_account").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn rate_limit_is_real_and_per_token() {
    let sim = start().await;
    let first = mint_demo(&sim, ALL_READ);
    let second = mint_demo(&sim, ALL_READ);
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"rate_limit": {"requests": 5, "window_ms": 3000}}),
    )
    .await;
    for i in 0..5 {
        assert_eq!(
            get(&sim, &first, "/v5/user_account").await.status(),
            StatusCode::OK,
            "request {i}"
        );
    }
    let limited = get(&sim, &first, "/v5/pins").await;
    assert!(
        limited.headers().get("retry-after").is_none(),
        "no Retry-After unless asked"
    );
    let body = expect_error(limited, 429, 8).await;
    assert!(body["message"].as_str().unwrap().contains("rate limit"));
    assert_eq!(
        get(&sim, &second, "/v5/user_account").await.status(),
        StatusCode::OK,
        "another token is not limited"
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        get(&sim, &first, "/v5/user_account").await.status(),
        StatusCode::OK,
        "a new window"
    );

    // The token endpoint counts per client, and Retry-After can be switched on.
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"rate_limit": {"requests": 1, "window_ms": 60000, "retry_after": true}, "paths": ["/v5/oauth/token"]}),
    )
    .await;
    let refresh = mint(&sim, "demo_pinner", ALL_READ).refresh_token;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    assert_eq!(
        token_request(&sim, &demo_basic(), &form).await.status(),
        StatusCode::OK
    );
    let limited = token_request(&sim, &demo_basic(), &form).await;
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body = expect_error(limited, 429, 8).await;
    assert_eq!(body["status"], "failure");
    assert_eq!(
        get(&sim, &first, "/v5/user_account").await.status(),
        StatusCode::OK,
        "paths limit the fault"
    );
}

#[tokio::test]
async fn hung_responses_hang_until_the_client_gives_up() {
    let sim = start().await;
    let token = mint_demo(&sim, ALL_READ);
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"hang": true, "paths": ["/v5/user_account"]}),
    )
    .await;
    let patient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = patient
        .get(format!("{}/v5/user_account", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await;
    let error = result.expect_err("the response hangs");
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(
        get(&sim, &token, "/v5/pins").await.status(),
        StatusCode::OK,
        "other paths answer"
    );
    clear(&sim).await;
    assert_eq!(
        get(&sim, &token, "/v5/user_account").await.status(),
        StatusCode::OK
    );
    // The hung request is visible in the request log as pending.
    let log: Value = admin(&sim, Method::GET, "/_sim/requests", None)
        .await
        .json()
        .await
        .unwrap();
    let hung = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["faults"].as_array().unwrap().iter().any(|f| f == "hang"))
        .expect("a logged hang");
    assert!(hung["status"].is_null());
}

#[tokio::test]
async fn down_as_503_ends_by_itself() {
    let sim = start().await;
    let token = mint_demo(&sim, ALL_READ);
    set_faults(
        &sim,
        "/_sim/faults",
        json!({"down": {"mode": "unavailable", "for_ms": 1500}}),
    )
    .await;
    expect_error(get(&sim, &token, "/v5/user_account").await, 503, 503).await;
    let code_page = client()
        .get(authorize_url(&sim, "boards:read", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_page.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the authorize page is down too"
    );
    let health = admin(&sim, Method::GET, "/_sim/health", None).await;
    assert_eq!(health.status(), StatusCode::OK, "the admin API stays up");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(
        get(&sim, &token, "/v5/user_account").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn down_as_refused_connections_then_back_on_the_same_port() {
    let sim = start().await;
    let token = mint_demo(&sim, ALL_READ);
    let keep_alive = client();
    let url = format!("{}/v5/user_account", sim.base_url());
    assert_eq!(
        keep_alive
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    set_faults(
        &sim,
        "/_sim/faults",
        json!({"down": {"mode": "refuse", "for_ms": 2500}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("connection refused");
    assert!(refused.is_connect(), "{refused:?}");
    let raw = std::net::TcpStream::connect(sim.addr()).expect_err("the port is closed");
    assert_eq!(raw.kind(), std::io::ErrorKind::ConnectionRefused);
    // A pooled keep-alive connection was dropped as well.
    assert!(
        keep_alive
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .is_err()
    );

    tokio::time::sleep(Duration::from_millis(2800)).await;
    let back = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::OK, "up again on {}", sim.addr());
}

#[tokio::test]
async fn fault_settings_are_validated() {
    let sim = start().await;
    let cases = [
        ("/_sim/faults", json!({"error_rate": 1.5})),
        ("/_sim/faults", json!({"error_statuses": [404]})),
        ("/_sim/faults", json!({"rate_limit": {"requests": 0}})),
        ("/_sim/faults", json!({"down": {"mode": "refuse"}})),
        ("/_sim/faults", json!({"down": {"mode": "sideways"}})),
        ("/_sim/faults", json!({"paths": ["v5"]})),
        ("/_sim/faults", json!({"latency_ms": 3_600_000})),
        ("/_sim/faults", json!({"latency": 5})),
        (
            "/_sim/apps/1234567/faults",
            json!({"down": {"mode": "refuse", "for_ms": 10}}),
        ),
    ];
    for (path, body) in cases {
        let response = admin(&sim, Method::PUT, path, Some(body.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {body}");
    }
    let unknown = admin(
        &sim,
        Method::PUT,
        "/_sim/apps/999/faults",
        Some(json!({"latency_ms": 1})),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let view: Value = admin(&sim, Method::GET, "/_sim/faults", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        view["global"].is_null() && view["apps"].as_object().unwrap().is_empty(),
        "nothing was set: {view}"
    );
}
