//! The OAuth legs: consent page (no JavaScript), error pages without redirect,
//! auto-approve, the token endpoint's grants, rotation, expiry and concurrency.

use std::time::Duration;

use crate::support::*;
use pinterest_sim::{
    AccessTier, AppSpec, DEMO_APP_ID, DEMO_REDIRECT_URI, TokenLifetimes, TokenResponse,
};
use regex::Regex;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn request_id(html: &str) -> String {
    let re = Regex::new(r#"name="request_id" value="([0-9a-f]+)""#).unwrap();
    re.captures(html).expect("request_id in the form")[1].to_owned()
}

async fn consent_form(sim: &pinterest_sim::RunningSim, scope: &str) -> String {
    let response = client()
        .get(authorize_url(sim, scope, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "consent page is HTML"
    );
    response.text().await.unwrap()
}

async fn answer(sim: &pinterest_sim::RunningSim, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}/oauth/", sim.base_url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn code_form<'a>(code: &'a str, redirect_uri: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ]
}

#[tokio::test]
async fn consent_page_is_a_plain_form_and_allow_redirects_with_code_and_state() {
    let sim = start().await;
    let html = consent_form(&sim, "boards:read,pins:read").await;
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "no JavaScript"
    );
    assert!(html.contains(r#"<form method="post" action="/oauth/">"#));
    assert!(html.contains("demo_pinner"), "shows the signed-in user");
    assert!(
        html.contains("boards:read") && html.contains("pins:read"),
        "shows the scopes"
    );
    assert!(
        !html.contains("user_accounts:read"),
        "only the requested scopes"
    );
    assert!(
        html.contains(r#"value="allow">Allow</button>"#)
            && html.contains(r#"value="deny">Deny</button>"#)
    );

    let id = request_id(&html);
    let response = answer(
        &sim,
        &[
            ("request_id", &id),
            ("user", "demo_pinner"),
            ("decision", "allow"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{DEMO_REDIRECT_URI}?")),
        "{location}"
    );
    let pairs = location_query(&response);
    let code = param(&pairs, "code").unwrap();
    assert!(
        code.len() == 40 && code.bytes().all(|b| b.is_ascii_hexdigit()),
        "40 hex digits: {code}"
    );
    assert_eq!(param(&pairs, "state"), Some("st4te"));

    let tokens = token_request(&sim, &demo_basic(), &code_form(code, DEMO_REDIRECT_URI)).await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens: TokenResponse = tokens.json().await.unwrap();
    assert_eq!(tokens.scope, "boards:read pins:read");

    // The form answers once.
    let again = answer(
        &sim,
        &[
            ("request_id", &id),
            ("user", "demo_pinner"),
            ("decision", "allow"),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_no_code() {
    let sim = start().await;
    let id = request_id(&consent_form(&sim, "boards:read").await);
    let response = answer(
        &sim,
        &[
            ("request_id", &id),
            ("user", "demo_pinner"),
            ("decision", "deny"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let pairs = location_query(&response);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("st4te"));
    assert!(param(&pairs, "error_description").is_some());
    assert_eq!(param(&pairs, "code"), None);
}

#[tokio::test]
async fn the_form_can_sign_in_as_another_user() {
    let sim = start().await;
    sim.state()
        .create_user(pinterest_sim::UserSpec {
            username: "second_user".into(),
            ..Default::default()
        })
        .unwrap();
    let html = consent_form(&sim, ALL_READ).await;
    assert!(html.contains(r#"<option value="second_user">"#));
    let id = request_id(&html);
    let response = answer(
        &sim,
        &[
            ("request_id", &id),
            ("user", "second_user"),
            ("decision", "allow"),
        ],
    )
    .await;
    let pairs = location_query(&response);
    let code = param(&pairs, "code").unwrap();
    let tokens: TokenResponse =
        token_request(&sim, &demo_basic(), &code_form(code, DEMO_REDIRECT_URI))
            .await
            .json()
            .await
            .unwrap();
    let account: Value = get(&sim, &tokens.access_token, "/v5/user_account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["username"], "second_user");
}

#[tokio::test]
async fn bad_authorize_requests_get_an_error_page_and_no_redirect() {
    let sim = start().await;
    let base = format!("{}/oauth/", sim.base_url());
    let good = [
        ("client_id", DEMO_APP_ID),
        ("redirect_uri", DEMO_REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "boards:read"),
        ("state", "s"),
    ];
    let with = |name: &str, value: Option<&str>| -> Vec<(String, String)> {
        good.iter()
            .filter(|(k, _)| *k != name)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(value.map(|v| (name.to_owned(), v.to_owned())))
            .collect()
    };
    let trailing_slash = format!("{DEMO_REDIRECT_URI}/");
    let cases = [
        ("unknown client", with("client_id", Some("999"))),
        ("missing client", with("client_id", None)),
        (
            "unregistered redirect",
            with("redirect_uri", Some("http://evil.example/cb")),
        ),
        (
            "redirect not byte-exact",
            with("redirect_uri", Some(&trailing_slash)),
        ),
        ("missing redirect", with("redirect_uri", None)),
        ("implicit flow", with("response_type", Some("token"))),
        ("missing response_type", with("response_type", None)),
        (
            "unknown scope",
            with("scope", Some("boards:read,boards:delete")),
        ),
        (
            "space-separated scopes",
            with("scope", Some("boards:read pins:read")),
        ),
        ("no scope", with("scope", None)),
        (
            "bad test flag",
            with("state", Some("s"))
                .into_iter()
                .chain([("sim_consent".into(), "maybe".into())])
                .collect(),
        ),
    ];
    for (what, query) in cases {
        for auto in [false, true] {
            let mut query = query.clone();
            if auto {
                query.push(("sim_consent".into(), "allow".into()));
            }
            let response = client().get(&base).query(&query).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
            assert!(
                response.headers().get("location").is_none(),
                "{what}: no redirect"
            );
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let html = response.text().await.unwrap();
            assert!(html.contains(r#"id="error""#), "{what}: {html}");
        }
    }
}

#[tokio::test]
async fn auto_approve_by_query_flag_or_admin_setting() {
    let sim = start().await;
    // Query flags.
    let denied = client()
        .get(authorize_url(
            &sim,
            "boards:read",
            &[("sim_consent", "deny")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FOUND);
    assert_eq!(
        param(&location_query(&denied), "error"),
        Some("access_denied")
    );
    assert!(!authorize(&sim, "boards:read").await.is_empty());

    // Admin setting, as a given user.
    sim.state()
        .create_user(pinterest_sim::UserSpec {
            username: "auto_user".into(),
            ..Default::default()
        })
        .unwrap();
    let set = admin(
        &sim,
        Method::PUT,
        "/_sim/consent",
        Some(json!({"mode": "auto-allow", "user": "auto_user"})),
    )
    .await;
    assert_eq!(set.status(), StatusCode::OK);
    let response = client()
        .get(authorize_url(&sim, ALL_READ, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = location_query(&response);
    let code = param(&pairs, "code").expect("auto-allow gives a code");
    let tokens: TokenResponse =
        token_request(&sim, &demo_basic(), &code_form(code, DEMO_REDIRECT_URI))
            .await
            .json()
            .await
            .unwrap();
    let account: Value = get(&sim, &tokens.access_token, "/v5/user_account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["username"], "auto_user");

    admin(
        &sim,
        Method::PUT,
        "/_sim/consent",
        Some(json!({"mode": "auto-deny"})),
    )
    .await;
    let response = client()
        .get(authorize_url(&sim, ALL_READ, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&location_query(&response), "error"),
        Some("access_denied")
    );
    // A query flag wins over the setting.
    let response = client()
        .get(authorize_url(&sim, ALL_READ, &[("sim_consent", "ask")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_response_has_pinterest_shape() {
    let sim = start().await;
    let code = authorize(&sim, "pins:read,boards:read,user_accounts:read").await;
    let response = token_request(&sim, &demo_basic(), &code_form(&code, DEMO_REDIRECT_URI)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "refresh_token_expires_at",
            "refresh_token_expires_in",
            "response_type",
            "scope",
            "token_type"
        ]
    );
    assert!(body["access_token"].as_str().unwrap().starts_with("pina_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("pinr."));
    assert_eq!(body["response_type"], "authorization_code");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 2_592_000);
    assert_eq!(body["refresh_token_expires_in"], 5_184_000);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let at = body["refresh_token_expires_at"].as_i64().unwrap();
    assert!(
        (at - now - 5_184_000).abs() <= 5,
        "expires_at {at} vs now {now}"
    );
    assert_eq!(
        body["scope"], "boards:read pins:read user_accounts:read",
        "space-separated"
    );
}

#[tokio::test]
async fn codes_are_single_use_bound_to_client_and_redirect_and_expire() {
    let sim = start_with(|c| {
        c.lifetimes = TokenLifetimes {
            code: Duration::from_secs(2),
            ..TokenLifetimes::default()
        };
        c.apps.push(AppSpec {
            id: Some("7000002".into()),
            secret: Some("other-secret".into()),
            redirect_uris: vec![DEMO_REDIRECT_URI.into()],
            tier: AccessTier::Standard,
            ..AppSpec::default()
        });
    })
    .await;
    let code = authorize(&sim, "boards:read").await;
    // Wrong redirect URI, wrong client: refused, and the code survives for its owner.
    let wrong_redirect = token_request(
        &sim,
        &demo_basic(),
        &code_form(&code, "http://127.0.0.1:3000/other"),
    )
    .await;
    expect_error(wrong_redirect, 400, 283).await;
    let other_client = token_request(
        &sim,
        &basic("7000002", "other-secret"),
        &code_form(&code, DEMO_REDIRECT_URI),
    )
    .await;
    expect_error(other_client, 400, 283).await;
    let ok = token_request(&sim, &demo_basic(), &code_form(&code, DEMO_REDIRECT_URI)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let reused = token_request(&sim, &demo_basic(), &code_form(&code, DEMO_REDIRECT_URI)).await;
    let body = expect_error(reused, 400, 283).await;
    assert_eq!(body["status"], "failure");
    assert_eq!(body["message"], "The authorization grant is invalid");

    let late = authorize(&sim, "boards:read").await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let expired = token_request(&sim, &demo_basic(), &code_form(&late, DEMO_REDIRECT_URI)).await;
    expect_error(expired, 400, 283).await;
    let unknown = token_request(
        &sim,
        &demo_basic(),
        &code_form(&"0".repeat(40), DEMO_REDIRECT_URI),
    )
    .await;
    expect_error(unknown, 400, 283).await;
}

#[tokio::test]
async fn refresh_rotates_and_the_previous_refresh_token_dies() {
    let sim = start().await;
    let first = login(&sim, ALL_READ).await;
    let refresh = |token: String| {
        let sim = &sim;
        async move {
            token_request(
                sim,
                &demo_basic(),
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await
        }
    };
    let response = refresh(first.refresh_token.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: TokenResponse = response.json().await.unwrap();
    assert_eq!(second.response_type, "refresh_token");
    assert_ne!(
        second.refresh_token, first.refresh_token,
        "a new refresh token every time"
    );
    assert_ne!(second.access_token, first.access_token);
    assert!(second.refresh_token.starts_with("pinr.") && second.access_token.starts_with("pina_"));
    assert_eq!(second.scope, first.scope);

    expect_error(refresh(first.refresh_token.clone()).await, 400, 283).await;
    let third = refresh(second.refresh_token.clone()).await;
    assert_eq!(third.status(), StatusCode::OK);
    let third: TokenResponse = third.json().await.unwrap();
    expect_error(refresh(second.refresh_token).await, 400, 283).await;
    assert_eq!(
        get(&sim, &third.access_token, "/v5/user_account")
            .await
            .status(),
        StatusCode::OK
    );

    // Another client cannot use this app's refresh token.
    sim.state()
        .register_app(AppSpec {
            id: Some("7000003".into()),
            secret: Some("x".into()),
            redirect_uris: vec![DEMO_REDIRECT_URI.into()],
            ..AppSpec::default()
        })
        .unwrap();
    let foreign = token_request(
        &sim,
        &basic("7000003", "x"),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &third.refresh_token),
        ],
    )
    .await;
    expect_error(foreign, 400, 283).await;
}

#[tokio::test]
async fn refresh_may_narrow_but_not_widen_scopes() {
    let sim = start().await;
    let first = login(&sim, ALL_READ).await;
    let narrowed = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first.refresh_token),
            ("scope", "pins:read"),
        ],
    )
    .await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    let narrowed: TokenResponse = narrowed.json().await.unwrap();
    assert_eq!(narrowed.scope, "pins:read");
    expect_error(
        get(&sim, &narrowed.access_token, "/v5/user_account").await,
        401,
        3,
    )
    .await;
    let widened = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &narrowed.refresh_token),
            ("scope", "ads:read"),
        ],
    )
    .await;
    expect_error(widened, 400, 283).await;
}

#[tokio::test]
async fn granted_scopes_accumulate_across_consents() {
    let sim = start().await;
    let first = login(&sim, "boards:read").await;
    assert_eq!(first.scope, "boards:read");
    let second = login(&sim, "pins:read").await;
    assert_eq!(
        second.scope, "boards:read pins:read",
        "cumulative, space-separated"
    );
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let sim = start().await;
    for round in 0..5 {
        let tokens = login(&sim, ALL_READ).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(24));
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let url = format!("{}/oauth/token", sim.api_base());
            let refresh = tokens.refresh_token.clone();
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                let client = client();
                barrier.wait().await;
                let response = client
                    .post(url)
                    .header("authorization", demo_basic())
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body)
            }));
        }
        let mut ok = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (200, body) => ok.push(body),
                (400, body) => assert_eq!(body["code"], 283, "round {round}: {body}"),
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(ok.len(), 1, "round {round}: exactly one refresh wins");
        let winner = ok[0]["refresh_token"].as_str().unwrap();
        let next = token_request(
            &sim,
            &demo_basic(),
            &[("grant_type", "refresh_token"), ("refresh_token", winner)],
        )
        .await;
        assert_eq!(next.status(), StatusCode::OK, "the winner's token works");
    }
}

#[tokio::test]
async fn lifetimes_are_configurable_and_tokens_expire() {
    let sim = start_with(|c| {
        c.lifetimes = TokenLifetimes {
            access: Duration::from_secs(2),
            refresh: Duration::from_secs(5),
            ..TokenLifetimes::default()
        };
    })
    .await;
    let tokens = login(&sim, ALL_READ).await;
    assert_eq!((tokens.expires_in, tokens.refresh_token_expires_in), (2, 5));
    assert_eq!(
        get(&sim, &tokens.access_token, "/v5/user_account")
            .await
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    expect_error(
        get(&sim, &tokens.access_token, "/v5/user_account").await,
        401,
        2,
    )
    .await;
    let refreshed = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &tokens.refresh_token),
        ],
    )
    .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: TokenResponse = refreshed.json().await.unwrap();
    assert_eq!(
        get(&sim, &refreshed.access_token, "/v5/user_account")
            .await
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let dead = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refreshed.refresh_token),
        ],
    )
    .await;
    expect_error(dead, 400, 283).await;
}

#[tokio::test]
async fn per_app_lifetimes_override_the_global_ones() {
    let sim = start().await;
    let created = admin(
        &sim,
        Method::POST,
        "/_sim/apps",
        Some(json!({"id": "7000004", "secret": "s", "tier": "standard",
            "redirect_uris": ["http://127.0.0.1:9/cb"], "access_token_ttl_secs": 60})),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let code = {
        let mut url = url::Url::parse(&format!("{}/oauth/", sim.base_url())).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", "7000004")
            .append_pair("redirect_uri", "http://127.0.0.1:9/cb")
            .append_pair("response_type", "code")
            .append_pair("scope", "boards:read")
            .append_pair("sim_consent", "allow");
        let response = client().get(url.as_str()).send().await.unwrap();
        param(&location_query(&response), "code")
            .unwrap()
            .to_owned()
    };
    let tokens: TokenResponse = token_request(
        &sim,
        &basic("7000004", "s"),
        &code_form(&code, "http://127.0.0.1:9/cb"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(tokens.expires_in, 60);
    assert_eq!(tokens.refresh_token_expires_in, 5_184_000);
}

#[tokio::test]
async fn bad_client_authentication_is_401_code_2() {
    let sim = start().await;
    let code = authorize(&sim, "boards:read").await;
    let form = code_form(&code, DEMO_REDIRECT_URI);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let cases = [
        basic(DEMO_APP_ID, "wrong-secret"),
        basic("999", "sim-demo-secret"),
        format!("Basic {}", b64("1234567")),
        format!("Basic {}", b64(":sim-demo-secret")),
        "Basic not*base64".to_owned(),
        "Basic".to_owned(),
        format!("Bearer {}", b64("1234567:sim-demo-secret")),
    ];
    for auth in &cases {
        let body = expect_error(token_request(&sim, auth, &form).await, 401, 2).await;
        assert_eq!(body["message"], "Authentication failed.");
        assert_eq!(body["status"], "failure");
    }
    let no_header = client()
        .post(format!("{}/oauth/token", sim.api_base()))
        .form(&form)
        .send()
        .await
        .unwrap();
    expect_error(no_header, 401, 2).await;
    // None of that burnt the code.
    assert_eq!(
        token_request(&sim, &demo_basic(), &form).await.status(),
        StatusCode::OK
    );
}
