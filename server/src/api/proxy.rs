//! `/v1/connections/{id}/pinterest/{path}`: Pinterest's API with the
//! connection's token. The checks live in `domain::api::proxy`; this handler
//! reads the request as sent (the path before any decoding) and streams
//! Pinterest's answer back.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use domain::Services;
use domain::api::proxy::{self, Answer, ProxyRequest};

use super::extract::{Caller, read_body};
use super::problem::{ApiProblem, Problem};

/// Largest body passed on to Pinterest.
pub const BODY_MAX: usize = 1024 * 1024;

/// The raw path after `/pinterest/`, as the caller sent it.
fn raw_path(request: &Request) -> String {
    let full = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |u| u.0.path().to_owned(),
        );
    full.split_once("/pinterest/")
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default()
}

/// An error as Pinterest answers it (passed through by the proxy).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PinterestError {
    pub code: i64,
    pub message: String,
}

/// Call Pinterest as the connection
///
/// Forwards the request to `<the environment's Pinterest API>/v5/{path}` with
/// the connection's access token, and answers with Pinterest's status, body,
/// `x-pinterest-rid` and rate-limit headers. Only `Accept`,
/// `Accept-Language` and `Content-Type` are passed on. A 401 from Pinterest
/// (code 2) refreshes the token once and retries. `{path}` is the part after
/// `/v5/` (for example `user_account`, `boards`, `boards/{board_id}/pins`): plain
/// segments only; `..`, percent-encoding, `//`, `@`, `\` and absolute URLs are
/// refused with 422 before Pinterest is called.
#[utoipa::path(
    method(get, post, patch, delete),
    path = "/connections/{id}/pinterest/{path}", tag = "Pinterest proxy",
    params(
        ("id" = String, Path, description = "The connection's id (a UUID)"),
        ("path" = String, Path, description = "Pinterest's path after /v5/, e.g. user_account")
    ),
    responses(
        (status = "default", description = "Pinterest's answer, passed through (its status, body, `x-pinterest-rid` and rate-limit headers)"),
        (status = 401, description = "Missing or unusable key (pinbridge), or Pinterest refused the token", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 403, description = "The key lacks `proxy` (pinbridge), or Pinterest refused", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 404, description = "No such connection in the key's environment (pinbridge), or Pinterest found nothing", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 409, description = "The end user must connect again (pinbridge), or Pinterest's conflict", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 413, description = "Body over 1 MiB (pinbridge), or Pinterest's limit", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 422, description = "A path that could leave /v5/ (pinbridge), or Pinterest refused the input", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 429, description = "Rate limit reached (pinbridge's, or Pinterest's passed through)", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 502, description = "Pinterest unreachable (pinbridge), or Pinterest's gateway", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 503, description = "Busy (pinbridge), or Pinterest unavailable", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
        (status = 504, description = "Pinterest did not answer in time", content((Problem = "application/problem+json"), (PinterestError = "application/json"))),
    ),
    security(("api_key" = []))
)]
pub async fn forward(
    State(services): State<Services>,
    Caller(caller): Caller,
    Path(params): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiProblem> {
    // Refused before the body is read (the domain checks both again, for
    // every other entry point).
    caller.require(domain::shared::ApiPermission::Proxy)?;
    let path = raw_path(&request);
    let query = request.uri().query().map(str::to_owned);
    let method = request.method().clone();
    let headers = request
        .headers()
        .iter()
        .filter(|(name, _)| proxy::REQUEST_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    // Checked before the body is read and before anything else is done.
    proxy::check_path(&path)?;
    let body = read_body(request, BODY_MAX).await?;
    let answer = proxy::forward(
        &services,
        &caller,
        &params.0,
        ProxyRequest {
            method,
            path,
            query,
            headers,
            body: body.to_vec(),
        },
    )
    .await?;
    Ok(match answer {
        Answer::Streaming(upstream) => {
            let status = upstream.status().as_u16();
            let headers = upstream.headers().clone();
            respond(status, &headers, Body::from_stream(upstream.bytes_stream()))
        }
        Answer::Read {
            status,
            headers,
            body,
        } => respond(status, &headers, Body::from(body)),
    })
}

fn respond(status: u16, upstream: &reqwest::header::HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    for (name, value) in upstream {
        if proxy::passes_back(name.as_str())
            && let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            )
        {
            headers.append(n, v);
        }
    }
    response
}
