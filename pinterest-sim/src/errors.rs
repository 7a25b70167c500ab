//! Pinterest-shaped error responses: `{"code": <int>, "message": "…"}`, with
//! `"status": "failure"` on the token endpoint as Pinterest does there.
//!
//! Every error the simulator answers on `/v5`, `/_sim` and the fallbacks goes
//! through [`ApiError`]; the authorize page has its own HTML errors.

use std::borrow::Cow;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

/// An error answer; built by the constructors below so codes stay consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub message: Cow<'static, str>,
    /// Adds `"status": "failure"` (token endpoint only).
    pub failure_field: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    code: i64,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            failure_field: false,
        }
    }

    /// Marks the body with `"status": "failure"`, as the token endpoint does.
    pub fn on_token_endpoint(mut self) -> Self {
        self.failure_field = true;
        self
    }

    /// 401 code 2: missing, unknown, revoked or expired credentials.
    pub fn authentication_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 2, "Authentication failed.")
    }

    /// 401 code 3: the token lacks a scope the endpoint needs.
    pub fn insufficient_scope() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            3,
            "Your token does not have sufficient permissions to perform this operation. \
             Please ensure your token is authorized with the correct set of scopes.",
        )
    }

    /// 400 code 283: bad, reused or expired authorization code or refresh token.
    pub fn invalid_grant() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            283,
            "The authorization grant is invalid",
        )
        .on_token_endpoint()
    }

    /// 400 code 1: a parameter or body field is missing or malformed.
    pub fn invalid_parameters(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 1, detail)
    }

    pub fn board_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 404, "Board not found.")
    }

    pub fn pin_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 50, "Pin not found.")
    }

    /// 403 code 29: Trial-access apps may not create Pins in production.
    pub fn trial_pin_creation() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            29,
            "You are not permitted to access that resource. Apps with Trial access cannot \
             create Pins in production; use API Sandbox https://api-sandbox.pinterest.com instead.",
        )
    }

    /// 429 code 8.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            8,
            "This request exceeded a rate limit. This can happen if the client exceeds one \
             of the published rate limits within a short time window.",
        )
    }

    /// Statuses without a documented Pinterest code use the status as code, as
    /// Pinterest's own `{"code":404,"message":"Board not found."}` does.
    pub fn with_status_code(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, i64::from(status.as_u16()), message)
    }

    pub fn not_found_route() -> Self {
        Self::with_status_code(StatusCode::NOT_FOUND, "Not found.")
    }

    pub fn method_not_allowed() -> Self {
        Self::with_status_code(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::with_status_code(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is larger than {limit} bytes."),
        )
    }

    pub fn service_unavailable() -> Self {
        Self::with_status_code(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable.")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {}): {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
            status: self.failure_field.then_some("failure"),
        };
        (self.status, Json(body)).into_response()
    }
}

/// Answers any path nobody routes.
pub async fn not_found() -> ApiError {
    ApiError::not_found_route()
}

/// Answers a routed path called with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
