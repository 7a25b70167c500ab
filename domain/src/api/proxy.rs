//! The Pinterest proxy: an application calls `<pinbridge>/v1/connections/{id}/
//! pinterest/{path}` and pinbridge calls `<the environment's Pinterest API>/v5/
//! {path}` with the connection's token, so the application never holds one.
//!
//! The path is checked as the caller sent it, before anything is decoded, and
//! refused unless it is plain segments of letters, digits, `-`, `_`, `.` and
//! `~`: no `..`, no percent-encoding (so no `%2e%2e` or `%2f`), no `//`, `@`,
//! `\` or `:`. The URL built from it is checked again: same host as the
//! configured API, path under `/v5/`. Only an allow-list of request headers is
//! passed on, never the caller's `Authorization` or cookies.

use super::{ApiCaller, ApiError, CallKind};
use crate::Services;
use crate::connections::tokens::{self, TokenProblem};
use crate::db::repo::connections::ConnectionRow;
use crate::db::repo::pinterest_settings;
use crate::shared::ApiPermission;

pub const PATH_MAX: usize = 1024;
pub const QUERY_MAX: usize = 4096;

/// Request headers passed on to Pinterest.
pub const REQUEST_HEADERS: [&str; 3] = ["accept", "accept-language", "content-type"];

/// Whether a header of Pinterest's answer is passed back to the caller.
pub fn passes_back(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "content-type" | "retry-after" | "x-pinterest-rid" | "etag" | "last-modified"
    ) || name.contains("ratelimit")
}

/// The path after `/pinterest/` as sent, checked; the part to put after `/v5/`.
pub fn check_path(raw: &str) -> Result<&str, ApiError> {
    let bad = |why: &str| {
        ApiError::invalid(
            "path",
            format!(
                "The Pinterest path {why}. It must be the part after /v5/, e.g. boards or pins/123, made of letters, digits, -, _, . and ~ separated by single slashes."
            ),
        )
    };
    if raw.is_empty() {
        return Err(bad("is empty"));
    }
    if raw.len() > PATH_MAX {
        return Err(bad(&format!("is longer than {PATH_MAX} characters")));
    }
    if raw.contains('%') {
        return Err(bad("holds percent-encoding, which could hide . or /"));
    }
    if let Some(c) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '/')))
    {
        return Err(bad(&format!("holds the character {c:?}")));
    }
    if raw.starts_with('/') || raw.contains("//") {
        return Err(bad("holds an empty segment (//)"));
    }
    let raw = raw.strip_suffix('/').unwrap_or(raw);
    if raw
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(bad("holds a . or .. segment"));
    }
    Ok(raw)
}

/// The URL to call: `base/v5/path?query`, checked to stay on the base's host
/// and under `/v5/`.
pub fn target(base: &str, path: &str, query: Option<&str>) -> Result<url::Url, ApiError> {
    let path = check_path(path)?;
    let base_url = url::Url::parse(base)
        .map_err(|_| ApiError::Internal("the Pinterest API URL is not a URL".into()))?;
    let mut url = url::Url::parse(&format!("{}/v5/{path}", base.trim_end_matches('/')))
        .map_err(|_| ApiError::invalid("path", "The Pinterest path does not make a URL."))?;
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        if q.len() > QUERY_MAX {
            return Err(ApiError::invalid(
                "query",
                format!("The query string is longer than {QUERY_MAX} characters."),
            ));
        }
        url.set_query(Some(q));
    }
    let prefix = format!("{}/v5/", base_url.path().trim_end_matches('/'));
    if url.host_str() != base_url.host_str()
        || url.port_or_known_default() != base_url.port_or_known_default()
        || url.scheme() != base_url.scheme()
        || !url.path().starts_with(&prefix)
        || url.fragment().is_some()
    {
        return Err(ApiError::invalid(
            "path",
            "The Pinterest path leaves Pinterest's API.",
        ));
    }
    Ok(url)
}

/// What the caller asked to forward.
pub struct ProxyRequest {
    pub method: reqwest::Method,
    /// As sent, after `/pinterest/`, not decoded.
    pub path: String,
    pub query: Option<String>,
    /// Every request header; only [`REQUEST_HEADERS`] are passed on.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// Pinterest's answer: streamed when it was not read, or read (a 401 looked at).
pub enum Answer {
    Streaming(reqwest::Response),
    Read {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
    },
}

/// Forwards the request with the connection's token. A 401 with Pinterest's
/// code 2 (token expired or invalid) refreshes the token once and retries.
pub async fn forward(
    services: &Services,
    caller: &ApiCaller,
    id: &str,
    request: ProxyRequest,
) -> Result<Answer, ApiError> {
    caller.require(ApiPermission::Proxy)?;
    if !matches!(
        request.method,
        reqwest::Method::GET
            | reqwest::Method::POST
            | reqwest::Method::PATCH
            | reqwest::Method::DELETE
    ) {
        return Err(ApiError::invalid(
            "method",
            "The proxy forwards GET, POST, PATCH and DELETE only.",
        ));
    }
    let row = super::calls::find(services, caller, id).await?;
    let url = url_for(services, &row, &request.path, request.query.as_deref()).await?;
    services
        .api
        .count_call(&row.id, &caller.key_id, CallKind::Proxy);
    send_as(services, row, &request, &url).await
}

/// The URL of `path` on the Pinterest API of the connection's environment.
pub(crate) async fn url_for(
    services: &Services,
    row: &ConnectionRow,
    path: &str,
    query: Option<&str>,
) -> Result<url::Url, ApiError> {
    let settings = pinterest_settings::find(&services.db, &row.workspace_id, &row.environment_id)
        .await?
        .ok_or_else(|| {
            ApiError::Refused("Pinterest is not configured in this environment.".into())
        })?;
    target(services.config.api_base(settings.api), path, query)
}

/// Sends the request with the connection's token, fresh; a 401 with
/// Pinterest's code 2 refreshes it once and retries.
pub(crate) async fn send_as(
    services: &Services,
    row: ConnectionRow,
    request: &ProxyRequest,
    url: &url::Url,
) -> Result<Answer, ApiError> {
    let id = row.id.clone();
    let mut read = Some(row);
    let mut retried = false;
    loop {
        let fresh =
            tokens::fresh_token_of(services, &id, tokens::MIN_VALIDITY_MS, read.take()).await??;
        let response = send(services, request, url, fresh.token.expose()).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(Answer::Streaming(response));
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| upstream_error(&e))?
            .to_vec();
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("code").and_then(serde_json::Value::as_i64));
        if code != Some(2) || retried {
            return Ok(Answer::Read {
                status,
                headers,
                body,
            });
        }
        retried = true;
        match tokens::refresh_refused(services, &id, fresh.row.token_version).await? {
            Ok(()) => continue,
            Err(TokenProblem::Unavailable { .. } | TokenProblem::Busy) => {
                return Ok(Answer::Read {
                    status,
                    headers,
                    body,
                });
            }
            Err(problem) => return Err(problem.into()),
        }
    }
}

async fn send(
    services: &Services,
    request: &ProxyRequest,
    url: &url::Url,
    token: &str,
) -> Result<reqwest::Response, ApiError> {
    let mut builder = services
        .http
        .request(request.method.clone(), url.clone())
        .bearer_auth(token);
    for (name, value) in &request.headers {
        if REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            builder = builder.header(name.as_str(), value.as_slice());
        }
    }
    if !request.body.is_empty() {
        builder = builder.body(request.body.clone());
    }
    builder.send().await.map_err(|e| upstream_error(&e))
}

pub(crate) fn upstream_error(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::UpstreamTimeout
    } else {
        ApiError::Unavailable("Pinterest could not be reached; try again in a moment.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:4010";

    #[test]
    fn plain_paths_pass_and_keep_the_query() {
        assert_eq!(check_path("user_account").unwrap(), "user_account");
        assert_eq!(check_path("boards/123/pins/").unwrap(), "boards/123/pins");
        let url = target(BASE, "boards", Some("page_size=5&bookmark=abc%3D")).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:4010/v5/boards?page_size=5&bookmark=abc%3D"
        );
        let url = target("https://api.pinterest.com/", "pins/1", None).unwrap();
        assert_eq!(url.as_str(), "https://api.pinterest.com/v5/pins/1");
    }

    #[test]
    fn every_way_out_of_v5_is_refused() {
        for path in [
            "..",
            "../oauth/token",
            "boards/../../admin",
            "./boards",
            "%2e%2e/x",
            "%2E%2E",
            "boards%2f..%2f..",
            "a%2Fb",
            "//evil.example/x",
            "boards//pins",
            "@evil.example",
            "user@evil.example",
            "..\\x",
            "boards\\..\\..",
            "http://evil.example/",
            "https:/evil.example",
            "/v5/boards",
            "",
            "a b",
            "boards?x=1",
            "boards#frag",
            "%00",
            "boards\n",
            "😀",
        ] {
            assert!(check_path(path).is_err(), "{path:?} was let through");
            assert!(target(BASE, path, None).is_err(), "{path:?} made a URL");
        }
        assert!(target(BASE, &"a/".repeat(600), None).is_err());
        assert!(target(BASE, "boards", Some(&"x".repeat(QUERY_MAX + 1))).is_err());
        // A query cannot change the host or path.
        let url = target(BASE, "boards", Some("@evil.example/../../x#y")).unwrap();
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert!(url.path().starts_with("/v5/boards"), "{url}");
    }

    #[test]
    fn only_allowed_headers_pass_back() {
        assert!(passes_back("X-Pinterest-RID"));
        assert!(passes_back("x-ratelimit-remaining"));
        assert!(passes_back("Retry-After"));
        assert!(!passes_back("set-cookie"));
        assert!(!passes_back("authorization"));
        assert!(
            REQUEST_HEADERS
                .iter()
                .all(|h| *h != "authorization" && *h != "cookie")
        );
    }
}
