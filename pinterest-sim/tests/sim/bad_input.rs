//! Bad input never panics and always gets a Pinterest-shaped error: malformed
//! Basic headers, missing or unknown fields, bodies that are not JSON, oversized
//! bodies, wrong types, garbage paths, random bytes.

use crate::support::*;
use pinterest_sim::{DEMO_REDIRECT_URI, RunningSim};
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn raw(
    sim: &RunningSim,
    method: Method,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    client()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn still_alive(sim: &RunningSim) {
    let health = client()
        .get(format!("{}/_sim/health", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the simulator survived");
}

#[tokio::test]
async fn token_endpoint_form_problems_are_400_code_1() {
    let sim = start().await;
    let code = authorize(&sim, "boards:read").await;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "no grant_type",
            vec![("code", &code), ("redirect_uri", DEMO_REDIRECT_URI)],
        ),
        ("empty grant_type", vec![("grant_type", "")]),
        ("unknown grant_type", vec![("grant_type", "password")]),
        (
            "client_credentials",
            vec![("grant_type", "client_credentials")],
        ),
        (
            "no code",
            vec![
                ("grant_type", "authorization_code"),
                ("redirect_uri", DEMO_REDIRECT_URI),
            ],
        ),
        (
            "no redirect_uri",
            vec![("grant_type", "authorization_code"), ("code", &code)],
        ),
        ("no refresh_token", vec![("grant_type", "refresh_token")]),
        (
            "unknown scope",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "pinr.x"),
                ("scope", "nope"),
            ],
        ),
        (
            "unknown field",
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", DEMO_REDIRECT_URI),
                ("colour", "red"),
            ],
        ),
        (
            "client_secret in body",
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", DEMO_REDIRECT_URI),
                ("client_secret", "x"),
            ],
        ),
        (
            "repeated field",
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code", &code),
                ("redirect_uri", DEMO_REDIRECT_URI),
            ],
        ),
        (
            "mismatched client_id",
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", DEMO_REDIRECT_URI),
                ("client_id", "42"),
            ],
        ),
    ];
    for (what, form) in cases {
        let body = expect_error(token_request(&sim, &demo_basic(), &form).await, 400, 1).await;
        assert_eq!(body["status"], "failure", "{what}");
    }
    // A JSON body where a form is expected.
    let json_body = client()
        .post(format!("{}/oauth/token", sim.api_base()))
        .header("authorization", demo_basic())
        .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI}))
        .send()
        .await
        .unwrap();
    expect_error(json_body, 400, 1).await;
    // The code survived all of it.
    let ok = token_request(
        &sim,
        &demo_basic(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn json_bodies_that_are_not_json_or_not_the_right_json_are_400_code_1() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let boards: Value = get(&sim, &token, "/v5/boards").await.json().await.unwrap();
    let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
    let board_path = format!("/v5/boards/{board}");
    let pins: Value = get(&sim, &token, "/v5/pins").await.json().await.unwrap();
    let pin_path = format!("/v5/pins/{}", pins["items"][0]["id"].as_str().unwrap());
    let targets = [
        (Method::POST, "/v5/boards".to_owned()),
        (Method::PATCH, board_path.clone()),
        (Method::POST, "/v5/pins".to_owned()),
        (Method::PATCH, pin_path),
        (Method::POST, "/_sim/apps".to_owned()),
        (Method::POST, "/_sim/users".to_owned()),
        (Method::PUT, "/_sim/faults".to_owned()),
        (Method::PUT, "/_sim/consent".to_owned()),
        (Method::POST, "/_sim/tokens".to_owned()),
    ];
    let bodies: [(&str, &[u8]); 7] = [
        ("application/json", b"{not json"),
        ("application/json", b""),
        ("application/json", b"[1,2,3]"),
        ("application/json", b"\"a string\""),
        ("application/json", b"null"),
        ("application/json", &[0xff, 0xfe, 0x00, 0x7b]),
        ("text/plain", b"{\"name\":\"x\"}"),
    ];
    for (method, path) in &targets {
        for (content_type, body) in bodies {
            let response = raw(
                &sim,
                method.clone(),
                path,
                &token,
                content_type,
                body.to_vec(),
            )
            .await;
            let err = expect_error(response, 400, 1).await;
            assert!(
                !err["message"].as_str().unwrap().is_empty(),
                "{method} {path}"
            );
        }
    }
    still_alive(&sim).await;
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_refused() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let boards: Value = get(&sim, &token, "/v5/boards").await.json().await.unwrap();
    let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
    let media = json!({"source_type": "image_url", "url": "https://example.com/a.jpg"});
    let cases = [
        (
            "/v5/boards",
            Method::POST,
            json!({"name": "x", "colour": "red"}),
            "colour",
        ),
        (
            "/v5/boards",
            Method::POST,
            json!({"name": 5}),
            "invalid type",
        ),
        (
            "/v5/boards",
            Method::POST,
            json!({"description": "no name"}),
            "name",
        ),
        ("/v5/boards", Method::POST, json!({"name": "   "}), "name"),
        (
            "/v5/boards",
            Method::POST,
            json!({"name": "x", "privacy": "HIDDEN"}),
            "HIDDEN",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": media, "note": "x"}),
            "note",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": 42, "media_source": media}),
            "invalid type",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"media_source": media}),
            "board_id",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": "12a", "media_source": media}),
            "board_id",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": {"source_type": "image_base64", "data": "x"}}),
            "image_base64",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": {"source_type": "image_url"}}),
            "url",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": {"source_type": "image_url", "url": "not a url"}}),
            "url",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": {"source_type": "image_url", "url": "https://e.com/a", "extra": 1}}),
            "extra",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": media, "title": "t".repeat(101)}),
            "title",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": media, "dominant_color": "red"}),
            "dominant_color",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": media, "link": "javascript:alert(1)"}),
            "link",
        ),
        (
            "/v5/pins",
            Method::POST,
            json!({"board_id": board, "media_source": media, "board_section_id": "1"}),
            "board_section_id",
        ),
    ];
    for (path, method, body, mention) in cases {
        let err = expect_error(send_json(&sim, method, &token, path, &body).await, 400, 1).await;
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains(mention),
            "{path} {body}: message {message:?} should mention {mention}"
        );
    }
    let pins: Value = get(&sim, &token, "/v5/pins").await.json().await.unwrap();
    let pin = pins["items"][0].clone();
    let pin_path = format!("/v5/pins/{}", pin["id"].as_str().unwrap());
    let pin_cases = [
        (json!({"title": "t".repeat(101)}), "title"),
        (json!({"description": "d".repeat(801)}), "description"),
        (json!({"alt_text": "a".repeat(501)}), "alt_text"),
        (
            json!({"link": format!("https://example.com/{}", "l".repeat(2048))}),
            "link",
        ),
        (json!({"link": "javascript:alert(1)"}), "link"),
        (json!({"title": 5}), "invalid type"),
        (json!({"board_id": "12a"}), "board_id"),
        (json!({"board_id": ""}), "board_id"),
        (json!({"board_id": 42}), "invalid type"),
        (json!({"board_id": null}), "board_id"),
        (json!({"board_section_id": "1"}), "board_section_id"),
        (json!({"carousel_slots": []}), "carousel_slots"),
        (json!({"note": "x"}), "note"),
        (
            json!({"media_source": {"source_type": "image_url"}}),
            "media_source",
        ),
        (json!({"dominant_color": "#000000"}), "dominant_color"),
    ];
    for (body, mention) in pin_cases {
        let err = expect_error(
            send_json(&sim, Method::PATCH, &token, &pin_path, &body).await,
            400,
            1,
        )
        .await;
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains(mention),
            "PATCH {pin_path} {body}: message {message:?} should mention {mention}"
        );
    }
    expect_error(
        send_json(&sim, Method::PATCH, &token, "/v5/pins/x1", &json!({})).await,
        400,
        1,
    )
    .await;
    let after: Value = get(&sim, &token, &pin_path).await.json().await.unwrap();
    assert_eq!(after, pin, "refused updates change nothing");

    let patch = format!("/v5/boards/{board}");
    expect_error(
        send_json(
            &sim,
            Method::PATCH,
            &token,
            &patch,
            &json!({"pin_count": 3}),
        )
        .await,
        400,
        1,
    )
    .await;
    expect_error(
        send_json(
            &sim,
            Method::PATCH,
            &token,
            &patch,
            &json!({"privacy": "PROTECTED"}),
        )
        .await,
        400,
        1,
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_413_even_when_chunked() {
    let sim = start_with(|c| c.max_body_bytes = 4096).await;
    let token = mint_demo(&sim, READ_WRITE);
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(5000));
    for path in ["/v5/boards", "/v5/pins", "/v5/oauth/token", "/_sim/users"] {
        let sized = raw(
            &sim,
            Method::POST,
            path,
            &token,
            "application/json",
            big.clone().into_bytes(),
        )
        .await;
        expect_error(sized, 413, 413).await;
    }
    // Without Content-Length (chunked transfer encoding), over a raw socket.
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!(
        "POST /v5/boards HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        sim.addr()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..10 {
        stream
            .write_all(format!("3e8\r\n{}\r\n", "x".repeat(1000)).as_bytes())
            .await
            .unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":413"), "{answer}");
    // Just under the limit is fine.
    let fits = raw(
        &sim,
        Method::POST,
        "/v5/boards",
        &token,
        "application/json",
        br#"{"name":"fits"}"#.to_vec(),
    )
    .await;
    assert_eq!(fits.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn garbage_paths_methods_and_headers_get_json_errors() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let base = sim.base_url();
    let c = client();
    let cases = [
        (
            c.get(format!("{base}/v5/boards/%FF%FE"))
                .bearer_auth(&token),
            400,
        ),
        (
            c.get(format!("{base}/v5/boards/99999999999999999999999"))
                .bearer_auth(&token),
            404,
        ),
        (c.get(format!("{base}/v5/pins/-1")).bearer_auth(&token), 400),
        (
            c.get(format!("{base}/v5/pins/%00")).bearer_auth(&token),
            400,
        ),
        (c.get(format!("{base}/v5/../../etc/passwd")), 404),
        (
            c.get(format!("{base}/v5/pins?page_size=%FF"))
                .bearer_auth(&token),
            400,
        ),
        (
            c.get(format!("{base}/v5/pins?{}", "a=b&".repeat(2000)))
                .bearer_auth(&token),
            200,
        ),
        (
            c.request(
                Method::from_bytes(b"BREW").unwrap(),
                format!("{base}/v5/pins"),
            )
            .bearer_auth(&token),
            405,
        ),
        (
            c.delete(format!("{base}/v5/user_account"))
                .bearer_auth(&token),
            405,
        ),
        (
            c.get(format!("{base}/v5/user_account"))
                .header("authorization", "Bearer"),
            401,
        ),
        (
            c.get(format!("{base}/v5/user_account"))
                .header("authorization", "Basic abc"),
            401,
        ),
        (
            c.get(format!("{base}/v5/user_account"))
                .header("authorization", vec![0xC3u8, 0x28]),
            401,
        ),
        (
            c.get(format!("{base}/v5/user_account"))
                .bearer_auth("pinr.refresh-token-is-not-access"),
            401,
        ),
        (c.get(format!("{base}/_sim/requests?since=-4")), 400),
        (
            c.put(format!("{base}/_sim/apps/1234567/faults"))
                .json(&json!({"error_rate": 2})),
            400,
        ),
    ];
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let url = response.url().to_string();
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{url}: not JSON: {e}"));
        assert_eq!(got, status, "{url}: {body}");
        if status >= 400 {
            assert!(
                body["code"].is_i64() && body["message"].is_string(),
                "{url}: {body}"
            );
        }
    }
    still_alive(&sim).await;
}

#[tokio::test]
async fn random_bytes_to_every_endpoint_never_cause_a_5xx() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let endpoints = [
        (Method::POST, "/v5/oauth/token"),
        (Method::POST, "/v5/boards"),
        (Method::PATCH, "/v5/boards/549755885001"),
        (Method::POST, "/v5/pins"),
        (Method::PATCH, "/v5/pins/813744226000000001"),
        (Method::POST, "/oauth/"),
        (Method::POST, "/_sim/apps"),
        (Method::POST, "/_sim/users"),
        (Method::POST, "/_sim/tokens/revoke"),
        (Method::PUT, "/_sim/faults"),
    ];
    let content_types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
    ];
    for i in 0..300 {
        let (method, path) = &endpoints[i % endpoints.len()];
        let len = rng.gen_range(0..512);
        let mut body: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        if i % 3 == 0 {
            // Nearly valid JSON is more interesting than noise.
            body = format!(
                "{{\"name\":\"{}\",\"pins\":{}}}",
                i,
                rng.gen_range(-5i64..5)
            )
            .into_bytes();
        }
        let auth = if i % 2 == 0 {
            format!("Bearer {token}")
        } else {
            demo_basic()
        };
        let response = client()
            .request(method.clone(), format!("{}{path}", sim.base_url()))
            .header("authorization", auth)
            .header("content-type", content_types[i % content_types.len()])
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().as_u16() < 500,
            "{method} {path}: {}",
            response.status()
        );
    }
    still_alive(&sim).await;
}
