//! Remote assistants sign in to the agent gateway with OAuth 2.1, over HTTP
//! as an assistant and an end user's browser speak to pinbridge: discovery
//! (RFC 9728, RFC 8414), registration (RFC 7591), the end user's sign-in at
//! the operator's provider (a fake one that can lie, `fake_idp`), consent,
//! connecting Pinterest on the way, the code with PKCE, tokens bound to one
//! environment's MCP URL, refresh rotation, revocation; and every refusal
//! the specifications name. Both backends. The official MCP SDK's OAuth
//! client and the certified provider drive it in the end-to-end suite.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::cookie::Jar;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::connections::{World, query_param, world};
use super::fake_idp::{CLIENT_ID, CLIENT_SECRET, FakeIdp, Lie};
use super::mcp::agent_key;
use domain::shared::ApiPermission;

const REDIRECT: &str = "http://127.0.0.1:7/callback";
const VERIFIER: &str = "a-verifier-of-forty-three-characters-or-more-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn public(w: &World) -> String {
    w.app.state().config.public_url.clone()
}

fn mcp_url(w: &World, env: &str) -> String {
    format!("{}/mcp/{env}", public(w))
}

/// A browser: its own cookies, redirects not followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(Arc::new(Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(crate::common::REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

struct Got {
    status: StatusCode,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn got(res: reqwest::Response) -> Got {
    let status = res.status();
    let headers = res.headers().clone();
    let location = headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    Got {
        status,
        location,
        headers,
        body: res.text().await.unwrap(),
    }
}

async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The simulator's accounts the end users of these tests connect.
async fn sim_users(w: &World) {
    for name in ["ann_pins", "bob_pins", "cara_pins", "dee_pins", "eve_pins"] {
        super::connections::sim_admin(
            &w.sim,
            reqwest::Method::POST,
            "/_sim/users",
            json!({"username": name}),
        )
        .await;
    }
}

/// Saves the environment's sign-in through the Agents page's form.
async fn configure_sign_in(w: &World, idp: &FakeIdp, claim: &str) {
    if claim == "end_user_id" {
        sim_users(w).await;
    }
    let saved = w
        .owner
        .browser
        .post(
            "agents/sign-in",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", w.env_id.as_str()),
                ("issuer", idp.issuer.as_str()),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("user_claim", claim),
            ],
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.body);
}

async fn register(w: &World, metadata: Value) -> (StatusCode, Value) {
    json_of(
        reqwest::Client::new()
            .post(w.app.url("/oauth/register"))
            .json(&metadata)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A public client with a loopback redirect URI, as MCP clients register.
async fn public_client(w: &World, name: &str) -> String {
    let (status, body) = register(
        w,
        json!({"client_name": name, "redirect_uris": [REDIRECT],
               "grant_types": ["authorization_code", "refresh_token"],
               "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("client_secret").is_none(), "{body}");
    body["client_id"].as_str().unwrap().to_owned()
}

fn authorize_url(w: &World, client: &str, env: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&w.app.url("/oauth/authorize")).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("code_challenge", &challenge(VERIFIER))
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "st-1")
            .append_pair("resource", &mcp_url(w, env));
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// The browser opens the authorization URL and signs in at the provider:
/// the consent page, or pinbridge's answer when it sends the browser
/// elsewhere (back to the client).
async fn sign_in(b: &reqwest::Client, authorize: &str) -> Got {
    let to_idp = got(b.get(authorize).send().await.unwrap()).await;
    assert_eq!(to_idp.status, StatusCode::SEE_OTHER, "{}", to_idp.body);
    let back = got(b.get(to_idp.location.unwrap()).send().await.unwrap()).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let callback = back.location.unwrap();
    let signed_in = got(b.get(&callback).send().await.unwrap()).await;
    match signed_in.location.as_deref() {
        Some(consent) if consent.starts_with("/oauth/consent/") => {
            let base = callback.split("/oauth/").next().unwrap();
            got(b.get(format!("{base}{consent}")).send().await.unwrap()).await
        }
        _ => signed_in,
    }
}

fn absolute(w: &World, location: &str) -> String {
    if location.starts_with('/') {
        w.app.url(location)
    } else {
        location.to_owned()
    }
}

/// On the consent page, the end user presses `decision`.
async fn decide(w: &World, b: &reqwest::Client, consent: &str, decision: &str) -> Got {
    got(b
        .post(absolute(w, consent))
        .header("origin", public(w))
        .form(&[("decision", decision)])
        .send()
        .await
        .unwrap())
    .await
}

/// Through the connect flow pinbridge sent the browser to (consenting on the
/// simulator as `username`): where it lands after.
async fn connect_on_the_way(w: &World, b: &reqwest::Client, link: &str, username: &str) -> Got {
    let page = got(b.get(link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let go = got(b
        .post(link)
        .header("origin", public(w))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(go.status, StatusCode::SEE_OTHER, "{}", go.body);
    let authorize = go.location.unwrap();
    let back = got(b
        .get(format!("{authorize}&sim_consent=allow&sim_user={username}"))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(back.status, StatusCode::FOUND, "{}", back.body);
    let callback = got(b.get(back.location.unwrap()).send().await.unwrap()).await;
    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    let to = callback.location.unwrap();
    assert!(
        to.contains("/oauth/consent/") && to.contains("status=connected"),
        "{to}"
    );
    got(b.get(to).send().await.unwrap()).await
}

/// The whole journey for a new end user: the code the client receives.
async fn code_for(w: &World, idp: &FakeIdp, client: &str, end_user: &str) -> String {
    idp.sign_in_as(end_user);
    let b = browser();
    let consent = sign_in(&b, &authorize_url(w, client, &w.env_id, &[])).await;
    assert_eq!(
        consent.status,
        StatusCode::OK,
        "{:?} {}",
        consent.location,
        consent.body
    );
    let consent_path = format!("/oauth/consent/{}", consent_id(&consent.body));
    let allowed = decide(w, &b, &consent_path, "allow").await;
    assert_eq!(allowed.status, StatusCode::SEE_OTHER, "{}", allowed.body);
    let mut to = allowed.location.unwrap();
    if to.contains("/connect/") {
        let landed = connect_on_the_way(w, &b, &to, &format!("{end_user}_pins")).await;
        assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
        to = landed.location.unwrap();
    }
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(query_param(&to, "iss"), Some(public(w)));
    query_param(&to, "code").unwrap()
}

/// The request id in a consent page's form action.
fn consent_id(page: &str) -> String {
    let at = page.find("action=\"/oauth/consent/").expect(page);
    page[at + 23..].split('"').next().unwrap().to_owned()
}

async fn token(w: &World, form: &[(&str, &str)]) -> (StatusCode, Value) {
    json_of(
        reqwest::Client::new()
            .post(w.app.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn exchange(w: &World, client: &str, code: &str) -> (StatusCode, Value) {
    let resource = mcp_url(w, &w.env_id);
    token(
        w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", &resource),
        ],
    )
    .await
}

/// A JSON-RPC request to an MCP URL with a bearer token: protocol
/// 2026-07-28, one stateless request (as the Agents page's curl).
async fn mcp(url: &str, bearer: Option<&str>, method: &str, mut params: Value) -> Got {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method)
        .body(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": &params}).to_string());
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        req = req.header("mcp-name", name);
    }
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    got(req.send().await.unwrap()).await
}

fn result(g: &Got) -> Value {
    let v: Value = serde_json::from_str(&g.body).unwrap_or_else(|_| panic!("{}", g.body));
    v["result"].clone()
}

/// Another environment of the world's workspace: its id.
async fn other_environment(w: &World) -> String {
    let added: app::models::EnvironmentView = w
        .owner
        .browser
        .call(
            "environments/add",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_name", "Staging"),
            ],
        )
        .await
        .unwrap();
    added.id
}

async fn count(w: &World, table: &str) -> i64 {
    let sql = format!("select count(*) from {table}");
    let (n,): (i64,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as(&sql).fetch_one(pool).await
    })
    .unwrap();
    n
}

#[tokio::test]
async fn discovery_points_from_the_mcp_url_to_pinbridge_as_its_authorization_server() {
    let w = world().await;
    let url = mcp_url(&w, &w.env_id);
    // No token: 401, and where the metadata is (RFC 9728 §5.1).
    let bare = mcp(&url, None, "tools/list", json!({})).await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED, "{}", bare.body);
    let challenge = bare.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/mcp/{}",
        public(&w),
        w.env_id
    );
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains(&format!("resource_metadata=\"{metadata_url}\""))
            && challenge.contains("scope=\"pinterest:read pinterest:write\""),
        "{challenge}"
    );
    let (status, prm) = json_of(reqwest::get(&metadata_url).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(prm["resource"], url);
    assert_eq!(prm["authorization_servers"], json!([public(&w)]));
    assert_eq!(prm["bearer_methods_supported"], json!(["header"]));
    let (status, asm) = json_of(
        reqwest::get(format!(
            "{}/.well-known/oauth-authorization-server",
            public(&w)
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        asm["issuer"],
        public(&w),
        "the issuer is the metadata's own URL"
    );
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        asm["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(asm["authorization_response_iss_parameter_supported"], true);
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            asm[endpoint].as_str().unwrap().starts_with(&public(&w)),
            "{endpoint}"
        );
    }
    // Metadata of what does not exist: 404, not a guess.
    let unknown = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp/0192f2a0-0000-7000-8000-000000000001",
        public(&w)
    ))
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let not_id = mcp(&w.app.url("/mcp/not-an-id"), None, "tools/list", json!({})).await;
    assert_eq!(not_id.status, StatusCode::NOT_FOUND);

    // Without the development flag, a metadata document on a private address
    // is never fetched.
    let ssrf = got(browser()
        .get(authorize_url(
            &w,
            "http://127.0.0.1:9/client.json",
            &w.env_id,
            &[],
        ))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(ssrf.status, StatusCode::BAD_REQUEST, "{}", ssrf.body);
    assert!(ssrf.body.contains("metadata document URL"), "{}", ssrf.body);
    let metadata_ip = got(browser()
        .get(authorize_url(
            &w,
            "https://169.254.169.254/latest/client.json",
            &w.env_id,
            &[],
        ))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(metadata_ip.status, StatusCode::BAD_REQUEST);
    assert!(
        metadata_ip.body.contains("will not fetch"),
        "{}",
        metadata_ip.body
    );

    // Keys keep working, at /mcp and at their own environment's URL, and a
    // request with a key is never sent into the OAuth dance.
    let key = agent_key(&w, &[ApiPermission::Agent], None, 1000).await;
    for at in [w.app.url("/mcp"), url.clone()] {
        let listed = mcp(&at, Some(&key), "tools/list", json!({})).await;
        assert_eq!(listed.status, StatusCode::OK, "{at}: {}", listed.body);
        let props = &result(&listed)["tools"][1]["inputSchema"]["properties"];
        assert!(
            props.get("connection_id").is_some(),
            "keys name their target: {props}"
        );
    }
    // The last character changed (to one it is not): the checksum refuses it.
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    let mistyped = format!("{}{last}", &key[..key.len() - 1]);
    let refused = mcp(&url, Some(&mistyped), "tools/list", json!({})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let challenge = refused.headers["www-authenticate"].to_str().unwrap();
    assert!(!challenge.contains("resource_metadata"), "{challenge}");
    // Another environment's key is not this URL's.
    let other_env = other_environment(&w).await;
    let elsewhere = mcp(
        &mcp_url(&w, &other_env),
        Some(&key),
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::FORBIDDEN,
        "{}",
        elsewhere.body
    );
    w.stop().await;
}

#[tokio::test]
async fn registration_checks_every_field_and_stores_nothing_it_refuses() {
    let w = world().await;
    // A confidential client (RFC 7591's default method) gets a secret, once.
    let (status, body) = register(
        &w,
        json!({"client_name": "Claude", "redirect_uris": ["https://claude.example/api/mcp/auth_callback"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert!(
        body["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("pinbridge_cs_")
    );
    assert_eq!(body["client_secret_expires_at"], 0);
    assert_eq!(
        body["redirect_uris"],
        json!(["https://claude.example/api/mcp/auth_callback"])
    );
    let stored = count(&w, "agent_clients").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"redirect_uris": ["http://assistant.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["cursor://oauth/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (json!({"client_name": "x"}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "client_name": 42}),
            "invalid_client_metadata",
        ),
        (json!([REDIRECT]), "invalid_client_metadata"),
    ];
    for (metadata, error) in cases {
        let (status, body) = register(&w, metadata.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{metadata}: {body}");
        assert_eq!(body["error"], error, "{metadata}: {body}");
        assert!(body["error_description"].as_str().unwrap().len() > 10);
    }
    // Not JSON, the wrong media type, and too large.
    let client = reqwest::Client::new();
    let raw = |body: Vec<u8>, kind: &'static str| {
        client
            .post(w.app.url("/oauth/register"))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    let (status, body) = json_of(
        raw(b"{not json".to_vec(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client_metadata"))
    );
    let (status, body) = json_of(
        raw(
            b"redirect_uris=x".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client_metadata"))
    );
    let big =
        json!({"redirect_uris": [REDIRECT], "client_name": "a", "padding": "x".repeat(40_000)});
    let (status, body) = json_of(
        raw(big.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata");
    assert_eq!(
        count(&w, "agent_clients").await,
        stored,
        "nothing refused was stored"
    );
    w.stop().await;
}

#[tokio::test]
async fn an_end_user_signs_in_allows_connects_and_the_assistant_acts_for_them_alone() {
    let w = world().await;
    let idp = FakeIdp::start().await;
    configure_sign_in(&w, &idp, "end_user_id").await;
    // Another end user of the same environment, connected already.
    let bob = super::connections::connect_sim_user(&w, &w.env_id, "bob", "bob_pins").await;
    let client = public_client(&w, "Research Assistant").await;

    idp.sign_in_as("ann");
    let b = browser();
    let consent = sign_in(&b, &authorize_url(&w, &client, &w.env_id, &[])).await;
    assert!(
        idp.saw_pkce(),
        "pinbridge signs in at the provider with PKCE"
    );
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(
        consent
            .body
            .contains("Research Assistant wants to use your Pinterest boards through Acme Pins"),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("signed in to Acme Pins as ann"),
        "{}",
        consent.body
    );
    assert!(
        consent
            .body
            .contains("See your Pinterest boards, pins and account")
    );
    assert!(
        consent.body.contains("is not connected to Acme Pins yet"),
        "ann has no connection yet"
    );
    assert!(
        consent.body.contains("back to 127.0.0.1"),
        "{}",
        consent.body
    );
    let id = consent_id(&consent.body);
    // Another browser cannot use this consent page.
    let stranger = browser();
    let elsewhere = got(stranger
        .get(w.app.url(&format!("/oauth/consent/{id}")))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    let forged = decide(&w, &stranger, &format!("/oauth/consent/{id}"), "allow").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    // Another site's page cannot press Allow.
    let cross = got(b
        .post(w.app.url(&format!("/oauth/consent/{id}")))
        .header("origin", "https://evil.example")
        .form(&[("decision", "allow")])
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    let allowed = decide(&w, &b, &format!("/oauth/consent/{id}"), "allow").await;
    assert_eq!(allowed.status, StatusCode::SEE_OTHER, "{}", allowed.body);
    let link = allowed.location.unwrap();
    assert!(link.contains("/connect/"), "Pinterest first: {link}");
    let landed = connect_on_the_way(&w, &b, &link, "ann_pins").await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    let to = landed.location.unwrap();
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(query_param(&to, "iss"), Some(public(&w)));
    let code = query_param(&to, "code").unwrap();
    // The page cannot be replayed once it gave its code.
    let again = decide(&w, &b, &format!("/oauth/consent/{id}"), "allow").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    let (status, tokens) = exchange(&w, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "pinterest:read pinterest:write");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("pinbridge_at_") && refresh.starts_with("pinbridge_rt_"));

    let url = mcp_url(&w, &w.env_id);
    let listed = mcp(&url, Some(&access), "tools/list", json!({})).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    for tool in result(&listed)["tools"].as_array().unwrap() {
        let props = &tool["inputSchema"]["properties"];
        assert!(
            props.get("connection_id").is_none() && props.get("end_user_id").is_none(),
            "{tool}"
        );
    }
    let account = mcp(
        &url,
        Some(&access),
        "tools/call",
        json!({"name": "get_user_account", "arguments": {}}),
    )
    .await;
    let account = result(&account);
    assert_ne!(account["isError"], true, "{account}");
    assert_eq!(account["structuredContent"]["username"], "ann_pins");
    // Bob's connection is out of reach, by id or by end user.
    for arguments in [json!({"connection_id": bob}), json!({"end_user_id": "bob"})] {
        let call = mcp(
            &url,
            Some(&access),
            "tools/call",
            json!({"name": "get_user_account", "arguments": arguments}),
        )
        .await;
        let r = result(&call);
        assert_eq!(r["isError"], true, "{arguments}: {r}");
    }
    let connections = mcp(
        &url,
        Some(&access),
        "tools/call",
        json!({"name": "list_connections", "arguments": {}}),
    )
    .await;
    let listed = &result(&connections)["structuredContent"]["connections"];
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["end_user_id"], "ann");
    // The token is this URL's only: not /mcp, not another environment's, not /v1.
    for at in [w.app.url("/mcp")] {
        let refused = mcp(&at, Some(&access), "tools/list", json!({})).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{at}");
    }
    let other_env = other_environment(&w).await;
    let other = mcp(
        &mcp_url(&w, &other_env),
        Some(&access),
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    assert!(
        other.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let api = reqwest::Client::new()
        .get(w.app.url("/v1/connections"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // Refresh: a new pair; the old refresh token is spent.
    let (status, renewed) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let access2 = renewed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access2, access);
    assert_eq!(
        mcp(&url, Some(&access2), "tools/list", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    // Presented again: stolen or confused, every token of the grant ends.
    let (status, reused) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        mcp(&url, Some(&access2), "tools/list", json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let actions = w.audit_actions().await;
    assert!(
        actions.contains(&"agent.sign_in_changed".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"agent.client_authorized".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"agent.refresh_token_reused".to_owned()),
        "{actions:?}"
    );
    // No token, code or secret reached the logs or the audit log.
    let logs = crate::common::logs::captured();
    let audit: Vec<(String,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select detail from audit_events").fetch_all(pool).await
    })
    .unwrap();
    let audit = audit
        .into_iter()
        .map(|(d,)| d)
        .collect::<Vec<_>>()
        .join("\n");
    for secret in [
        &access,
        &refresh,
        &access2,
        &code,
        &CLIENT_SECRET.to_owned(),
    ] {
        assert!(!logs.contains(secret.as_str()), "a secret in the logs");
        assert!(
            !audit.contains(secret.as_str()),
            "a secret in the audit log"
        );
    }
    idp.stop();
    w.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_oauth_2_1_refuses() {
    let w = world().await;
    let idp = FakeIdp::start().await;
    configure_sign_in(&w, &idp, "end_user_id").await;
    let client = public_client(&w, "Assistant").await;
    let other_client = public_client(&w, "Another").await;
    let resource = mcp_url(&w, &w.env_id);
    let refused = |status: StatusCode, body: &Value, error: &str| {
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{body}"
        );
    };

    let code = code_for(&w, &idp, &client, "cara").await;
    // A wrong verifier, a missing one, the wrong redirect URI, another client.
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &format!("{VERIFIER}x")),
        ],
    )
    .await;
    refused(s, &b, "invalid_grant");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    refused(s, &b, "invalid_request");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    refused(s, &b, "invalid_grant");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &other_client),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    refused(s, &b, "invalid_grant");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", "https://elsewhere.example/mcp"),
        ],
    )
    .await;
    refused(s, &b, "invalid_target");
    // Unknown grant types and clients, parameters twice, not a form.
    let (s, b) = token(
        &w,
        &[("grant_type", "client_credentials"), ("client_id", &client)],
    )
    .await;
    refused(s, &b, "unsupported_grant_type");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "password"),
            ("client_id", &client),
            ("username", "a"),
            ("password", "b"),
        ],
    )
    .await;
    refused(s, &b, "unsupported_grant_type");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "pbc_nobody"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("grant_type", "refresh_token"),
            ("client_id", &client),
        ],
    )
    .await;
    refused(s, &b, "invalid_request");
    let (s, b) = json_of(
        reqwest::Client::new()
            .post(w.app.url("/oauth/token"))
            .json(&json!({"grant_type": "authorization_code"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    refused(s, &b, "invalid_request");

    // The right exchange works once; a replayed code ends what it gave.
    let (s, tokens) = exchange(&w, &client, &code).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        mcp(&resource, Some(&access), "tools/list", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let (s, b) = exchange(&w, &client, &code).await;
    refused(s, &b, "invalid_grant");
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    assert_eq!(
        mcp(&resource, Some(&access), "tools/list", json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // An expired access token: 401 with invalid_token, so the client refreshes.
    let code = code_for(&w, &idp, &client, "cara").await;
    let (_, tokens) = exchange(&w, &client, &code).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update agent_tokens set expires_at = 0 where kind = 'access'").execute(pool).await.map(|_| ())
    })
    .unwrap();
    let expired = mcp(&resource, Some(&access), "tools/list", json!({})).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    let challenge = expired.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("resource_metadata="),
        "{challenge}"
    );
    // A refresh may not widen the scope, nor name another resource.
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
            ("resource", "https://elsewhere.example/mcp"),
        ],
    )
    .await;
    refused(s, &b, "invalid_target");
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
            ("scope", "pinterest:admin"),
        ],
    )
    .await;
    refused(s, &b, "invalid_scope");
    // Narrowing is allowed: a read-only token lists only the tools that read.
    let (s, narrowed) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
            ("scope", "pinterest:read"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{narrowed}");
    let reader = narrowed["access_token"].as_str().unwrap().to_owned();
    let tools = result(&mcp(&resource, Some(&reader), "tools/list", json!({})).await);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"list_boards") && !names.contains(&"create_pin"),
        "{names:?}"
    );
    let write = result(
        &mcp(
            &resource,
            Some(&reader),
            "tools/call",
            json!({"name": "create_board", "arguments": {"name": "x"}}),
        )
        .await,
    );
    assert_eq!(write["isError"], true, "{write}");

    // Revocation (RFC 7009): an access token, then the refresh token and with it all.
    let revoke = |token: String, client: String| {
        let url = w.app.url("/oauth/revoke");
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[("token", token.as_str()), ("client_id", client.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let next_refresh = narrowed["refresh_token"].as_str().unwrap().to_owned();
    // Another client's revocation is answered 200 and does nothing.
    assert_eq!(
        revoke(reader.clone(), other_client.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        mcp(&resource, Some(&reader), "tools/list", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(revoke(reader.clone(), client.clone()).await, StatusCode::OK);
    assert_eq!(
        mcp(&resource, Some(&reader), "tools/list", json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        revoke("not-a-token".into(), client.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        revoke(next_refresh.clone(), client.clone()).await,
        StatusCode::OK
    );
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &next_refresh),
        ],
    )
    .await;
    refused(s, &b, "invalid_grant");

    // An operator revokes the client for the end user: its tokens end at once.
    let code = code_for(&w, &idp, &client, "cara").await;
    let (_, tokens) = exchange(&w, &client, &code).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Its use shows as the grant's last use once usage is written.
    let used = mcp(&resource, Some(&access), "tools/list", json!({})).await;
    assert_eq!(used.status, StatusCode::OK);
    domain::api::maintain(w.app.state(), false).await.unwrap();
    let page: Value = w
        .owner
        .browser
        .call(
            "agents/view",
            &[
                ("workspace", w.ws.as_str()),
                ("environment", w.env_slug.as_str()),
            ],
        )
        .await
        .unwrap();
    let granted = &page["assistants"]["authorized"];
    assert!(granted[0]["last_used_at"].is_i64(), "{granted}");
    assert!(granted[0]["first_at"].is_i64(), "{granted}");
    assert_eq!(granted.as_array().unwrap().len(), 1, "{granted}");
    assert_eq!(granted[0]["end_user_id"], "cara");
    assert_eq!(granted[0]["client_name"], "Assistant");
    assert_eq!(granted[0]["redirect_uris"], json!([REDIRECT]));
    let grant = granted[0]["grant_id"].as_str().unwrap().to_owned();
    // Another workspace's owner, and a viewer of this one, cannot revoke it.
    let other = crate::common::portal::provision(&w.app, "Other Co", "other@other.test").await;
    let other_env = other
        .browser
        .workspace(&other.workspace_id)
        .await
        .unwrap()
        .environments[0]
        .id
        .clone();
    for (browser, ws, env) in [
        (
            &other.browser,
            other.workspace_id.as_str(),
            other_env.as_str(),
        ),
        (&other.browser, w.ws.as_str(), w.env_id.as_str()),
    ] {
        let stranger = browser
            .post(
                "agents/revoke-assistant",
                &[
                    ("workspace", ws),
                    ("environment_id", env),
                    ("grant_id", grant.as_str()),
                ],
            )
            .await;
        assert!(!stranger.status.is_success(), "{}", stranger.body);
    }
    let (viewer, _) = crate::common::portal::join(
        &w.app,
        &w.owner.browser,
        &w.ws,
        "viewer@acme.test",
        "viewer",
    )
    .await;
    let as_viewer = viewer
        .post(
            "agents/revoke-assistant",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", w.env_id.as_str()),
                ("grant_id", grant.as_str()),
            ],
        )
        .await;
    assert_eq!(
        as_viewer.status,
        StatusCode::FORBIDDEN,
        "{}",
        as_viewer.body
    );
    assert_eq!(
        mcp(&resource, Some(&access), "tools/list", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let _: String = w
        .owner
        .browser
        .call(
            "agents/revoke-assistant",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", w.env_id.as_str()),
                ("grant_id", grant.as_str()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        mcp(&resource, Some(&access), "tools/list", json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (s, b) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    refused(s, &b, "invalid_grant");
    assert!(
        w.audit_actions()
            .await
            .contains(&"agent.client_revoked".to_owned())
    );
    idp.stop();
    w.stop().await;
}

#[tokio::test]
async fn authorization_requests_are_refused_where_the_specifications_say() {
    let w = world().await;
    let idp = FakeIdp::start().await;
    let client = public_client(&w, "Assistant").await;
    let b = browser();
    // Before sign-in is set up: back to the client with access_denied.
    let early = got(b
        .get(authorize_url(&w, &client, &w.env_id, &[]))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(early.status, StatusCode::SEE_OTHER);
    let to = early.location.unwrap();
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("access_denied"),
        "{to}"
    );
    configure_sign_in(&w, &idp, "end_user_id").await;

    // The client or its redirect URI cannot be trusted: a page, never a redirect.
    let page = |url: String| {
        let b = b.clone();
        async move { got(b.get(url).send().await.unwrap()).await }
    };
    let unknown = page(authorize_url(&w, "pbc_nobody", &w.env_id, &[])).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.location.is_none() && unknown.body.contains("not registered"),
        "{}",
        unknown.body
    );
    let elsewhere = page(authorize_url(&w, &client, &w.env_id, &[]).replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        "https%3A%2F%2Fevil.example%2Fcb",
    ))
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::BAD_REQUEST,
        "{}",
        elsewhere.body
    );
    assert!(elsewhere.location.is_none());

    // After that, errors go back with state and iss (RFC 9207).
    let wr = &w;
    let back = |extra: Vec<(&'static str, String)>, drop: &'static str| {
        let mut url = url::Url::parse(&authorize_url(wr, &client, &wr.env_id, &[])).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| k != drop && !extra.iter().any(|(e, _)| e == k))
            .chain(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        let b = b.clone();
        async move {
            let g = got(b.get(url.as_str()).send().await.unwrap()).await;
            assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
            let to = g.location.unwrap();
            assert!(to.starts_with(REDIRECT), "{to}");
            assert_eq!(query_param(&to, "state").as_deref(), Some("st-1"), "{to}");
            assert_eq!(
                query_param(&to, "iss").as_deref(),
                Some(public(wr).as_str()),
                "{to}"
            );
            query_param(&to, "error").unwrap_or_default()
        }
    };
    assert_eq!(back(vec![], "code_challenge").await, "invalid_request");
    assert_eq!(
        back(vec![("code_challenge_method", "plain".into())], "").await,
        "invalid_request"
    );
    assert_eq!(
        back(vec![("response_type", "token".into())], "").await,
        "unsupported_response_type"
    );
    assert_eq!(back(vec![], "resource").await, "invalid_target");
    assert_eq!(
        back(
            vec![("resource", "https://elsewhere.example/mcp".into())],
            ""
        )
        .await,
        "invalid_target"
    );
    assert_eq!(
        back(
            vec![(
                "resource",
                format!("{}/mcp/0192f2a0-0000-7000-8000-000000000001", public(&w))
            )],
            ""
        )
        .await,
        "invalid_target"
    );
    assert_eq!(
        back(vec![("scope", "pinterest:admin".into())], "").await,
        "invalid_scope"
    );
    assert_eq!(
        count(&w, "agent_authorizations").await,
        0,
        "nothing refused was stored"
    );

    // The end user says no.
    idp.sign_in_as("dee");
    let consent = sign_in(&b, &authorize_url(&w, &client, &w.env_id, &[])).await;
    let denied = decide(
        &w,
        &b,
        &format!("/oauth/consent/{}", consent_id(&consent.body)),
        "deny",
    )
    .await;
    let to = denied.location.unwrap();
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("access_denied"),
        "{to}"
    );
    assert_eq!(count(&w, "agent_grants").await, 0);
    idp.stop();
    w.stop().await;
}

#[tokio::test]
async fn an_id_token_that_fails_a_check_signs_nobody_in() {
    let w = world().await;
    let idp = FakeIdp::start().await;
    configure_sign_in(&w, &idp, "end_user_id").await;
    let client = public_client(&w, "Assistant").await;
    for lie in [
        Lie::Signature,
        Lie::Issuer,
        Lie::Audience,
        Lie::Nonce,
        Lie::Expired,
    ] {
        idp.lie(lie);
        let b = browser();
        let back = sign_in(&b, &authorize_url(&w, &client, &w.env_id, &[])).await;
        // Not a consent page: back to the assistant with access_denied.
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{lie:?}: {}", back.body);
        let to = back.location.unwrap();
        assert!(to.starts_with(REDIRECT), "{lie:?}: {to}");
        assert_eq!(
            query_param(&to, "error").as_deref(),
            Some("access_denied"),
            "{lie:?}"
        );
        assert!(query_param(&to, "code").is_none());
    }
    assert_eq!(count(&w, "agent_grants").await, 0);
    // The honest token still works.
    let code = code_for(&w, &idp, &client, "eve").await;
    assert_eq!(exchange(&w, &client, &code).await.0, StatusCode::OK);
    // A claim the token does not have signs nobody in either.
    configure_sign_in(&w, &idp, "employee_number").await;
    let b = browser();
    let back = sign_in(&b, &authorize_url(&w, &client, &w.env_id, &[])).await;
    let to = back.location.unwrap();
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("access_denied"),
        "{to}"
    );
    assert!(
        query_param(&to, "error_description")
            .unwrap()
            .contains("employee_number")
    );
    idp.stop();
    w.stop().await;
}

#[tokio::test]
async fn sign_in_settings_are_checked_sealed_and_for_owners_and_admins() {
    let w = world().await;
    let form = |issuer: &'static str, secret: &'static str, claim: &'static str| {
        vec![
            ("workspace", w.ws.clone()),
            ("environment_id", w.env_id.clone()),
            ("issuer", issuer.to_owned()),
            ("client_id", "pinbridge".to_owned()),
            ("client_secret", secret.to_owned()),
            ("user_claim", claim.to_owned()),
        ]
    };
    let owner = &w.owner.browser;
    let post = |fields: Vec<(&'static str, String)>| async move {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        owner.post("agents/sign-in", &refs).await
    };
    for (fields, field) in [
        (form("http://idp.example", "s", "sub"), "issuer"),
        (form("not a url", "s", "sub"), "issuer"),
        (form("https://idp.example", "", "sub"), "client_secret"),
        (form("https://idp.example", "s", "a claim"), "user_claim"),
    ] {
        let refused = post(fields).await;
        assert!(!refused.status.is_success(), "{field}");
        assert!(refused.body.contains(field), "{field}: {}", refused.body);
    }
    assert_eq!(count(&w, "agent_sign_in").await, 0);
    let saved = post(form(
        "https://idp.example/realms/acme",
        "the-idp-secret-1234",
        "sub",
    ))
    .await;
    assert!(saved.status.is_success(), "{}", saved.body);
    // Sealed, never shown: not in the page's data, not in the audit log.
    let (stored,): (String,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select client_secret from agent_sign_in").fetch_one(pool).await
    })
    .unwrap();
    assert!(
        stored.starts_with("pb1:") && !stored.contains("the-idp-secret-1234"),
        "{stored}"
    );
    let page = w
        .owner
        .browser
        .post(
            "agents/view",
            &[
                ("workspace", w.ws.as_str()),
                ("environment", w.env_slug.as_str()),
            ],
        )
        .await;
    assert!(
        page.body.contains("https://idp.example/realms/acme")
            && !page.body.contains("the-idp-secret-1234")
    );
    // A blank secret keeps the stored one.
    let kept = post(form("https://idp.example/realms/acme", "", "email")).await;
    assert!(kept.status.is_success(), "{}", kept.body);
    let (after,): (String,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select client_secret from agent_sign_in").fetch_one(pool).await
    })
    .unwrap();
    assert_eq!(after, stored);
    let audit: Vec<(String,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select detail from audit_events where action = 'agent.sign_in_changed'").fetch_all(pool).await
    })
    .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|(d,)| !d.contains("the-idp-secret-1234")));
    assert!(!crate::common::logs::captured().contains("the-idp-secret-1234"));
    // A viewer reads the page but cannot change it; another workspace cannot either.
    let (viewer, _) = crate::common::portal::join(
        &w.app,
        &w.owner.browser,
        &w.ws,
        "viewer@acme.test",
        "viewer",
    )
    .await;
    let refused = viewer
        .post(
            "agents/sign-in",
            &form("https://idp.example/x", "s", "sub")
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let other = crate::common::portal::provision(&w.app, "Other Co", "other@other.test")
        .await
        .browser;
    let refused = other
        .post(
            "agents/sign-in",
            &form("https://idp.example/x", "s", "sub")
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert!(
        refused.status == StatusCode::NOT_FOUND || refused.status == StatusCode::FORBIDDEN,
        "{}",
        refused.body
    );
    let (issuer,): (String,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select issuer from agent_sign_in").fetch_one(pool).await
    })
    .unwrap();
    assert_eq!(issuer, "https://idp.example/realms/acme");
    // Removed by an owner (not a viewer): assistants can no longer sign in.
    let remove = [
        ("workspace", w.ws.as_str()),
        ("environment_id", w.env_id.as_str()),
    ];
    let as_viewer = viewer.post("agents/remove-sign-in", &remove).await;
    assert_eq!(
        as_viewer.status,
        StatusCode::FORBIDDEN,
        "{}",
        as_viewer.body
    );
    assert_eq!(count(&w, "agent_sign_in").await, 1);
    let removed = w.owner.browser.post("agents/remove-sign-in", &remove).await;
    assert!(removed.status.is_success(), "{}", removed.body);
    assert_eq!(count(&w, "agent_sign_in").await, 0);
    let again = w.owner.browser.post("agents/remove-sign-in", &remove).await;
    assert!(again.body.contains("no sign-in settings"), "{}", again.body);
    assert!(
        w.audit_actions()
            .await
            .contains(&"agent.sign_in_removed".to_owned())
    );
    let client = public_client(&w, "Assistant").await;
    let refused = got(browser()
        .get(authorize_url(&w, &client, &w.env_id, &[]))
        .send()
        .await
        .unwrap())
    .await;
    let to = refused.location.unwrap();
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("access_denied"),
        "{to}"
    );
    w.stop().await;
}

/// Serves client ID metadata documents on 127.0.0.1: `/{name}.json`
/// answers what `docs` (given the server's base URL) holds under that name.
async fn document_server(
    docs: impl FnOnce(&str) -> Vec<(&'static str, String)>,
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Path;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let docs = Arc::new(docs(&base));
    let router = axum::Router::new().route(
        "/{name}",
        axum::routing::get(move |Path(name): Path<String>| {
            let docs = docs.clone();
            async move {
                match docs.iter().find(|(n, _)| format!("{n}.json") == name) {
                    Some((_, body)) => (
                        StatusCode::OK,
                        [
                            ("content-type", "application/json"),
                            ("cache-control", "max-age=600"),
                        ],
                        body.clone(),
                    ),
                    None => (
                        StatusCode::NOT_FOUND,
                        [
                            ("content-type", "text/plain"),
                            ("cache-control", "no-store"),
                        ],
                        String::new(),
                    ),
                }
            }
        }),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (base, task)
}

#[tokio::test]
async fn a_client_known_by_its_metadata_document_signs_in_without_registering() {
    let w = super::connections::world_with(
        &["user_accounts:read", "boards:read", "pins:read"],
        &["--agent-client-documents-allow-private"],
    )
    .await;
    let idp = FakeIdp::start().await;
    configure_sign_in(&w, &idp, "end_user_id").await;
    let (served, task) = document_server(|base| {
        vec![
            ("good", json!({"client_id": format!("{base}/good.json"), "client_name": "Document Assistant",
                "redirect_uris": [REDIRECT], "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none"}).to_string()),
            ("impostor", json!({"client_id": format!("{base}/good.json"), "client_name": "Impostor",
                "redirect_uris": [REDIRECT]}).to_string()),
            ("secretive", json!({"client_id": format!("{base}/secretive.json"), "client_name": "S",
                "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}).to_string()),
            ("huge", json!({"client_id": format!("{base}/huge.json"), "client_name": "H",
                "redirect_uris": [REDIRECT], "padding": "x".repeat(6000)}).to_string()),
        ]
    })
    .await;
    let client = format!("{served}/good.json");
    let (status, asm) = json_of(
        reqwest::get(format!(
            "{}/.well-known/oauth-authorization-server",
            public(&w)
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asm["client_id_metadata_document_supported"], true);

    // Documents pinbridge refuses: a page, never a redirect, nothing kept.
    let b = browser();
    for (name, says) in [
        ("impostor", "another client_id"),
        ("secretive", "private_key_jwt"),
        ("huge", "larger than"),
        ("missing", "404"),
    ] {
        let refused = got(b
            .get(authorize_url(
                &w,
                &format!("{served}/{name}.json"),
                &w.env_id,
                &[],
            ))
            .send()
            .await
            .unwrap())
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            refused.body
        );
        assert!(refused.location.is_none(), "{name}");
        assert!(refused.body.contains(says), "{name}: {}", refused.body);
    }
    assert_eq!(count(&w, "agent_clients").await, 0);

    // The document's client goes through the journey as a registered one does.
    let code = code_for(&w, &idp, &client, "ann").await;
    let (status, tokens) = exchange(&w, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let listed = mcp(
        &mcp_url(&w, &w.env_id),
        Some(access),
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let page: Value = w
        .owner
        .browser
        .call(
            "agents/view",
            &[
                ("workspace", w.ws.as_str()),
                ("environment", w.env_slug.as_str()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        page["assistants"]["authorized"][0]["client_name"],
        "Document Assistant"
    );
    task.abort();
    idp.stop();
    w.stop().await;
}
