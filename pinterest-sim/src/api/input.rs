//! Request inputs of `/v5`: JSON bodies, digit-string path ids. Every failure is
//! a Pinterest-shaped 400 (code 1).

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::errors::ApiError;

/// Parses a JSON body into `T` (which should deny unknown fields).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::invalid_parameters(
            "Invalid request: Content-Type must be application/json.",
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_parameters(
            "Invalid request: a JSON body is required.",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_parameters(format!("Invalid JSON: {e}")))?;
    // serde would also read a struct from an array; Pinterest wants an object.
    if !value.is_object() {
        return Err(ApiError::invalid_parameters(
            "Invalid request: the body must be a JSON object.",
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::invalid_parameters(format!("Invalid request: {e}")))
}

/// A path id that must match `^\d+$`. Ids too long for any object map to one
/// that cannot exist, so they answer 404 like any other unknown id.
pub fn path_id(path: Result<Path<String>, PathRejection>, name: &str) -> Result<u64, ApiError> {
    let Path(raw) =
        path.map_err(|_| ApiError::invalid_parameters(format!("{name}: invalid path parameter")))?;
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_parameters(format!(
            "{name}: {raw:?} does not match '^\\d+$'"
        )));
    }
    Ok(raw.parse().unwrap_or(0))
}

/// For fields where `null` differs from absent: absent → `None`, `null` → `Some(None)`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Checks a string field against the spec's `maxLength` (counted in characters).
pub fn max_len(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::invalid_parameters(format!(
            "{field}: longer than {max} characters"
        ))),
        _ => Ok(()),
    }
}

/// An absolute http(s) URL.
pub fn web_url(field: &str, value: &str) -> Result<(), ApiError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        _ => Err(ApiError::invalid_parameters(format!(
            "{field}: {value:?} is not a valid URL"
        ))),
    }
}
