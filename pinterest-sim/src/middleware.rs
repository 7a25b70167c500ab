//! The simulator's two layers: [`observe`] (outermost: request id, body limit,
//! request log) and [`inject`] (on Pinterest's routes: the configured faults).
//! They read the state; the log and the fault book they fill know nothing of it.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderValue, StatusCode, header};
use rand::Rng;

use super::authorization::strip_scheme;
use super::errors::ApiError;
use super::faults::ErrorBody;
use super::request_log::{LogSlot, RID_HEADER, RequestLog, describe, is_logged, read_limited};
use super::secrets;
use super::state::SimState;

/// Outermost middleware: rid, body limit, request log.
pub async fn observe(State(state): State<SimState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let rid = secrets::request_id();
    let limit = state.max_body_bytes();
    let (mut parts, body) = req.into_parts();
    let bytes = read_limited(body, limit).await;
    let log = state.request_log();
    let mut entry = (log.enabled() && is_logged(parts.uri.path())).then(|| Unfinished {
        log,
        seq: log.begin(describe(&parts, bytes.as_deref(), &rid)),
        slot: LogSlot::default(),
        started,
        status: None,
    });
    let mut response = match bytes {
        None => ApiError::payload_too_large(limit).into_response(),
        Some(bytes) => {
            if let Some(entry) = &entry {
                parts.extensions.insert(entry.slot.clone());
            }
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    if let Some(mut entry) = entry.take() {
        entry.status = Some(response.status().as_u16());
    }
    if let Ok(value) = HeaderValue::from_str(&rid) {
        response.headers_mut().insert(RID_HEADER, value);
    }
    response
}

/// A logged request still being answered. Dropped unfinished (the client went
/// away, a hung response was cancelled), it still records what was learnt.
struct Unfinished<'a> {
    log: &'a RequestLog,
    seq: u64,
    slot: LogSlot,
    started: Instant,
    /// Set once the answer exists.
    status: Option<u16>,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        self.log
            .finish(self.seq, self.status, self.started.elapsed(), &self.slot);
    }
}

/// Who is calling, as far as faults care: the credential and its app.
struct Caller {
    app: Option<String>,
    rate_key: String,
}

fn identify(state: &SimState, req: &Request) -> Caller {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(token) = strip_scheme(auth, "Bearer") {
        return Caller {
            app: state.app_of_token(token),
            rate_key: format!("bearer {token}"),
        };
    }
    if let Some(encoded) = strip_scheme(auth, "Basic") {
        let client = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| s.split_once(':').map(|(id, _)| id.to_owned()));
        if let Some(client) = client {
            return Caller {
                rate_key: format!("client {client}"),
                app: Some(client),
            };
        }
    }
    let client = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.into_owned())
    });
    match client {
        Some(client) => Caller {
            rate_key: format!("client {client}"),
            app: Some(client),
        },
        None => Caller {
            app: None,
            rate_key: "anonymous".into(),
        },
    }
}

/// What a request sent, decoded, for [`ErrorBody::Echo`]: its query and form pairs.
fn echo_of(query: Option<&str>, body: &[u8]) -> String {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .chain(url::form_urlencoded::parse(body))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn injected_error(
    status: StatusCode,
    body: ErrorBody,
    token_endpoint: bool,
    echo: Option<String>,
) -> Response {
    match body {
        ErrorBody::Echo => {
            let message = format!("Invalid request: {}", echo.unwrap_or_default());
            let mut err = ApiError::with_status_code(status, message);
            if token_endpoint {
                err = err.on_token_endpoint();
            }
            err.into_response()
        }
        ErrorBody::Json => {
            let reason = status.canonical_reason().unwrap_or("Server error");
            let mut err = ApiError::with_status_code(status, format!("{reason}."));
            if token_endpoint {
                err = err.on_token_endpoint();
            }
            err.into_response()
        }
        ErrorBody::Html => {
            let title = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            let html = format!(
                "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
            );
            (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response()
        }
        ErrorBody::Empty => (status, Body::empty()).into_response(),
    }
}

/// Middleware on the Pinterest routes (`/oauth/`, `/v5/`).
pub async fn inject(State(state): State<SimState>, req: Request, next: Next) -> Response {
    if !state.faults_enabled() {
        return next.run(req).await;
    }
    let caller = identify(&state, &req);
    let path = req.uri().path().to_owned();
    let Some(faults) = state.faults_for(caller.app.as_deref(), &path) else {
        return next.run(req).await;
    };
    let slot = req.extensions().get::<LogSlot>().cloned();
    let note = |what: &'static str| {
        if let Some(slot) = &slot {
            slot.note_fault(what);
        }
    };
    let token_endpoint = path == "/v5/oauth/token";
    let spec = &faults.spec;

    let delay = spec.latency_ms
        + if spec.latency_jitter_ms > 0 {
            rand::thread_rng().gen_range(0..=spec.latency_jitter_ms)
        } else {
            0
        };
    if delay > 0 {
        note("latency");
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if faults.down_at(Instant::now()).is_some() {
        note("down");
        let mut err = ApiError::service_unavailable();
        if token_endpoint {
            err = err.on_token_endpoint();
        }
        return err.into_response();
    }
    if spec.hang {
        note("hang");
        std::future::pending::<()>().await;
    }
    if let Some(limit) = &spec.rate_limit
        && let Err(wait) = state.rate_limit(faults.generation, &caller.rate_key, limit)
    {
        note("rate_limited");
        let mut err = ApiError::rate_limited();
        if token_endpoint {
            err = err.on_token_endpoint();
        }
        let mut response = err.into_response();
        if limit.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        return response;
    }
    if spec.error_rate > 0.0 && rand::thread_rng().gen_bool(spec.error_rate) {
        note("error");
        let statuses = if spec.error_statuses.is_empty() {
            &[500][..]
        } else {
            &spec.error_statuses[..]
        };
        let pick = statuses[rand::thread_rng().gen_range(0..statuses.len())];
        let status = StatusCode::from_u16(pick).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let echo = if spec.error_body == ErrorBody::Echo {
            let query = req.uri().query().map(str::to_owned);
            // The body was read (and limited) by `observe` already.
            let body = axum::body::to_bytes(req.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            Some(echo_of(query.as_deref(), &body))
        } else {
            None
        };
        return injected_error(status, spec.error_body, token_endpoint, echo);
    }
    next.run(req).await
}
