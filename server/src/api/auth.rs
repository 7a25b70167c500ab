//! The API's front door: every `/v1` request but the OpenAPI document shows
//! an API key (`Authorization: Bearer`), and is counted against that key's
//! rate limit. Answers carry the IETF `RateLimit-Policy` and `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers), and never a cached copy.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::api::{Admission, ApiCaller};
use domain::db::now_ms;
use domain::shared::ApiPermission;

use super::problem::{self, ApiProblem};

pub async fn authenticate(
    State(services): State<Services>,
    mut request: Request,
    next: Next,
) -> Response {
    match gate(&services, request.headers(), None).await {
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
    let admission = services
        .api
        .admit(&caller.key_id, caller.rate_limit, now_ms());
    if !admission.allowed {
        let who = if caller.signed_in {
            "This assistant"
        } else {
            "This API key"
        };
        let refused = ApiProblem::new(
            &problem::RATE_LIMITED,
            format!(
                "{who} may make {} requests a minute; try again in {} seconds.",
                admission.limit, admission.reset_secs
            ),
        )
        .retry_after(admission.reset_secs)
        .into_response();
        let refused = with_rate_headers(refused, &admission);
        return Err(if caller.signed_in {
            crate::metrics::answered_to_assistant(refused)
        } else {
            crate::metrics::answered_to(&caller.key_id, refused)
        });
    }
    Ok((caller, admission))
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
