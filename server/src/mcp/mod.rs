//! The agent gateway: Pinterest as Model Context Protocol tools at `/mcp`,
//! over the Streamable HTTP transport of the official Rust SDK (`rmcp`).
//!
//! - `/mcp` takes an environment API key with the `agent` permission
//!   (`Authorization: Bearer`), counted against the key's rate limit like
//!   `/v1`: 401 with `WWW-Authenticate`, 403, or 429 before the SDK sees it.
//! - Each environment's own MCP URL, `/mcp/{environment id}`, also takes
//!   that environment's keys, and is a protected resource for assistants that
//!   sign in with OAuth ([`oauth`], `domain::agent::oauth`): their access
//!   tokens are bound to it, act for one end user, and are refused anywhere
//!   else. A request without a token is answered 401 pointing to the URL's
//!   protected-resource metadata; one with a key never is.
//! - Protocol versions with a handshake (up to 2025-11-25) get sessions
//!   (`Mcp-Session-Id`, GET for the server's SSE stream, DELETE to end one);
//!   2026-07-28 is served statelessly, as that revision asks.
//! - Sessions are stored in the database ([`store::DbSessionStore`]), so an
//!   instance that did not begin a session continues it: any instance behind
//!   a load balancer answers any request. A session belongs to the key that
//!   opened it: another key's request on it is answered 404 (unknown session).
//! - The tools themselves are `domain::agent`; [`tools::PinterestTools`] only
//!   lists them and hands calls over.

pub mod oauth;
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
use domain::accounts::{ApiKeyId, EnvironmentId};
use domain::api::{Admission, ApiCaller};
use domain::shared::{AgentScope, ApiPermission};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::api::auth;
use crate::api::problem::ApiProblem;

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
    let services_for_oauth = services.clone();
    let gate = Gate {
        services,
        owners: Owners::default(),
        sessions,
    };
    let gateway = Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/mcp/{environment}", service)
        .layer(middleware::from_fn_with_state(gate, authenticate))
        .layer(middleware::from_fn(crate::metrics::count_mcp_requests))
        .layer(middleware::from_fn(auth::api_headers));
    gateway.merge(oauth::router(services_for_oauth))
}

/// The environment an MCP URL names: `None` for `/mcp` (keys only), or the
/// id in `/mcp/{environment}` (keys of that environment, and assistants'
/// access tokens for that URL); `Err` when that is not an id.
fn environment_in(path: &str) -> Result<Option<EnvironmentId>, ()> {
    match path.strip_prefix("/mcp/") {
        None => Ok(None),
        Some(id) => EnvironmentId::parse(id)
            .filter(|parsed| parsed.as_str() == id)
            .map(Some)
            .ok_or(()),
    }
}

/// Who is calling, admitted under its rate limit: a key with `agent` (on
/// `/mcp`, or on its own environment's URL), or an assistant's access token
/// for this very URL (RFC 8707 audience). An MCP URL's refusals of a missing
/// or unusable token point to its protected-resource metadata (RFC 9728
/// §5.1); a request that showed an API key is answered as the API answers
/// keys, never sent into the OAuth dance.
async fn admit(
    services: &Services,
    headers: &axum::http::HeaderMap,
    environment: Option<&EnvironmentId>,
) -> Result<(ApiCaller, Admission), Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(environment) = environment else {
        if presented.is_some_and(domain::agent::oauth::is_access_token) {
            return Err(ApiProblem::unauthorized(domain::api::AuthProblem::Malformed)
                .challenge(
                    "Bearer realm=\"pinbridge\", error=\"invalid_token\", error_description=\"An access token is for its environment's MCP URL (/mcp/<environment id>), not /mcp.\"".into(),
                )
                .into_response());
        }
        return auth::gate(services, headers, Some(ApiPermission::Agent)).await;
    };
    let public = &services.config.public_url;
    let metadata = domain::agent::oauth::resource_metadata_url(public, environment);
    let scopes = AgentScope::join(&AgentScope::ALL);
    let challenge = |error: Option<&str>| match error {
        None => format!("Bearer resource_metadata=\"{metadata}\", scope=\"{scopes}\""),
        Some(description) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{description}\", resource_metadata=\"{metadata}\""
        ),
    };
    match presented {
        None if headers.get(header::AUTHORIZATION).is_none() => {
            Err(ApiProblem::unauthorized(domain::api::AuthProblem::Missing)
                .challenge(challenge(None))
                .into_response())
        }
        Some(token) if domain::agent::oauth::is_access_token(token) => {
            let caller = domain::agent::oauth::authenticate(services, token, environment)
                .await
                .map_err(|problem| {
                    ApiProblem::unauthorized(domain::api::AuthProblem::Unknown)
                        .challenge(challenge(Some(problem.description())))
                        .into_response()
                })?;
            auth::admit(services, caller)
        }
        _ => {
            let (caller, admission) =
                auth::gate(services, headers, Some(ApiPermission::Agent)).await?;
            if caller.environment_id != *environment {
                return Err(ApiProblem::new(
                    &crate::api::problem::FORBIDDEN,
                    "This API key belongs to another environment: use /mcp, or its own environment's MCP URL.",
                )
                .into_response());
            }
            Ok((caller, admission))
        }
    }
}

/// The caller (see [`admit`]); a request on a session must be the session's
/// key's.
async fn authenticate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let Ok(environment) = environment_in(request.uri().path()) else {
        return ApiProblem::new(
            &crate::api::problem::NOT_FOUND,
            "An MCP URL is /mcp, or /mcp/<environment id> as the Agents page gives it.",
        )
        .into_response();
    };
    let (caller, admission) =
        match admit(&gate.services, request.headers(), environment.as_ref()).await {
            Ok(admitted) => admitted,
            Err(refused) => return refused,
        };
    let key = caller.key_id.clone();
    let signed_in = caller.signed_in;
    let answer = admitted(gate, caller, admission, request, next).await;
    if signed_in {
        crate::metrics::answered_to_assistant(answer)
    } else {
        crate::metrics::answered_to(&key, answer)
    }
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
