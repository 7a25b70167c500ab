//! Fidelity: every response the simulator produces on the simulated endpoints,
//! success and error, is checked against Pinterest's `openapi.json`: the status
//! must be declared for the operation (or fall under its `default`), and the body
//! must validate against the declared schema, strictly (no undeclared fields).
//! The scopes each endpoint demands are checked against the spec's `security`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use crate::openapi::{Declared, Spec};
use crate::support::*;
use pinterest_sim::{
    AccessTier, AppSpec, FaultSet, MintRequest, RID_HEADER, RateLimit, RunningSim, Scope, ScopeSet,
};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// The operations the simulator implements, as (method, spec path template).
const OPERATIONS: [(&str, &str); 14] = [
    ("POST", "/oauth/token"),
    ("GET", "/user_account"),
    ("GET", "/boards"),
    ("POST", "/boards"),
    ("GET", "/boards/{board_id}"),
    ("PATCH", "/boards/{board_id}"),
    ("DELETE", "/boards/{board_id}"),
    ("GET", "/boards/{board_id}/pins"),
    ("GET", "/pins"),
    ("POST", "/pins"),
    ("GET", "/pins/{pin_id}"),
    ("PATCH", "/pins/{pin_id}"),
    ("DELETE", "/pins/{pin_id}"),
    ("GET", "/search/pins"),
];

struct Checker {
    spec: Spec,
    seen: Mutex<BTreeMap<(String, String), BTreeSet<u16>>>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            spec: Spec::load(),
            seen: Mutex::new(BTreeMap::new()),
        }
    }

    /// Checks status, `x-pinterest-rid`, Pinterest error `code`, and the body
    /// against the spec; returns the body.
    async fn check(
        &self,
        method: &str,
        template: &str,
        response: Response,
        status: u16,
        code: Option<i64>,
    ) -> Value {
        let got = response.status().as_u16();
        let rid = response
            .headers()
            .get(RID_HEADER)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.bytes().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert_eq!(
            got, status,
            "{method} {template}: status {got}, body {text}"
        );
        assert!(
            !rid.is_empty() && rid.bytes().all(|b| b.is_ascii_digit()),
            "{method} {template}: x-pinterest-rid {rid:?}"
        );
        // Pinterest adds "status": "failure" to token-endpoint errors (NOTES.md).
        let extra: &[&str] = if template == "/oauth/token" {
            &["status"]
        } else {
            &[]
        };
        let declared = self
            .spec
            .check_response(method, template, got, content_type.as_deref(), &body, extra)
            .unwrap_or_else(|errors| {
                panic!("{method} {template} {got} violates openapi.json:\n{errors:#?}\n{text}")
            });
        if (200..300).contains(&got) {
            assert_eq!(
                declared,
                Declared::Exactly,
                "{method} {template}: success {got} must be declared"
            );
        }
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if let Some(code) = code {
            assert_eq!(value["code"], code, "{method} {template}: {text}");
            assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        self.seen
            .lock()
            .unwrap()
            .entry((method.to_owned(), template.to_owned()))
            .or_default()
            .insert(got);
        value
    }

    fn assert_covered(&self, statuses: impl Fn(&BTreeSet<u16>) -> bool, what: &str) {
        let seen = self.seen.lock().unwrap();
        for (method, template) in OPERATIONS {
            let got = seen
                .get(&(method.to_owned(), template.to_owned()))
                .unwrap_or_else(|| panic!("{method} {template} was never exercised"));
            assert!(
                statuses(got),
                "{method} {template}: {what} not exercised (saw {got:?})"
            );
        }
    }
}

fn url(sim: &RunningSim, path: &str) -> String {
    format!("{}/v5{path}", sim.base_url())
}

struct Fixture {
    sim: RunningSim,
    full: String,
    board: String,
    pin: String,
}

async fn fixture() -> Fixture {
    let sim = start().await;
    let full = mint_demo(&sim, READ_WRITE);
    let boards: Value = get(&sim, &full, "/v5/boards").await.json().await.unwrap();
    let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
    let pins: Value = get(&sim, &full, "/v5/pins?page_size=1")
        .await
        .json()
        .await
        .unwrap();
    let pin = pins["items"][0]["id"].as_str().unwrap().to_owned();
    Fixture {
        sim,
        full,
        board,
        pin,
    }
}

/// One valid request per operation (the token endpoint's is a refresh).
fn sample(f: &Fixture, method: &str, template: &str, token: &str, refresh: &str) -> RequestBuilder {
    let c = client();
    let sim = &f.sim;
    match (method, template) {
        ("POST", "/oauth/token") => c
            .post(url(sim, "/oauth/token"))
            .header("authorization", demo_basic())
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)]),
        ("GET", "/user_account") => c.get(url(sim, "/user_account")).bearer_auth(token),
        ("GET", "/boards") => c.get(url(sim, "/boards")).bearer_auth(token),
        ("POST", "/boards") => c
            .post(url(sim, "/boards"))
            .bearer_auth(token)
            .json(&json!({"name": "Fault board"})),
        ("GET", "/boards/{board_id}") => c
            .get(url(sim, &format!("/boards/{}", f.board)))
            .bearer_auth(token),
        ("PATCH", "/boards/{board_id}") => c
            .patch(url(sim, &format!("/boards/{}", f.board)))
            .bearer_auth(token)
            .json(&json!({"description": "patched"})),
        ("DELETE", "/boards/{board_id}") => c.delete(url(sim, "/boards/1")).bearer_auth(token),
        ("GET", "/boards/{board_id}/pins") => c
            .get(url(sim, &format!("/boards/{}/pins", f.board)))
            .bearer_auth(token),
        ("GET", "/pins") => c.get(url(sim, "/pins")).bearer_auth(token),
        ("POST", "/pins") => c.post(url(sim, "/pins")).bearer_auth(token).json(&json!({
            "board_id": f.board,
            "title": "Fault pin",
            "media_source": {"source_type": "image_url", "url": "https://example.com/a.jpg"}
        })),
        ("GET", "/pins/{pin_id}") => c
            .get(url(sim, &format!("/pins/{}", f.pin)))
            .bearer_auth(token),
        ("PATCH", "/pins/{pin_id}") => c
            .patch(url(sim, &format!("/pins/{}", f.pin)))
            .bearer_auth(token)
            .json(&json!({"title": "Patched"})),
        ("DELETE", "/pins/{pin_id}") => c.delete(url(sim, "/pins/1")).bearer_auth(token),
        ("GET", "/search/pins") => c
            .get(url(sim, "/search/pins?query=photo"))
            .bearer_auth(token),
        other => panic!("no sample for {other:?}"),
    }
}

#[tokio::test]
async fn every_success_and_error_response_matches_the_spec() {
    let checker = Checker::new();
    let f = fixture().await;
    let sim = &f.sim;
    let c = client();
    let full = f.full.as_str();
    let no_scope = mint_demo(sim, "ads:read");
    let bad = "pina_not-a-real-token";

    // ----- token endpoint
    let code = authorize(sim, ALL_READ).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", pinterest_sim::DEMO_REDIRECT_URI),
        ("continuous_refresh", "true"),
    ];
    let issued = checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &demo_basic(), &form).await,
            200,
            None,
        )
        .await;
    assert_eq!(issued["response_type"], "authorization_code");
    checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &demo_basic(), &form).await,
            400,
            Some(283),
        )
        .await;
    let refresh = issued["refresh_token"].as_str().unwrap();
    let rotate = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let rotated = checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &demo_basic(), &rotate).await,
            200,
            None,
        )
        .await;
    assert_eq!(rotated["response_type"], "refresh_token");
    checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &demo_basic(), &rotate).await,
            400,
            Some(283),
        )
        .await;
    let wrong_secret = basic(pinterest_sim::DEMO_APP_ID, "wrong");
    checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &wrong_secret, &rotate).await,
            401,
            Some(2),
        )
        .await;
    checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, "Basic %%%", &rotate).await,
            401,
            Some(2),
        )
        .await;
    checker
        .check(
            "POST",
            "/oauth/token",
            token_request(sim, &demo_basic(), &[("code", "x")]).await,
            400,
            Some(1),
        )
        .await;

    // ----- user account
    let account = checker
        .check(
            "GET",
            "/user_account",
            get(sim, full, "/v5/user_account").await,
            200,
            None,
        )
        .await;
    assert_eq!(account["username"], "demo_pinner");
    let anonymous = c.get(url(sim, "/user_account")).send().await.unwrap();
    checker
        .check("GET", "/user_account", anonymous, 401, Some(2))
        .await;
    checker
        .check(
            "GET",
            "/user_account",
            get(sim, &no_scope, "/v5/user_account").await,
            401,
            Some(3),
        )
        .await;

    // ----- boards
    let first = checker
        .check(
            "GET",
            "/boards",
            get(sim, full, "/v5/boards?page_size=2").await,
            200,
            None,
        )
        .await;
    let mark = first["bookmark"]
        .as_str()
        .expect("a bookmark on a non-last page");
    let last = checker
        .check(
            "GET",
            "/boards",
            get(
                sim,
                full,
                &format!("/v5/boards?page_size=2&bookmark={mark}"),
            )
            .await,
            200,
            None,
        )
        .await;
    assert!(last["bookmark"].is_null());
    checker
        .check(
            "GET",
            "/boards",
            get(sim, full, "/v5/boards?page_size=0").await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "GET",
            "/boards",
            get(sim, full, "/v5/boards?privacy=HIDDEN").await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "GET",
            "/boards",
            get(sim, &no_scope, "/v5/boards").await,
            401,
            Some(3),
        )
        .await;

    let created = checker
        .check(
            "POST",
            "/boards",
            send_json(
                sim,
                Method::POST,
                full,
                "/v5/boards",
                &json!({"name": "New", "description": "d", "privacy": "PUBLIC"}),
            )
            .await,
            201,
            None,
        )
        .await;
    let new_board = created["id"].as_str().unwrap().to_owned();
    checker
        .check(
            "POST",
            "/boards",
            send_json(sim, Method::POST, full, "/v5/boards", &json!({"nme": "x"})).await,
            400,
            Some(1),
        )
        .await;
    let not_json = c
        .post(url(sim, "/boards"))
        .bearer_auth(full)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    checker
        .check("POST", "/boards", not_json, 400, Some(1))
        .await;
    checker
        .check(
            "POST",
            "/boards",
            send_json(sim, Method::POST, bad, "/v5/boards", &json!({"name": "x"})).await,
            401,
            Some(2),
        )
        .await;
    let read_only = mint_demo(sim, ALL_READ);
    checker
        .check(
            "POST",
            "/boards",
            send_json(
                sim,
                Method::POST,
                &read_only,
                "/v5/boards",
                &json!({"name": "x"}),
            )
            .await,
            401,
            Some(3),
        )
        .await;

    let path = format!("/v5/boards/{new_board}");
    checker
        .check(
            "GET",
            "/boards/{board_id}",
            get(sim, full, &path).await,
            200,
            None,
        )
        .await;
    let missing = checker
        .check(
            "GET",
            "/boards/{board_id}",
            get(sim, full, "/v5/boards/1").await,
            404,
            Some(404),
        )
        .await;
    assert_eq!(missing["message"], "Board not found.");
    checker
        .check(
            "GET",
            "/boards/{board_id}",
            get(sim, full, "/v5/boards/abc").await,
            400,
            Some(1),
        )
        .await;

    let patched = checker
        .check(
            "PATCH",
            "/boards/{board_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                &path,
                &json!({"name": "Renamed", "description": null}),
            )
            .await,
            200,
            None,
        )
        .await;
    assert_eq!(
        (patched["name"].as_str(), patched["description"].is_null()),
        (Some("Renamed"), true)
    );
    checker
        .check(
            "PATCH",
            "/boards/{board_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                &path,
                &json!({"privacy": "PROTECTED"}),
            )
            .await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "PATCH",
            "/boards/{board_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                "/v5/boards/1",
                &json!({"name": "x"}),
            )
            .await,
            404,
            Some(404),
        )
        .await;

    checker
        .check(
            "GET",
            "/boards/{board_id}/pins",
            get(
                sim,
                full,
                &format!("/v5/boards/{}/pins?page_size=3", f.board),
            )
            .await,
            200,
            None,
        )
        .await;
    checker
        .check(
            "GET",
            "/boards/{board_id}/pins",
            get(sim, full, "/v5/boards/1/pins").await,
            404,
            Some(404),
        )
        .await;
    let foreign_mark = first["bookmark"].as_str().unwrap();
    checker
        .check(
            "GET",
            "/boards/{board_id}/pins",
            get(
                sim,
                full,
                &format!("/v5/boards/{}/pins?bookmark={foreign_mark}", f.board),
            )
            .await,
            400,
            Some(1),
        )
        .await;

    checker
        .check(
            "DELETE",
            "/boards/{board_id}",
            delete(sim, full, &path).await,
            204,
            None,
        )
        .await;
    checker
        .check(
            "DELETE",
            "/boards/{board_id}",
            delete(sim, full, &path).await,
            404,
            Some(404),
        )
        .await;
    checker
        .check(
            "DELETE",
            "/boards/{board_id}",
            delete(sim, &read_only, &path).await,
            401,
            Some(3),
        )
        .await;

    // ----- pins
    checker
        .check("GET", "/pins", get(sim, full, "/v5/pins").await, 200, None)
        .await;
    checker
        .check(
            "GET",
            "/pins",
            get(sim, full, "/v5/pins?page_size=251").await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "GET",
            "/pins",
            get(sim, bad, "/v5/pins").await,
            401,
            Some(2),
        )
        .await;

    let pin_body = json!({
        "board_id": f.board,
        "title": "Created",
        "description": "A pin",
        "link": "https://example.com/x",
        "alt_text": "alt",
        "media_source": {"source_type": "image_url", "url": "https://example.com/x.jpg"}
    });
    let created_pin = checker
        .check(
            "POST",
            "/pins",
            send_json(sim, Method::POST, full, "/v5/pins", &pin_body).await,
            201,
            None,
        )
        .await;
    let new_pin = created_pin["id"].as_str().unwrap().to_owned();
    let no_media = json!({"board_id": f.board, "title": "x"});
    checker
        .check(
            "POST",
            "/pins",
            send_json(sim, Method::POST, full, "/v5/pins", &no_media).await,
            400,
            Some(1),
        )
        .await;
    let unknown_board = json!({"board_id": "1", "media_source": {"source_type": "image_url", "url": "https://e.com/a.png"}});
    checker
        .check(
            "POST",
            "/pins",
            send_json(sim, Method::POST, full, "/v5/pins", &unknown_board).await,
            404,
            Some(404),
        )
        .await;
    checker
        .check(
            "POST",
            "/pins",
            send_json(sim, Method::POST, &read_only, "/v5/pins", &pin_body).await,
            401,
            Some(3),
        )
        .await;
    sim.state()
        .register_app(AppSpec {
            id: Some("7000001".into()),
            secret: Some("trial-secret".into()),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            tier: AccessTier::Trial,
            ..AppSpec::default()
        })
        .unwrap();
    let trial = sim
        .state()
        .mint_tokens(MintRequest {
            client_id: "7000001".into(),
            username: "demo_pinner".into(),
            scopes: ScopeSet::parse_lenient(READ_WRITE).unwrap(),
            count: None,
        })
        .unwrap()
        .remove(0)
        .access_token;
    checker
        .check(
            "POST",
            "/pins",
            send_json(sim, Method::POST, &trial, "/v5/pins", &pin_body).await,
            403,
            Some(29),
        )
        .await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let oversized = c
        .post(url(sim, "/pins"))
        .bearer_auth(full)
        .header("content-type", "application/json")
        .body(format!("{{\"title\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    checker
        .check("POST", "/pins", oversized, 413, Some(413))
        .await;

    let pin_path = format!("/v5/pins/{new_pin}");
    checker
        .check(
            "GET",
            "/pins/{pin_id}",
            get(sim, full, &pin_path).await,
            200,
            None,
        )
        .await;

    let patched_pin = checker
        .check(
            "PATCH",
            "/pins/{pin_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                &pin_path,
                &json!({"title": "Edited", "description": null, "alt_text": "new alt"}),
            )
            .await,
            200,
            None,
        )
        .await;
    assert_eq!(
        (
            patched_pin["title"].as_str(),
            patched_pin["description"].is_null(),
            patched_pin["link"].as_str()
        ),
        (Some("Edited"), true, Some("https://example.com/x"))
    );
    checker
        .check(
            "PATCH",
            "/pins/{pin_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                &pin_path,
                &json!({"title": "t".repeat(101)}),
            )
            .await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "PATCH",
            "/pins/{pin_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                &pin_path,
                &json!({"board_id": "1"}),
            )
            .await,
            404,
            Some(404),
        )
        .await;
    checker
        .check(
            "PATCH",
            "/pins/{pin_id}",
            send_json(
                sim,
                Method::PATCH,
                full,
                "/v5/pins/1",
                &json!({"title": "x"}),
            )
            .await,
            404,
            Some(50),
        )
        .await;
    checker
        .check(
            "PATCH",
            "/pins/{pin_id}",
            send_json(
                sim,
                Method::PATCH,
                &read_only,
                &pin_path,
                &json!({"title": "x"}),
            )
            .await,
            401,
            Some(3),
        )
        .await;

    // ----- search
    let searcher = mint_demo(sim, SEARCH);
    let hits = checker
        .check(
            "GET",
            "/search/pins",
            get(sim, &searcher, "/v5/search/pins?query=edited").await,
            200,
            None,
        )
        .await;
    assert_eq!(hits["items"][0]["id"], new_pin.as_str());
    assert!(hits["bookmark"].is_null());
    let first_hits = checker
        .check(
            "GET",
            "/search/pins",
            get(sim, &searcher, "/v5/search/pins?query=photo&page_size=4").await,
            200,
            None,
        )
        .await;
    let hits_mark = first_hits["bookmark"].as_str().expect("more hits");
    checker
        .check(
            "GET",
            "/search/pins",
            get(
                sim,
                &searcher,
                &format!("/v5/search/pins?query=photo&bookmark={hits_mark}"),
            )
            .await,
            200,
            None,
        )
        .await;
    checker
        .check(
            "GET",
            "/search/pins",
            get(sim, &searcher, "/v5/search/pins").await,
            400,
            Some(1),
        )
        .await;
    checker
        .check(
            "GET",
            "/search/pins",
            get(sim, full, "/v5/search/pins?query=photo").await,
            401,
            Some(3),
        )
        .await;
    checker
        .check(
            "GET",
            "/search/pins",
            get(sim, bad, "/v5/search/pins?query=photo").await,
            401,
            Some(2),
        )
        .await;
    checker
        .check(
            "GET",
            "/pins/{pin_id}",
            get(sim, &no_scope, &pin_path).await,
            401,
            Some(3),
        )
        .await;
    checker
        .check(
            "DELETE",
            "/pins/{pin_id}",
            delete(sim, full, &pin_path).await,
            204,
            None,
        )
        .await;
    let gone = checker
        .check(
            "GET",
            "/pins/{pin_id}",
            get(sim, full, &pin_path).await,
            404,
            Some(50),
        )
        .await;
    assert_eq!(gone["message"], "Pin not found.");
    checker
        .check(
            "DELETE",
            "/pins/{pin_id}",
            delete(sim, full, &pin_path).await,
            404,
            Some(50),
        )
        .await;
    checker
        .check(
            "DELETE",
            "/pins/{pin_id}",
            delete(sim, full, "/v5/pins/x1").await,
            400,
            Some(1),
        )
        .await;

    checker.assert_covered(|s| s.iter().any(|c| (200..300).contains(c)), "a success");
    checker.assert_covered(
        |s| s.iter().any(|c| (400..500).contains(c)),
        "a client error",
    );
}

#[tokio::test]
async fn injected_fault_responses_match_the_spec() {
    let checker = Checker::new();
    let f = fixture().await;
    let sim = &f.sim;
    let refresh = mint(sim, "demo_pinner", READ_WRITE).refresh_token;

    let five_xx = FaultSet {
        error_rate: 1.0,
        error_statuses: vec![500, 502, 503, 504],
        ..FaultSet::default()
    };
    sim.state().set_faults(None, Some(five_xx)).unwrap();
    for (method, template) in OPERATIONS {
        let response = sample(&f, method, template, &f.full, &refresh)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            (500..=504).contains(&status) && status != 501,
            "{method} {template}: {status}"
        );
        checker
            .check(method, template, response, status, Some(i64::from(status)))
            .await;
    }

    let limited = FaultSet {
        rate_limit: Some(RateLimit {
            requests: 1,
            window_ms: 60_000,
            retry_after: false,
        }),
        ..FaultSet::default()
    };
    sim.state().set_faults(None, Some(limited)).unwrap();
    for (method, template) in OPERATIONS {
        // A fresh token per operation: the limit is per token.
        let token = mint_demo(sim, READ_WRITE);
        let _ = sample(&f, method, template, &token, &refresh)
            .send()
            .await
            .unwrap();
        let response = sample(&f, method, template, &token, &refresh)
            .send()
            .await
            .unwrap();
        checker
            .check(method, template, response, 429, Some(8))
            .await;
    }

    let down = FaultSet {
        down: Some(pinterest_sim::Down {
            mode: pinterest_sim::DownMode::Unavailable,
            for_ms: None,
        }),
        ..FaultSet::default()
    };
    sim.state().set_faults(None, Some(down)).unwrap();
    for (method, template) in OPERATIONS {
        let response = sample(&f, method, template, &f.full, &refresh)
            .send()
            .await
            .unwrap();
        checker
            .check(method, template, response, 503, Some(503))
            .await;
    }
    checker.assert_covered(|s| s.contains(&429) && s.contains(&503), "429 and 503");
}

/// The scope check of each endpoint is exactly the spec's `security` requirement:
/// with every required scope the call is not a 401; without any one of them it is 401 code 3.
#[tokio::test]
async fn scope_checks_follow_the_spec_security_requirements() {
    let spec = Spec::load();
    let f = fixture().await;
    let sim = &f.sim;
    for (method, template) in OPERATIONS.into_iter().filter(|(_, t)| *t != "/oauth/token") {
        let required: Vec<Scope> = spec
            .required_scopes(method, template)
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(
            !required.is_empty(),
            "{method} {template} requires scopes in the spec"
        );
        let exact = ScopeSet::of(&required);
        let token = mint(sim, "demo_pinner", &exact.to_space_separated()).access_token;
        let response = sample(&f, method, template, &token, "")
            .send()
            .await
            .unwrap();
        assert_ne!(
            response.status().as_u16(),
            401,
            "{method} {template} with exactly {required:?}"
        );
        for missing in &required {
            let fewer: Vec<Scope> = required.iter().copied().filter(|s| s != missing).collect();
            // Tokens need at least one scope; a harmless one stands in.
            let scopes = ScopeSet::of(&fewer).with(Scope::AdsRead);
            let token = mint(sim, "demo_pinner", &scopes.to_space_separated()).access_token;
            let response = sample(&f, method, template, &token, "")
                .send()
                .await
                .unwrap();
            let (status, body) = status_json(response).await;
            assert_eq!(
                (status.as_u16(), body["code"].as_i64()),
                (401, Some(3)),
                "{method} {template} without {missing}: {body}"
            );
        }
    }
}
