//! Compression of the portal's pages (brotli or gzip, by `Accept-Encoding`).
//!
//! Only HTML is compressed here: the site's files come precompressed from the
//! build (`crate::assets`), server-function answers are small, and the API's
//! JSON is left to the caller's proxy.
//!
//! BREACH: a compressed answer's size says how well its parts repeat each
//! other, so someone who can (1) make a signed-in browser load a page many
//! times, (2) put text of their choosing on that page, and (3) watch the sizes on
//! the wire can learn a secret on the page a character at a time. pinbridge's
//! pages hold no secret that repeats across answers (no CSRF token: writes are
//! checked by origin; the session cookie is never in a body; the script nonce
//! is fresh each time), and another site's page cannot load them with the
//! operator's cookie except as a top-level navigation (SameSite=Lax). The few
//! pages that do show a secret (a new API key or signing secret, a one-time
//! link, a TOTP key being enrolled, recovery codes) say so while they render
//! (`app::assets::shows_a_secret`) and are sent uncompressed: a few kilobytes
//! more, once, for a guarantee that does not depend on the reasoning above.

use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
use axum::response::Response;
use tower_http::compression::predicate::{And, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use app::assets::NO_COMPRESSION_HEADER;

/// Smaller answers are not worth a compressor's setup.
const MIN_SIZE: u16 = 1024;
/// Brotli's and gzip's quality 4: most of the gain of the best settings at a
/// small part of their time (pages are compressed on every request).
const QUALITY: i32 = 4;

type HtmlPredicate = fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool;

/// The layer for the portal's router. Put [`strip_marker`] outside it.
pub fn layer() -> CompressionLayer<And<SizeAbove, HtmlPredicate>> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(QUALITY))
        .compress_when(SizeAbove::new(MIN_SIZE).and(html_without_secret as HtmlPredicate))
}

/// Compress HTML, unless the page said it shows a secret.
fn html_without_secret(
    _status: StatusCode,
    _version: Version,
    headers: &HeaderMap,
    _extensions: &Extensions,
) -> bool {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/html"));
    html && !headers.contains_key(NO_COMPRESSION_HEADER)
}

/// Removes the page's internal "shows a secret" mark once compression has read it.
pub async fn strip_marker(mut response: Response) -> Response {
    response.headers_mut().remove(NO_COMPRESSION_HEADER);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn decide(h: &HeaderMap) -> bool {
        html_without_secret(StatusCode::OK, Version::HTTP_11, h, &Extensions::new())
    }

    #[test]
    fn html_is_compressed_unless_it_shows_a_secret() {
        assert!(decide(&headers(&[(
            "content-type",
            "text/html; charset=utf-8"
        )])));
        assert!(!decide(&headers(&[
            ("content-type", "text/html; charset=utf-8"),
            (NO_COMPRESSION_HEADER, "secret"),
        ])));
        assert!(!decide(&headers(&[("content-type", "application/json")])));
        assert!(!decide(&headers(&[])));
    }
}
