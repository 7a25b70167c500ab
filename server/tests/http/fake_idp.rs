//! An OpenID provider for the agent gateway's tests that can also lie: it
//! signs its ID tokens (HS256 with the client secret, which OpenID Connect
//! allows a confidential client) the right way or, on demand, with a wrong
//! key, issuer, audience, nonce or expiry, so each of pinbridge's checks is
//! seen to refuse. The certified provider (oidc-provider, in the end-to-end
//! suite) shows the honest path with RS256.
//!
//! Its authorization endpoint signs the person in at once as `login`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub(super) const CLIENT_ID: &str = "pinbridge-at-acme";
pub(super) const CLIENT_SECRET: &str = "idp-secret-0f9e8d7c6b5a";

/// How the next ID token is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lie {
    None,
    Signature,
    Issuer,
    Audience,
    Nonce,
    Expired,
}

#[derive(Default)]
struct Inner {
    lie: Option<Lie>,
    login: String,
    /// The nonce of the last authorization request.
    nonce: String,
    /// The PKCE challenge of the last authorization request.
    challenge: String,
    codes: u32,
}

#[derive(Clone)]
struct Idp {
    base: String,
    inner: Arc<Mutex<Inner>>,
}

pub(super) struct FakeIdp {
    pub(super) issuer: String,
    idp: Idp,
    task: tokio::task::JoinHandle<()>,
}

impl FakeIdp {
    pub(super) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let idp = Idp {
            base: base.clone(),
            inner: Arc::new(Mutex::new(Inner {
                login: "ann".into(),
                ..Inner::default()
            })),
        };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(idp.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            issuer: base,
            idp,
            task,
        }
    }

    /// Who the next sign-in is (the `end_user_id` claim and `sub`).
    pub(super) fn sign_in_as(&self, login: &str) {
        self.idp.inner.lock().unwrap().login = login.to_owned();
    }

    /// How the next ID token lies.
    pub(super) fn lie(&self, lie: Lie) {
        self.idp.inner.lock().unwrap().lie = Some(lie);
    }

    /// Whether pinbridge sent a PKCE challenge with its last request.
    pub(super) fn saw_pkce(&self) -> bool {
        self.idp.inner.lock().unwrap().challenge.len() == 43
    }

    pub(super) fn stop(self) {
        self.task.abort();
    }
}

async fn discovery(State(idp): State<Idp>) -> axum::Json<Value> {
    let base = &idp.base;
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn authorize(
    State(idp): State<Idp>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    let mut inner = idp.inner.lock().unwrap();
    inner.nonce = q.get("nonce").cloned().unwrap_or_default();
    inner.challenge = q.get("code_challenge").cloned().unwrap_or_default();
    inner.codes += 1;
    let code = format!("idp-code-{}", inner.codes);
    let mut back = url::Url::parse(q.get("redirect_uri").map_or("", String::as_str)).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", q.get("state").map_or("", String::as_str));
    Redirect::to(back.as_str()).into_response()
}

fn sign(key: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{body}");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

async fn token(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let mut inner = idp.inner.lock().unwrap();
    let lie = inner.lie.take().unwrap_or(Lie::None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": if lie == Lie::Issuer { "http://127.0.0.1:1" } else { idp.base.as_str() },
        "sub": format!("sub-{}", inner.login),
        "aud": if lie == Lie::Audience { "someone-else" } else { CLIENT_ID },
        "iat": now - 5,
        "exp": if lie == Lie::Expired { now - 60 } else { now + 300 },
        "nonce": if lie == Lie::Nonce { "not-the-nonce" } else { inner.nonce.as_str() },
        "end_user_id": inner.login,
        "email": format!("{}@example.test", inner.login),
    });
    let key = if lie == Lie::Signature {
        b"a-key-the-client-does-not-know".as_slice()
    } else {
        CLIENT_SECRET.as_bytes()
    };
    axum::Json(json!({
        "access_token": "idp-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": sign(key, &claims),
    }))
    .into_response()
}
