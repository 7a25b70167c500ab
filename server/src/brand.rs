//! `GET /brand/logo/{sha256}.png`: the workspaces' logos, as pinbridge
//! re-encoded them (`domain::branding::logo`). Public (the end user's pages
//! show them without a session), addressed by content, so cached for good.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Services;

/// A year, and never revalidated: a new logo has a new address.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn logo(
    State(services): State<Services>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(sha256) = file.strip_suffix(".png") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{sha256}\"");
    let png = match domain::branding::logo_png(&services.db, sha256).await {
        Ok(Some(png)) => png,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a logo could not be read");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        png.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    // An image, never a document: nothing in it may run if opened directly.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
