//! Errors of the application API as RFC 9457 problem details
//! (`application/problem+json`), one stable `type` per kind of error. The
//! kinds are listed once, in [`KINDS`], which also documents them in the
//! OpenAPI document (`x-problem-types`) and the README.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::api::{ApiError, AuthProblem};
use serde::Serialize;
use utoipa::ToSchema;

/// One kind of error: its type URI's last part, status, title and when it happens.
pub struct Kind {
    pub slug: &'static str,
    pub status: StatusCode,
    pub title: &'static str,
    pub when: &'static str,
}

macro_rules! kinds {
    ($($name:ident = $slug:literal, $status:ident, $title:literal, $when:literal;)+) => {
        $(pub const $name: Kind = Kind { slug: $slug, status: StatusCode::$status, title: $title, when: $when };)+
        /// Every kind, as documented.
        pub const KINDS: &[Kind] = &[$($name),+];
    };
}

kinds! {
    UNAUTHORIZED = "unauthorized", UNAUTHORIZED, "Missing or unusable API key",
        "No `Authorization: Bearer` header, or its key is malformed, mistyped (checksum), unknown, expired or revoked. The answer carries `WWW-Authenticate: Bearer`.";
    FORBIDDEN = "permission-missing", FORBIDDEN, "The API key lacks a permission",
        "The key is valid but was not given the permission this endpoint needs (`permission` names it).";
    NOT_FOUND = "not-found", NOT_FOUND, "Not found",
        "No such endpoint, or no connection with this id in the key's environment (ids of other environments and workspaces are not found either).";
    METHOD = "method-not-allowed", METHOD_NOT_ALLOWED, "Method not allowed",
        "The endpoint exists but not with this HTTP method.";
    MALFORMED = "malformed-request", BAD_REQUEST, "Malformed request",
        "The body is not valid JSON of the documented shape (unknown fields are refused), or a query parameter is unknown or malformed.";
    INVALID = "invalid-field", UNPROCESSABLE_ENTITY, "Invalid field",
        "A field or parameter is well-formed but not acceptable; `field` names it and `detail` says why.";
    MEDIA_TYPE = "unsupported-media-type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
        "A body was sent without `Content-Type: application/json`.";
    TOO_LARGE = "payload-too-large", PAYLOAD_TOO_LARGE, "Request body too large",
        "The body is larger than pinbridge accepts (1 MiB).";
    RATE_LIMITED = "rate-limited", TOO_MANY_REQUESTS, "Rate limit reached",
        "The key made more requests this minute than its rate limit allows. Wait `Retry-After` seconds; the `RateLimit` and `RateLimit-Policy` headers say how many remain.";
    RECONNECT = "reconnect-required", CONFLICT, "The end user must connect again",
        "The connection needs re-authorization, was disconnected or lacks a required scope. Create a connect session (`POST /v1/connect-sessions`) for its `end_user_id` and send the end user to its `url`; the connection keeps its id.";
    REFUSED = "refused", CONFLICT, "Refused in the current state",
        "The request is understood but cannot be done now, e.g. Pinterest is not configured or disabled in the environment, or the connection is already disconnected.";
    UPSTREAM = "pinterest-unavailable", BAD_GATEWAY, "Pinterest is unavailable",
        "Pinterest could not be reached or failed; try again later.";
    UPSTREAM_TIMEOUT = "pinterest-timeout", GATEWAY_TIMEOUT, "Pinterest did not answer in time",
        "Pinterest did not answer within pinbridge's timeout.";
    BUSY = "busy", SERVICE_UNAVAILABLE, "Busy",
        "The connection is being worked on by another process for longer than expected; retry after `Retry-After` seconds.";
    INTERNAL = "internal", INTERNAL_SERVER_ERROR, "Internal error",
        "Something failed inside pinbridge; it is logged with the request id.";
}

pub const TYPE_PREFIX: &str = "urn:pinbridge:problem:";

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of error, `urn:pinbridge:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What exactly was wrong with this request.
    pub detail: String,
    /// The field or parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The permission the key lacks (`permission-missing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The connection's state (`reconnect-required`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// An error answer: a problem, and headers that go with it (boxed: errors
/// travel through `Result`s of every handler).
#[derive(Debug)]
pub struct ApiProblem(Box<Parts>);

#[derive(Debug)]
struct Parts {
    problem: Problem,
    www_authenticate: Option<String>,
    retry_after: Option<u64>,
}

impl ApiProblem {
    pub fn new(kind: &Kind, detail: impl Into<String>) -> Self {
        Self(Box::new(Parts {
            problem: Problem {
                kind: format!("{TYPE_PREFIX}{}", kind.slug),
                title: kind.title.to_owned(),
                status: kind.status.as_u16(),
                detail: detail.into(),
                field: None,
                permission: None,
                state: None,
            },
            www_authenticate: None,
            retry_after: None,
        }))
    }

    pub fn field(mut self, field: &str) -> Self {
        self.0.problem.field = Some(field.to_owned());
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after = Some(secs);
        self
    }

    pub fn status(&self) -> u16 {
        self.0.problem.status
    }

    /// Replaces the `WWW-Authenticate` challenge (the MCP URLs' OAuth one).
    pub fn challenge(mut self, value: String) -> Self {
        self.0.www_authenticate = Some(value);
        self
    }

    pub fn unauthorized(problem: AuthProblem) -> Self {
        let error = match problem {
            AuthProblem::Missing => None,
            _ => Some("invalid_token"),
        };
        let mut p = Self::new(&UNAUTHORIZED, problem.detail());
        p.0.www_authenticate = Some(match error {
            None => "Bearer realm=\"pinbridge\"".to_owned(),
            Some(e) => format!(
                "Bearer realm=\"pinbridge\", error=\"{e}\", error_description=\"{}\"",
                problem.detail().replace(['"', '`'], "'")
            ),
        });
        p
    }
}

impl From<ApiError> for ApiProblem {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Unauthorized(p) => Self::unauthorized(p),
            ApiError::MissingPermission(permission) => {
                let mut p = Self::new(
                    &FORBIDDEN,
                    format!(
                        "This API key lacks the `{permission}` permission ({}). Give a key that permission on the API keys page.",
                        permission.summary()
                    ),
                );
                p.0.problem.permission = Some(permission.as_str().to_owned());
                p
            }
            ApiError::NotAnId(_) => Self::new(&NOT_FOUND, err.to_string()),
            ApiError::NotFound => Self::new(
                &NOT_FOUND,
                "No connection with this id in this API key's environment.",
            ),
            ApiError::Invalid { field, message } => Self::new(&INVALID, message).field(field),
            ApiError::Refused(m) => Self::new(&REFUSED, m),
            ApiError::Reconnect { health, reason } => {
                let mut p = Self::new(
                    &RECONNECT,
                    format!(
                        "This connection is {}: {reason} The end user must connect again: create a connect session (POST /v1/connect-sessions) with their end_user_id and send them to its url; the connection keeps its id.",
                        health.label().to_lowercase()
                    ),
                );
                p.0.problem.state = Some(health.as_str().to_owned());
                p
            }
            ApiError::Unavailable(m) => Self::new(&UPSTREAM, m),
            ApiError::UpstreamTimeout => Self::new(
                &UPSTREAM_TIMEOUT,
                "Pinterest did not answer in time; try again.",
            ),
            ApiError::Busy => Self::new(
                &BUSY,
                "The connection is busy in another pinbridge process; try again in a moment.",
            )
            .retry_after(1),
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "an API request failed");
                Self::new(
                    &INTERNAL,
                    "Something failed inside pinbridge; it has been logged.",
                )
            }
        }
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.problem.status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let Parts {
            problem,
            www_authenticate,
            retry_after,
        } = *self.0;
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(v) = www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The documented kinds, for the OpenAPI document's `x-problem-types`.
pub fn documented() -> serde_json::Value {
    serde_json::Value::Array(
        KINDS
            .iter()
            .map(|k| {
                serde_json::json!({
                    "type": format!("{TYPE_PREFIX}{}", k.slug),
                    "status": k.status.as_u16(),
                    "title": k.title,
                    "description": k.when,
                })
            })
            .collect(),
    )
}
