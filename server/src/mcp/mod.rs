//! The agent gateway: Pinterest as Model Context Protocol tools at `/mcp`,
//! over the Streamable HTTP transport of the official Rust SDK (`rmcp`).
//!
//! - Every request shows an environment API key with the `agent` permission
//!   (`Authorization: Bearer`), counted against the key's rate limit like
//!   `/v1`: 401 with `WWW-Authenticate`, 403, or 429 before the SDK sees it.
//! - Protocol versions with a handshake (up to 2025-11-25) get sessions
//!   (`Mcp-Session-Id`, GET for the server's SSE stream, DELETE to end one);
//!   2026-07-28 is served statelessly, as that revision asks.
//! - Sessions are stored in the database ([`store::DbSessionStore`]), so an
//!   instance that did not begin a session continues it: any instance behind
//!   a load balancer answers any request. A session belongs to the key that
//!   opened it: another key's request on it is answered 404 (unknown session).
//! - The tools themselves are `domain::agent`; [`tools::PinterestTools`] only
//!   lists them and hands calls over.

pub mod store;
pub mod tools;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::accounts::ApiKeyId;
use domain::api::{Admission, ApiCaller};
use domain::shared::ApiPermission;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::api::auth;

/// The largest request body `/mcp` reads: tool arguments are small (a pin's
/// texts are a few KiB at most).
pub const BODY_LIMIT: usize = 64 * 1024;
const SESSION_HEADER: &str = "mcp-session-id";
/// Sessions one process holds at most; a new one past that is refused with
/// 503 until idle ones close (the SDK closes a session idle for 5 minutes).
pub const SESSIONS_MAX: usize = 10_000;
/// Sessions this process remembers the owner of; past that it starts over
/// (and reads owners from the database again).
const OWNERS_MAX: usize = 10_000;

/// Which key opened each session this process has seen, so a request on a
/// session needs no database read to know it is the same key's.
#[derive(Clone, Default)]
struct Owners(Arc<Mutex<HashMap<String, ApiKeyId>>>);

impl Owners {
    fn get(&self, id: &str) -> Option<ApiKeyId> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn put(&self, id: &str, key: &ApiKeyId) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= OWNERS_MAX {
            map.clear();
        }
        map.insert(id.to_owned(), key.clone());
    }

    fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

#[derive(Clone)]
struct Gate {
    services: Services,
    owners: Owners,
    sessions: Arc<LocalSessionManager>,
}

/// The `/mcp` router. `shutdown` ends every session when cancelled.
pub fn router<S: Clone + Send + Sync + 'static>(
    services: Services,
    shutdown: CancellationToken,
) -> Router<S> {
    let public = url::Url::parse(&services.config.public_url).ok();
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if let Some(host) = public.as_ref().and_then(|u| u.host_str()) {
        hosts.push(host.trim_matches(['[', ']']).to_owned());
    }
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_max_request_body_bytes(BODY_LIMIT)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_json_response(true)
        .with_cancellation_token(shutdown);
    config.session_store = Some(Arc::new(store::DbSessionStore::new(services.clone())));
    let handler = {
        let services = services.clone();
        move || Ok(tools::PinterestTools::new(services.clone()))
    };
    let sessions = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(handler, sessions.clone(), config);
    let gate = Gate {
        services,
        owners: Owners::default(),
        sessions,
    };
    Router::new()
        .route_service("/mcp", service)
        .layer(middleware::from_fn_with_state(gate, authenticate))
        .layer(middleware::from_fn(crate::metrics::count_mcp_requests))
        .layer(middleware::from_fn(auth::api_headers))
}

/// The key (with `agent`) and its rate limit; a request on a session must be
/// the session's key's.
async fn authenticate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let (caller, admission) = match auth::gate(
        &gate.services,
        request.headers(),
        Some(ApiPermission::Agent),
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let key = caller.key_id.clone();
    let answer = admitted(gate, caller, admission, request, next).await;
    crate::metrics::answered_to(&key, answer)
}

/// What follows for a request whose key was admitted.
async fn admitted(
    gate: Gate,
    caller: ApiCaller,
    admission: Admission,
    mut request: Request,
    next: Next,
) -> Response {
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = &session {
        let owned = match gate.owners.get(id) {
            Some(key) => Some(key == caller.key_id),
            None => match domain::agent::sessions::owned_by(&gate.services, id, &caller).await {
                Ok(owned) => owned,
                Err(e) => {
                    tracing::error!(error = %e, "could not read an MCP session");
                    return (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment.")
                        .into_response();
                }
            },
        };
        match owned {
            Some(true) => gate.owners.put(id, &caller.key_id),
            // Another key's session is, for this key, no session at all.
            Some(false) => return session_not_found(),
            None => {}
        }
    }
    if session.is_none()
        && request.method() == axum::http::Method::POST
        && gate.sessions.sessions.read().await.len() >= SESSIONS_MAX
    {
        tracing::warn!("MCP sessions at their limit: a new one was refused");
        let mut busy = (
            StatusCode::SERVICE_UNAVAILABLE,
            "This pinbridge instance holds as many MCP sessions as it may; try again in a minute.",
        )
            .into_response();
        busy.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return auth::with_rate_headers(busy, &admission);
    }
    let deleting = request.method() == axum::http::Method::DELETE;
    let posting = request.method() == axum::http::Method::POST;
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    if posting {
        response = as_json_rpc_error(response).await;
    }
    if let (Some(id), true) = (&session, deleting) {
        gate.owners.forget(id);
        // The SDK answers an ended session 202; clients expect 200 or 204
        // (the Python SDK warns on anything else). Nothing follows: 204.
        if response.status() == StatusCode::ACCEPTED {
            *response.status_mut() = StatusCode::NO_CONTENT;
        }
    }
    // A new session: recorded as this key's before its id reaches the client.
    if session.is_none()
        && let Some(id) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
    {
        if let Err(e) = domain::agent::sessions::open(&gate.services, id, &caller).await {
            tracing::error!(error = %e, "could not record an MCP session");
        }
        gate.owners.put(id, &caller.key_id);
    }
    auth::with_rate_headers(response, &admission)
}

/// The SDK refuses a POST it cannot read (not JSON, not one JSON-RPC message,
/// too large, wrong content type) with a plain-text 4xx: the same status with
/// a JSON-RPC error as its body, which a client can parse and show.
async fn as_json_rpc_error(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    let rewritten = [
        StatusCode::BAD_REQUEST,
        StatusCode::PAYLOAD_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        StatusCode::NOT_ACCEPTABLE,
    ];
    if !plain || !rewritten.contains(&status) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let said = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            -32600,
            format!("Invalid Request: the body is larger than {BODY_LIMIT} bytes."),
        )
    } else if said.contains("deserialize") || said.contains("parse") {
        (-32700, format!("Parse error: {said}"))
    } else {
        (-32600, format!("Invalid Request: {said}"))
    };
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

/// As the SDK answers an unknown session (the client starts a new one).
fn session_not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
