//! Shared helpers of the simulator's tests: start a simulator on
//! 127.0.0.1 (free port), speak to it over HTTP like a client would.

use base64::Engine;
use pinterest_sim::{
    DEMO_APP_ID, DEMO_APP_SECRET, DEMO_REDIRECT_URI, DEMO_USERNAME, MintRequest, RunningSim,
    ScopeSet, SimConfig, TokenResponse, spawn,
};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const ALL_READ: &str = "boards:read,pins:read,user_accounts:read";
pub const READ_WRITE: &str = "boards:read,boards:write,pins:read,pins:write,user_accounts:read";
/// What `GET /v5/search/pins` needs: its spec lists the secret read scopes too.
pub const SEARCH: &str = "boards:read,boards:read_secret,pins:read,pins:read_secret";

pub async fn start() -> RunningSim {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut SimConfig)) -> RunningSim {
    let mut config = SimConfig::default();
    tweak(&mut config);
    assert!(
        config.addr.ip().is_loopback(),
        "tests only talk to 127.0.0.1"
    );
    spawn(config).await.expect("simulator starts")
}

/// A client that never follows redirects and ignores proxy variables.
pub fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

pub fn demo_basic() -> String {
    basic(DEMO_APP_ID, DEMO_APP_SECRET)
}

/// The authorize URL for the demo app with `scope` (comma-separated) and `extra` query pairs.
pub fn authorize_url(sim: &RunningSim, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/", sim.base_url())).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", DEMO_APP_ID)
            .append_pair("redirect_uri", DEMO_REDIRECT_URI)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", "st4te");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.into()
}

/// The query pairs of a redirect's `Location`.
pub fn location_query(response: &Response) -> Vec<(String, String)> {
    let location = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap();
    let url = url::Url::parse(location).expect("absolute Location");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Runs the browser leg with the auto-approve flag; returns the code.
pub async fn authorize(sim: &RunningSim, scope: &str) -> String {
    let response = client()
        .get(authorize_url(sim, scope, &[("sim_consent", "allow")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = location_query(&response);
    assert_eq!(param(&pairs, "state"), Some("st4te"));
    param(&pairs, "code").expect("code").to_owned()
}

pub async fn token_request(sim: &RunningSim, auth: &str, form: &[(&str, &str)]) -> Response {
    client()
        .post(format!("{}/oauth/token", sim.api_base()))
        .header("authorization", auth)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The full OAuth dance for the demo app; returns the token response.
pub async fn login(sim: &RunningSim, scope: &str) -> TokenResponse {
    let code = authorize(sim, scope).await;
    let response = token_request(
        sim,
        &demo_basic(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_REDIRECT_URI),
            ("continuous_refresh", "true"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Tokens for `username` on the demo app without the browser leg.
pub fn mint(sim: &RunningSim, username: &str, scopes: &str) -> TokenResponse {
    sim.state()
        .mint_tokens(MintRequest {
            client_id: DEMO_APP_ID.into(),
            username: username.into(),
            scopes: ScopeSet::parse_lenient(scopes).unwrap(),
            count: None,
        })
        .unwrap()
        .remove(0)
}

pub fn mint_demo(sim: &RunningSim, scopes: &str) -> String {
    mint(sim, DEMO_USERNAME, scopes).access_token
}

pub async fn get(sim: &RunningSim, token: &str, path: &str) -> Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub async fn send_json(
    sim: &RunningSim,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: &Value,
) -> Response {
    client()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn delete(sim: &RunningSim, token: &str, path: &str) -> Response {
    client()
        .delete(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Admin call with a JSON body.
pub async fn admin(
    sim: &RunningSim,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut request = client().request(method, format!("{}{path}", sim.base_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Status and parsed JSON body (Null when empty or not JSON).
pub async fn status_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Asserts a Pinterest-shaped error.
pub async fn expect_error(response: Response, status: u16, code: i64) -> Value {
    let (got, body) = status_json(response).await;
    assert_eq!(got.as_u16(), status, "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["message"].is_string(), "body: {body}");
    body
}
