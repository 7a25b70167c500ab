//! Request parts of the API, refused as problem details: a JSON body of the
//! documented shape (unknown fields refused), query parameters likewise, and
//! the caller authenticated by the layer in front of the handlers.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use domain::api::ApiCaller;
use serde::de::DeserializeOwned;

use super::problem::{self, ApiProblem};

/// Largest JSON body the API reads.
pub const JSON_MAX: usize = 64 * 1024;

/// A JSON body. Missing or other content types answer 415; bodies over
/// [`JSON_MAX`] 413; bad JSON or an unknown field 400, saying where.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if json != Some(true) {
            return Err(ApiProblem::new(
                &problem::MEDIA_TYPE,
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let bytes = read_body(req, JSON_MAX).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: none (or empty) is `None`; otherwise as [`ApiJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        if !has_type {
            let bytes = read_body(req, JSON_MAX).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Self(None));
            }
            return Err(ApiProblem::new(
                &problem::MEDIA_TYPE,
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let ApiJson(value) = ApiJson::<T>::from_request(req, state).await?;
        Ok(Self(Some(value)))
    }
}

pub async fn read_body(req: Request, max: usize) -> Result<Bytes, ApiProblem> {
    let too_large = || {
        ApiProblem::new(
            &problem::TOO_LARGE,
            format!("The body is larger than {max} bytes."),
        )
    };
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > max)
    {
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|_| too_large())
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiProblem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path.is_empty() || path == "." {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        let mut p = ApiProblem::new(
            &problem::MALFORMED,
            format!("The JSON body is not acceptable{at}: {inner}."),
        );
        if !path.is_empty() && path != "." {
            p = p.field(&path);
        }
        p
    })
}

/// Query parameters of the documented shape (unknown ones refused).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str::<T>(query)
            .map(ApiQuery)
            .map_err(|e| {
                ApiProblem::new(
                    &problem::MALFORMED,
                    format!("The query string is not acceptable: {e}."),
                )
            })
    }
}

/// The authenticated caller (set by the API's authentication layer).
pub struct Caller(pub ApiCaller);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiCaller>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiProblem::new(&problem::INTERNAL, "No caller was authenticated."))
    }
}
