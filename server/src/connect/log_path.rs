//! What the request log shows of a request's path: a connect link's path is
//! its credential (`/connect/{token}`), so no log line may carry it.

use axum::body::Body;
use axum::extract::{MatchedPath, Request};

/// Longest segment kept as it is in an unmatched path: longer runs of
/// token characters could be credentials (ours are 43).
const SEGMENT_KEPT: usize = 15;
/// Longest unmatched path logged.
const PATH_MAX: usize = 200;

/// The matched route's template (`/connect/{token}`), never the path itself;
/// never the query, which can carry OAuth codes and states. A request no
/// route matched shows its path with every segment that could be a
/// credential blanked ([`redacted_path`]).
pub fn logged_path(req: &Request<Body>) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => redacted_path(req.uri().path()),
    }
}

/// `path` with every segment longer than a few characters of token alphabet
/// replaced by `{redacted}`, cut to a sane length.
fn redacted_path(path: &str) -> String {
    let mut out: String = path
        .split('/')
        .map(|segment| {
            let token_like = segment.len() > SEGMENT_KEPT
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b));
            if token_like { "{redacted}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/");
    if out.len() > PATH_MAX {
        let mut end = PATH_MAX;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_paths_lose_what_could_be_a_credential() {
        let token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";
        assert_eq!(
            redacted_path(&format!("/connect/{token}/extra")),
            "/connect/{redacted}/extra"
        );
        assert_eq!(redacted_path("/pkg/pinbridge.css"), "/pkg/pinbridge.css");
        assert_eq!(redacted_path("/w/acme/settings"), "/w/acme/settings");
        assert!(redacted_path(&"/a".repeat(500)).chars().count() <= PATH_MAX + 1);
    }
}
