//! What the request being answered says about itself: where it came from, and
//! whether it is a plain HTML form post.

use std::net::{IpAddr, SocketAddr};

use domain::accounts::RequestMeta;

/// The client's address as the server worked it out (the peer, or what trusted
/// proxies forwarded): put in the request's extensions before anything else runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client's address: [`ClientIp`] when the server resolved one, else the peer.
pub fn client_ip(extensions: &http::Extensions) -> Option<IpAddr> {
    extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
        extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
    })
}

/// Where the request came from, for the audit log and throttling: the client's
/// address and the user agent.
pub fn request_meta() -> RequestMeta {
    match leptos::prelude::use_context::<http::request::Parts>() {
        Some(parts) => meta_of(&parts.extensions, &parts.headers),
        None => RequestMeta::default(),
    }
}

/// [`request_meta`] of a request outside Leptos (the end user's pages).
pub fn meta_of(extensions: &http::Extensions, headers: &http::HeaderMap) -> RequestMeta {
    RequestMeta {
        ip: client_ip(extensions).map(|ip| ip.to_string()),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// Whether the request is a plain HTML form post (JavaScript off): its answer is
/// a redirect, so anything to show afterwards must travel in the session flash.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// A local path to continue to after signing in: only absolute paths on this
/// site (`/…`, never `//host` or a full URL), so a link cannot send someone elsewhere.
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    safe.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/w/abc/members")).as_deref(),
            Some("/w/abc/members")
        );
        assert_eq!(local_path(Some("//evil.example/x")), None);
        assert_eq!(local_path(Some("/\\evil.example")), None);
        assert_eq!(local_path(Some("https://evil.example")), None);
        assert_eq!(local_path(Some("/a\nb")), None);
        assert_eq!(local_path(None), None);
    }
}
