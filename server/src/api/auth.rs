//! The API's front door: every `/v1` request but the OpenAPI document shows
//! an API key (`Authorization: Bearer`), and is counted against that key's
//! rate limit. Answers carry the IETF `RateLimit-Policy` and `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers), and never a cached copy.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::db::now_ms;

use super::problem::{self, ApiProblem};

pub async fn authenticate(
    State(services): State<Services>,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = match request.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(v) => Some(v.to_owned()),
            Err(_) => {
                return ApiProblem::unauthorized(domain::api::AuthProblem::Malformed)
                    .into_response();
            }
        },
    };
    let caller = match domain::api::authenticate(&services, authorization.as_deref()).await {
        Ok(caller) => caller,
        Err(e) => return ApiProblem::from(e).into_response(),
    };
    let admission = services
        .api
        .admit(&caller.key_id, caller.rate_limit, now_ms());
    let mut response = if admission.allowed {
        request.extensions_mut().insert(caller);
        next.run(request).await
    } else {
        ApiProblem::new(
            &problem::RATE_LIMITED,
            format!(
                "This API key may make {} requests a minute; try again in {} seconds.",
                admission.limit, admission.reset_secs
            ),
        )
        .retry_after(admission.reset_secs)
        .into_response()
    };
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
