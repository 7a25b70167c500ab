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
//!
//! A page is whole before it is compressed (`router::on_one_thread` reads it
//! to the end), so it is compressed in one piece with a window sized to pages
//! (64 KiB) rather than through a general-purpose streaming layer: tower-http's
//! brotli encoder set up a 4 MiB window and its tables for every answer, and
//! compressing was about a sixth of a page's server time.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::assets::NO_COMPRESSION_HEADER;

/// Smaller answers are not worth a compressor's setup.
const MIN_SIZE: usize = 1024;
/// Brotli's quality 4: most of the gain of the best settings at a small part of
/// their time (pages are compressed on every request).
const BROTLI_QUALITY: i32 = 4;
/// Brotli's window: 2^16 bytes, more than a page.
const BROTLI_WINDOW_BITS: i32 = 16;
/// Gzip's level, for the clients that do not take brotli.
const GZIP_LEVEL: u32 = 4;

/// A content coding pinbridge can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }
}

/// The middleware for the portal's router: compresses HTML by the request's
/// `Accept-Encoding`, unless the page said it shows a secret, and removes that
/// internal mark in every case.
pub async fn compress(request: Request, next: Next) -> Response {
    let coding = preferred(request.headers());
    let mut response = next.run(request).await;
    let shows_a_secret = response
        .headers_mut()
        .remove(NO_COMPRESSION_HEADER)
        .is_some();
    if !is_html(response.headers()) || shows_a_secret {
        return response;
    }
    // The answer depends on the header even when it is not compressed.
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(coding) = coding else {
        return response;
    };
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "a page could not be read for compression");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if bytes.len() < MIN_SIZE {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let compressed = match encode(coding, &bytes) {
        Ok(compressed) => compressed,
        Err(e) => {
            tracing::warn!(error = %e, "a page could not be compressed; sent as it is");
            return Response::from_parts(parts, Body::from(bytes));
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.name()),
    );
    Response::from_parts(parts, Body::from(compressed))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/html"))
}

/// The coding to answer with: brotli when the client takes it, else gzip, else
/// none. A coding with `q=0` is refused; `*` stands for any not named.
fn preferred(headers: &HeaderMap) -> Option<Coding> {
    let (mut br, mut gzip, mut any) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut params = item.split(';');
            let name = params.next().unwrap_or_default().trim();
            let accepted = params
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next_back()
                .is_none_or(|q| q > 0.0);
            let slot = if name.eq_ignore_ascii_case("br") {
                &mut br
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(accepted);
        }
    }
    let takes = |named: Option<bool>| named.or(any).unwrap_or(false);
    if takes(br) {
        Some(Coding::Brotli)
    } else if takes(gzip) {
        Some(Coding::Gzip)
    } else {
        None
    }
}

fn encode(coding: Coding, input: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    match coding {
        Coding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: BROTLI_QUALITY,
                lgwin: BROTLI_WINDOW_BITS,
                size_hint: input.len(),
                mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_TEXT,
                ..Default::default()
            };
            let mut out = Vec::with_capacity(input.len() / 3);
            brotli::BrotliCompress(&mut &input[..], &mut out, &params)?;
            Ok(out)
        }
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(input.len() / 3),
                flate2::Compression::new(GZIP_LEVEL),
            );
            encoder.write_all(input)?;
            encoder.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> Option<Coding> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        preferred(&h)
    }

    #[test]
    fn the_coding_follows_accept_encoding() {
        assert_eq!(accept("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(accept("gzip"), Some(Coding::Gzip));
        assert_eq!(accept("x-gzip"), Some(Coding::Gzip));
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Some(Coding::Gzip));
        assert_eq!(accept("BR"), Some(Coding::Brotli));
        assert_eq!(accept("*"), Some(Coding::Brotli));
        assert_eq!(accept("*;q=0"), None);
        assert_eq!(accept("br;q=0, *"), Some(Coding::Gzip));
        assert_eq!(accept("identity"), None);
        assert_eq!(accept("deflate"), None);
        assert_eq!(accept("br;q=oops"), Some(Coding::Brotli));
        assert_eq!(accept(""), None);
        assert_eq!(preferred(&HeaderMap::new()), None);
    }

    #[test]
    fn both_codings_round_trip_and_shrink_a_page() {
        use std::io::Read;
        let page = "<!DOCTYPE html><html><body>".to_owned()
            + &"<p class=\"card\">Pinterest: boards, pins and account data</p>".repeat(400)
            + "</body></html>";
        let br = encode(Coding::Brotli, page.as_bytes()).unwrap();
        let mut back = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, page);
        assert!(br.len() * 10 < page.len(), "{} of {}", br.len(), page.len());

        let gz = encode(Coding::Gzip, page.as_bytes()).unwrap();
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, page);
        assert!(gz.len() * 10 < page.len(), "{} of {}", gz.len(), page.len());
    }

    #[test]
    fn only_html_is_compressed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert!(is_html(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!is_html(&h));
        assert!(!is_html(&HeaderMap::new()));
    }
}
