//! The API's front door: every `/v1` request but the OpenAPI document shows
//! an API key (`Authorization: Bearer`), and is counted against that key's
//! rate limit. Answers carry the IETF `RateLimit-Policy` and `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers), and never a cached copy.
//!
//! The audit log (`GET /v1/audit-events`) has a door of its own
//! ([`authenticate_audit_reader`]): it takes an API key as every endpoint
//! does, or an owner's workspace key, which every other endpoint refuses.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::accounts::ApiKeyId;
use domain::api::audit_feed::AuditReader;
use domain::api::workspace_keys::{self, WorkspaceCaller};
use domain::api::{Admission, ApiCaller};
use domain::db::now_ms;
use domain::shared::ApiPermission;

use super::problem::{self, ApiProblem};

/// Every endpoint but the audit log's: an API key, never a workspace key.
pub async fn authenticate(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    if presents_workspace_key(request.headers()) {
        return ApiProblem::new(
            &problem::FORBIDDEN,
            "A workspace key only reads the audit log (GET /v1/audit-events): call this endpoint with an environment's API key.",
        )
        .into_response();
    }
    with_api_key(&services, request, next).await
}

/// The audit log's endpoint: an API key (its handler asks for `audit:read`),
/// or a workspace key, admitted under the workspace keys' rate limit and put
/// in the request as an [`AuditReader`].
pub async fn authenticate_audit_reader(
    State(services): State<Services>,
    mut request: Request,
    next: Next,
) -> Response {
    if !presents_workspace_key(request.headers()) {
        return with_api_key(&services, request, next).await;
    }
    match gate_workspace_key(&services, request.headers()).await {
        Ok((caller, admission)) => {
            let key = caller.rate_key.clone();
            request
                .extensions_mut()
                .insert(AuditReader::Workspace(caller));
            let answer = with_rate_headers(next.run(request).await, &admission);
            crate::metrics::answered_to(&key, answer)
        }
        Err(refused) => refused,
    }
}

/// Whether the request's `Authorization` header holds a workspace key (well
/// formed or not).
fn presents_workspace_key(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(workspace_keys::presented)
}

/// The caller behind a request's workspace key, admitted under the workspace
/// keys' rate limit, or the answer refusing it (401, 429).
async fn gate_workspace_key(
    services: &Services,
    headers: &HeaderMap,
) -> Result<(WorkspaceCaller, Admission), Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = workspace_keys::authenticate(services, authorization)
        .await
        .map_err(|e| ApiProblem::from(e).into_response())?;
    match admit_as(
        services,
        &caller.rate_key,
        workspace_keys::RATE_LIMIT,
        "This workspace key",
    ) {
        Ok(admission) => Ok((caller, admission)),
        Err(refused) => Err(crate::metrics::answered_to(&caller.rate_key, refused)),
    }
}

/// An API key's request: its caller in the request, its answer with the
/// rate-limit headers and counted for its environment's dashboard.
async fn with_api_key(services: &Services, mut request: Request, next: Next) -> Response {
    match gate(services, request.headers(), None).await {
        Ok((caller, admission)) => {
            let key = caller.key_id.clone();
            let environment = caller.environment_id.clone();
            request.extensions_mut().insert(caller);
            let answer = with_rate_headers(next.run(request).await, &admission);
            // The environment dashboard's API calls per hour.
            services
                .api
                .count_answer(&environment, answer.status().as_u16() < 400, now_ms());
            crate::metrics::answered_to(&key, answer)
        }
        Err(refused) => refused,
    }
}

/// The caller behind a request's API key, admitted under its rate limit (and
/// holding `permission`, when one is asked for), or the answer refusing it:
/// 401 with `WWW-Authenticate`, 403, or 429 with `Retry-After`.
pub async fn gate(
    services: &Services,
    headers: &HeaderMap,
    permission: Option<ApiPermission>,
) -> Result<(ApiCaller, Admission), Response> {
    let authorization = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(v) => Some(v.to_owned()),
            Err(_) => {
                return Err(
                    ApiProblem::unauthorized(domain::api::AuthProblem::Malformed).into_response(),
                );
            }
        },
    };
    let caller = domain::api::authenticate(services, authorization.as_deref())
        .await
        .map_err(|e| ApiProblem::from(e).into_response())?;
    if let Some(permission) = permission {
        caller
            .require(permission)
            .map_err(|e| ApiProblem::from(e).into_response())?;
    }
    admit(services, caller)
}

/// Counts a request of an authenticated caller (a key, or an assistant
/// signed in through OAuth) against its rate limit: the caller and its
/// window, or the 429 with `Retry-After` refusing it (the answer itself, as
/// [`gate`] gives its refusals).
#[allow(clippy::result_large_err)]
pub fn admit(services: &Services, caller: ApiCaller) -> Result<(ApiCaller, Admission), Response> {
    let who = if caller.signed_in {
        "This assistant"
    } else {
        "This API key"
    };
    match admit_as(services, &caller.key_id, caller.rate_limit, who) {
        Ok(admission) => Ok((caller, admission)),
        Err(refused) => Err(if caller.signed_in {
            crate::metrics::answered_to_assistant(refused)
        } else {
            crate::metrics::answered_to(&caller.key_id, refused)
        }),
    }
}

/// Counts a request of the caller `id` (`who`, in the refusal's words)
/// against `limit` requests a minute: its window, or the 429 refusing it,
/// with `Retry-After` and the rate-limit headers.
#[allow(clippy::result_large_err)]
fn admit_as(
    services: &Services,
    id: &ApiKeyId,
    limit: u64,
    who: &str,
) -> Result<Admission, Response> {
    let admission = services.api.admit(id, limit, now_ms());
    if !admission.allowed {
        let refused = ApiProblem::new(
            &problem::RATE_LIMITED,
            format!(
                "{who} may make {} requests a minute; try again in {} seconds.",
                admission.limit, admission.reset_secs
            ),
        )
        .retry_after(admission.reset_secs)
        .into_response();
        return Err(with_rate_headers(refused, &admission));
    }
    Ok(admission)
}

/// The IETF rate-limit headers of the key's window.
pub fn with_rate_headers(mut response: Response, admission: &Admission) -> Response {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "\"per-key\";q={};w={}",
        admission.limit,
        domain::api::runtime::WINDOW.as_secs()
    )) {
        headers.insert("ratelimit-policy", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "\"per-key\";r={};t={}",
        admission.remaining, admission.reset_secs
    )) {
        headers.insert("ratelimit", v);
    }
    response
}

/// Every API answer: never stored by a cache (tokens and account data), and
/// its content type is what it says.
pub async fn api_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
