//! The admin API under `/_sim/`: apps, users, tokens (mint, revoke, expire),
//! consent, state, and the request log, which must never hold a secret in clear.

use crate::support::*;
use pinterest_sim::{DEMO_APP_SECRET, DEMO_REDIRECT_URI, RunningSim, TokenResponse};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    status_json(response).await
}

#[tokio::test]
async fn registered_apps_can_do_the_whole_oauth_dance() {
    let sim = start_with(|c| c.demo = false).await;
    let (status, app) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/apps",
            Some(json!({"name": "Acme", "tier": "standard", "redirect_uris": ["http://127.0.0.1:5555/cb"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let secret = app["secret"].as_str().unwrap().to_owned();
    assert!(
        id.bytes().all(|b| b.is_ascii_digit()) && secret.len() == 40,
        "{app}"
    );
    assert_eq!(app["tier"], "standard");

    let (status, user) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/users",
            Some(json!({"username": "acme_user", "account_type": "BUSINESS", "business_name": "Acme Inc",
                "boards": [{"name": "Catalog", "pins": 3}, {"name": "Picked", "privacy": "PROTECTED",
                "pins": [{"title": "Chosen", "link": "https://acme.example/1"}]}]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["boards"].as_array().unwrap().len(), 2);
    assert_eq!(user["boards"][1]["pin_count"], 1);

    let mut url = url::Url::parse(&format!("{}/oauth/", sim.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &id)
        .append_pair("redirect_uri", "http://127.0.0.1:5555/cb")
        .append_pair("response_type", "code")
        .append_pair("scope", ALL_READ)
        .append_pair("sim_consent", "allow")
        .append_pair("sim_user", "acme_user");
    let response = client().get(url.as_str()).send().await.unwrap();
    let code = param(&location_query(&response), "code")
        .unwrap()
        .to_owned();
    let response = token_request(
        &sim,
        &basic(&id, &secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:5555/cb"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    let account: Value = get(&sim, &tokens.access_token, "/v5/user_account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            account["username"].as_str(),
            account["account_type"].as_str(),
            account["business_name"].as_str()
        ),
        (Some("acme_user"), Some("BUSINESS"), Some("Acme Inc"))
    );
    assert_eq!(
        (
            account["board_count"].as_u64(),
            account["pin_count"].as_u64()
        ),
        (Some(2), Some(4))
    );

    // Listing never shows secrets.
    let (_, apps) = json_of(admin(&sim, Method::GET, "/_sim/apps", None).await).await;
    assert!(!apps.to_string().contains(&secret));
    let (_, state) = json_of(admin(&sim, Method::GET, "/_sim/state", None).await).await;
    assert!(!state.to_string().contains(&secret));
    assert_eq!(state["totals"]["pins"], 4);
}

#[tokio::test]
async fn admin_refuses_conflicts_and_nonsense() {
    let sim = start().await;
    let cases = [
        (
            "/_sim/apps",
            json!({"id": "1234567", "redirect_uris": ["http://127.0.0.1:1/cb"]}),
            409,
        ),
        (
            "/_sim/apps",
            json!({"id": "abc", "redirect_uris": ["http://127.0.0.1:1/cb"]}),
            400,
        ),
        ("/_sim/apps", json!({"redirect_uris": []}), 400),
        ("/_sim/apps", json!({"redirect_uris": ["not a url"]}), 400),
        (
            "/_sim/apps",
            json!({"redirect_uris": ["http://x/cb"], "tier": "gold"}),
            400,
        ),
        (
            "/_sim/apps",
            json!({"redirect_uris": ["http://x/cb"], "colour": "red"}),
            400,
        ),
        ("/_sim/users", json!({"username": "demo_pinner"}), 409),
        ("/_sim/users", json!({"username": "no spaces"}), 400),
        (
            "/_sim/users",
            json!({"username": "ok_name", "boards": [{"name": ""}]}),
            400,
        ),
        (
            "/_sim/users",
            json!({"username": "ok_name", "boards": [{"name": "x", "pins": 1_000_000}]}),
            400,
        ),
        ("/_sim/users/nobody/boards", json!({"boards": []}), 404),
        (
            "/_sim/tokens",
            json!({"client_id": "999", "username": "demo_pinner", "scopes": "pins:read"}),
            404,
        ),
        (
            "/_sim/tokens",
            json!({"client_id": "1234567", "username": "nobody", "scopes": "pins:read"}),
            404,
        ),
        (
            "/_sim/tokens",
            json!({"client_id": "1234567", "username": "demo_pinner", "scopes": "pins:eat"}),
            400,
        ),
        ("/_sim/tokens/revoke", json!({"token": "pina_unknown"}), 404),
        ("/_sim/tokens/revoke", json!({}), 400),
        ("/_sim/tokens/expire", json!({"token": "pina_unknown"}), 404),
    ];
    for (path, body, status) in cases {
        let (got, err) = json_of(admin(&sim, Method::POST, path, Some(body.clone())).await).await;
        assert_eq!(got.as_u16(), status, "{path} {body}: {err}");
        assert!(err["code"].is_i64() && err["message"].is_string(), "{err}");
    }
    let (got, _) = json_of(
        admin(
            &sim,
            Method::PUT,
            "/_sim/consent",
            Some(json!({"mode": "ask", "user": "nobody"})),
        )
        .await,
    )
    .await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    let (got, _) = json_of(
        admin(
            &sim,
            Method::PUT,
            "/_sim/consent",
            Some(json!({"mode": "sometimes"})),
        )
        .await,
    )
    .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    // Nothing of that changed the state.
    let (_, state) = json_of(admin(&sim, Method::GET, "/_sim/state", None).await).await;
    assert_eq!(
        (
            state["totals"]["apps"].as_u64(),
            state["totals"]["users"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn boards_can_be_added_to_an_existing_user() {
    let sim = start().await;
    let (status, user) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/users/demo_pinner/boards",
            Some(json!({"boards": [{"name": "More", "pins": 5}]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["boards"].as_array().unwrap().len(), 4);
    let (_, fetched) =
        json_of(admin(&sim, Method::GET, "/_sim/users/demo_pinner", None).await).await;
    assert_eq!(fetched, user);
    let token = mint_demo(&sim, ALL_READ);
    let account: Value = get(&sim, &token, "/v5/user_account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["pin_count"], 35);
}

async fn refresh(sim: &RunningSim, token: &str) -> reqwest::Response {
    token_request(
        sim,
        &demo_basic(),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn revoking_and_expiring_tokens() {
    let sim = start().await;
    // Revoke one access token.
    let a = login(&sim, ALL_READ).await;
    let (status, body) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/tokens/revoke",
            Some(json!({"token": a.access_token})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["revoked"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    expect_error(get(&sim, &a.access_token, "/v5/user_account").await, 401, 2).await;
    assert_eq!(
        refresh(&sim, &a.refresh_token).await.status(),
        StatusCode::OK,
        "the refresh token lives on"
    );

    // Revoke a refresh token: its chain's access tokens die with it.
    let b = login(&sim, ALL_READ).await;
    let b2: TokenResponse = refresh(&sim, &b.refresh_token).await.json().await.unwrap();
    admin(
        &sim,
        Method::POST,
        "/_sim/tokens/revoke",
        Some(json!({"token": b2.refresh_token})),
    )
    .await;
    expect_error(refresh(&sim, &b2.refresh_token).await, 400, 283).await;
    expect_error(get(&sim, &b.access_token, "/v5/user_account").await, 401, 2).await;
    expect_error(
        get(&sim, &b2.access_token, "/v5/user_account").await,
        401,
        2,
    )
    .await;

    // The user disconnects the app: everything goes.
    let c = login(&sim, ALL_READ).await;
    let d = login(&sim, ALL_READ).await;
    let (_, body) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/tokens/revoke",
            Some(json!({"client_id": "1234567", "username": "demo_pinner"})),
        )
        .await,
    )
    .await;
    assert!(body["revoked"].as_u64().unwrap() >= 4, "{body}");
    for token in [&c.access_token, &d.access_token] {
        expect_error(get(&sim, token, "/v5/user_account").await, 401, 2).await;
    }
    expect_error(refresh(&sim, &d.refresh_token).await, 400, 283).await;

    // Expire now.
    let e = login(&sim, ALL_READ).await;
    let (_, body) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/tokens/expire",
            Some(json!({"token": e.access_token})),
        )
        .await,
    )
    .await;
    assert_eq!(body["expired"], "access");
    expect_error(get(&sim, &e.access_token, "/v5/user_account").await, 401, 2).await;
    let (_, body) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/tokens/expire",
            Some(json!({"token": e.refresh_token})),
        )
        .await,
    )
    .await;
    assert_eq!(body["expired"], "refresh");
    expect_error(refresh(&sim, &e.refresh_token).await, 400, 283).await;
}

#[tokio::test]
async fn minted_tokens_carry_exactly_the_asked_scopes() {
    let sim = start().await;
    let (status, body) = json_of(
        admin(
            &sim,
            Method::POST,
            "/_sim/tokens",
            Some(json!({"client_id": "1234567", "username": "demo_pinner", "scopes": ["pins:read", "boards:read"], "count": 3})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["scope"], "boards:read pins:read");
    let token = items[2]["access_token"].as_str().unwrap();
    assert_eq!(get(&sim, token, "/v5/pins").await.status(), StatusCode::OK);
    expect_error(get(&sim, token, "/v5/user_account").await, 401, 3).await;
}

#[tokio::test]
async fn consent_setting_round_trips() {
    let sim = start().await;
    let (_, initial) = json_of(admin(&sim, Method::GET, "/_sim/consent", None).await).await;
    assert_eq!(initial["mode"], "ask");
    let (status, set) = json_of(
        admin(
            &sim,
            Method::PUT,
            "/_sim/consent",
            Some(json!({"mode": "auto-deny", "user": "demo_pinner"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (set["mode"].as_str(), set["user"].as_str()),
        (Some("auto-deny"), Some("demo_pinner"))
    );
    let (_, state) = json_of(admin(&sim, Method::GET, "/_sim/state", None).await).await;
    assert_eq!(state["consent"], set);
}

#[tokio::test]
async fn request_log_records_calls_and_never_secrets() {
    let sim = start().await;
    let code = authorize(&sim, ALL_READ).await;
    let response = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_REDIRECT_URI),
        ],
    )
    .await;
    let tokens: TokenResponse = response.json().await.unwrap();
    let refreshed: TokenResponse = refresh(&sim, &tokens.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    get(&sim, &refreshed.access_token, "/v5/user_account").await;
    // A secret in the wrong place, and a token in a query string.
    client()
        .post(format!("{}/oauth/token", sim.api_base()))
        .header("authorization", demo_basic())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", DEMO_APP_SECRET),
        ])
        .send()
        .await
        .unwrap();
    client()
        .get(format!(
            "{}/v5/pins?access_token={}",
            sim.base_url(),
            refreshed.access_token
        ))
        .send()
        .await
        .unwrap();
    admin(
        &sim,
        Method::POST,
        "/_sim/tokens/expire",
        Some(json!({"token": refreshed.refresh_token})),
    )
    .await;

    let response = admin(&sim, Method::GET, "/_sim/requests", None).await;
    let text = response.text().await.unwrap();
    for secret in [
        DEMO_APP_SECRET,
        &code,
        &tokens.access_token,
        &tokens.refresh_token,
        &refreshed.access_token,
        &refreshed.refresh_token,
    ] {
        assert!(!text.contains(secret), "the request log leaks {secret}");
    }
    let log: Value = serde_json::from_str(&text).unwrap();
    let items = log["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|e| !e["path"].as_str().unwrap().starts_with("/_sim")),
        "admin calls are not logged"
    );
    let token_calls: Vec<&Value> = items
        .iter()
        .filter(|e| e["path"] == "/v5/oauth/token")
        .collect();
    assert_eq!(token_calls.len(), 3);
    let first = token_calls[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["status"], 200);
    assert_eq!(first["client_id"], "1234567");
    assert_eq!(
        first["authorization"],
        "Basic client_id=1234567 secret=[redacted]"
    );
    assert_eq!(first["body"]["grant_type"], "authorization_code");
    assert!(
        first["body"]["code"]
            .as_str()
            .unwrap()
            .starts_with("[redacted sha256:")
    );
    assert_eq!(token_calls[2]["body"]["client_secret"], "[redacted]");
    assert_eq!(token_calls[2]["status"], 400);
    let account = items
        .iter()
        .find(|e| e["path"] == "/v5/user_account")
        .unwrap();
    assert_eq!(
        (account["status"].as_u64(), account["username"].as_str()),
        (Some(200), Some("demo_pinner"))
    );
    assert!(
        account["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer [redacted sha256:")
    );
    assert!(
        account["rid"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    let authorize_call = items.iter().find(|e| e["path"] == "/oauth/").unwrap();
    assert_eq!(authorize_call["status"], 302);
    assert_eq!(authorize_call["query"]["client_id"], "1234567");

    // since / limit, and clearing.
    let last = log["last_seq"].as_u64().unwrap();
    let (_, tail) = json_of(
        admin(
            &sim,
            Method::GET,
            &format!("/_sim/requests?since={}&limit=1", last - 2),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(tail["items"].as_array().unwrap().len(), 1);
    assert_eq!(tail["items"][0]["seq"].as_u64(), Some(last - 1));
    assert_eq!(
        admin(&sim, Method::DELETE, "/_sim/requests", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let (_, empty) = json_of(admin(&sim, Method::GET, "/_sim/requests", None).await).await;
    assert!(empty["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn health_and_unknown_admin_paths() {
    let sim = start().await;
    let (status, body) = json_of(admin(&sim, Method::GET, "/_sim/health", None).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, body) = json_of(admin(&sim, Method::GET, "/_sim/nope", None).await).await;
    assert_eq!((status.as_u16(), body["code"].as_i64()), (404, Some(404)));
    let (status, _) = json_of(admin(&sim, Method::DELETE, "/_sim/health", None).await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
