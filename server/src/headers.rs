//! The security headers of every portal answer: pages, server functions, the
//! 404 and error pages, and refusals by the portal's own layers.
//!
//! Each answer gets a fresh script nonce. Leptos puts it on every inline script
//! it writes (the hydration bootstrap, the resources a page was rendered with)
//! once [`provide_request_nonce`] hands it over, and the Content-Security-Policy
//! allows scripts only from this site or with that nonce: an injected inline
//! script does not run. The end user's connect pages (`crate::connect`) set
//! their own headers; the wasm bundle under `/pkg` is not touched.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use leptos::nonce::Nonce;
use rand::RngCore;

/// What the headers depend on, fixed at start.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// Whether pinbridge's public URL is https: only then is HSTS sent.
    https: bool,
    /// Whether cargo-leptos watches the sources: its reload script talks over a
    /// WebSocket on another port.
    watching: bool,
}

impl SecurityHeaders {
    pub fn new(public_url: &str) -> Self {
        Self {
            https: public_url
                .get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")),
            watching: std::env::var_os("LEPTOS_WATCH").is_some(),
        }
    }

    /// What every answer of pinbridge carries, the end user's pages included.
    fn common(&self, headers: &mut HeaderMap) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS));
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }

    /// The policy for one answer. `'wasm-unsafe-eval'` lets the page compile
    /// the app's WebAssembly (it allows no JavaScript `eval`); styles come from
    /// the stylesheet and from `<style>` elements with the nonce (the branding
    /// preview's accent colour); the views have no `style` attributes.
    fn content_security_policy(&self, nonce: &str) -> String {
        let connect = if self.watching {
            "'self' ws: wss:"
        } else {
            "'self'"
        };
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'nonce-{nonce}'; img-src 'self'; font-src 'self'; connect-src {connect}; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }
}

/// How long browsers keep to https once they saw pinbridge there (a year).
const HSTS: &str = "max-age=31536000";
/// Features the portal never uses, switched off for it and anything it embeds.
const PERMISSIONS: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
                           magnetometer=(), microphone=(), payment=(), usb=()";

/// An unguessable nonce: 128 bits from the operating system's generator.
fn fresh_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Middleware: picks the answer's nonce (read by [`provide_request_nonce`]
/// while the page renders) and sets the security headers on whatever the
/// layers inside answer.
pub async fn security_headers(
    State(config): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = fresh_nonce();
    request
        .extensions_mut()
        .insert(Nonce::from_value(nonce.as_str()));
    let server_function = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = HeaderValue::from_str(&config.content_security_policy(&nonce))
        .expect("a base64url nonce is a valid header value");
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    config.common(headers);
    // Pages and server functions can carry a once-only value (a setup token,
    // an invitation or connect link) or an operator's data: no cache keeps
    // them. Files the fallback serves (the favicon) keep their caching.
    if server_function || is_html(headers) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Middleware for the end user's pages (`/connect/…`, the callback): they set
/// their own Content-Security-Policy (without `form-action`, which Chrome
/// would apply to the redirect to Pinterest); this adds what every answer of
/// pinbridge carries.
pub async fn end_user_headers(
    State(config): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    config.common(response.headers_mut());
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/html"))
}

/// Leptos context: the nonce [`security_headers`] chose for this answer, in
/// place of the one Leptos made up (which no header names). Call it in the
/// context closure given to the Leptos routes and the fallback.
pub fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned())
    {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_only_for_an_https_public_url() {
        assert!(SecurityHeaders::new("https://bridge.example.com").https);
        assert!(SecurityHeaders::new("HTTPS://bridge.example.com").https);
        assert!(!SecurityHeaders::new("http://127.0.0.1:3000").https);
        assert!(!SecurityHeaders::new("").https);
    }

    #[test]
    fn nonces_are_fresh_and_long() {
        let (a, b) = (fresh_nonce(), fresh_nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22, "128 bits in base64url");
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let csp = SecurityHeaders::new("https://x.example").content_security_policy("abc");
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap();
        assert_eq!(script, "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'");
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("object-src 'none'"));
    }
}
