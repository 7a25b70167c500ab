//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document,
//! the MCP specification's preferred registration): a client whose
//! `client_id` is an https URL publishes its metadata there, and pinbridge
//! fetches it instead of keeping a registration.
//!
//! The fetch is an outbound request to an address an attacker chooses, so it
//! is guarded like a webhook delivery: https only, no redirects, no proxy,
//! and a resolver that refuses loopback, private, link-local and reserved
//! addresses (at every connection, so DNS rebinding reaches nothing private);
//! at most [`DOCUMENT_MAX`] bytes within [`FETCH_TIMEOUT`]. A document is kept
//! (in `agent_clients`, under its URL) for [`KEPT_MS`], or less when its
//! `Cache-Control: max-age` says so.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};

use super::OAuthError;
use super::register::check_redirect_uri;
use crate::Services;
use crate::db::now_ms;
use crate::db::repo::agent_oauth::{self as rows, ClientRow};
use crate::webhooks::target::{self, GuardedResolver};

/// The largest document read.
pub const DOCUMENT_MAX: usize = 5 * 1024;
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fetched document is used before it is fetched again.
pub const KEPT_MS: i64 = 3600 * 1000;
/// The shortest keeping a `max-age` may ask for (a document is not fetched
/// for every request).
pub const KEPT_MIN_MS: i64 = 60 * 1000;

/// Whether `client_id` names a metadata document (an https URL) rather than
/// a registration.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

fn invalid_client(description: impl Into<String>) -> OAuthError {
    OAuthError::new(400, "invalid_client", description)
}

/// The client a metadata document URL names: kept, or fetched and checked.
pub async fn client(services: &Services, url: &str) -> Result<ClientRow, OAuthError> {
    let now = now_ms();
    if let Some(kept) = rows::find_client(&services.db, url).await?
        && kept.fetched_at.is_some_and(|at| at > now - kept_for(&kept))
    {
        return Ok(kept);
    }
    let allow_private = services.config.agent_documents_allow_private;
    let parsed = check_url(url, allow_private)?;
    let (document, max_age) = fetch(&parsed, allow_private).await?;
    let row = checked(url, &document, max_age, now)?;
    rows::upsert_document_client(&services.db, &row).await?;
    Ok(row)
}

/// How long a kept document is used: its `max-age`, within bounds.
fn kept_for(row: &ClientRow) -> i64 {
    serde_json::from_str::<Value>(&row.metadata)
        .ok()
        .and_then(|m| m.get("_max_age_ms").and_then(Value::as_i64))
        .map_or(KEPT_MS, |ms| ms.clamp(KEPT_MIN_MS, KEPT_MS))
}

/// A document URL pinbridge fetches: https with a path (http only where
/// private addresses are allowed, for development), no credentials or fragment.
fn check_url(text: &str, allow_private: bool) -> Result<url::Url, OAuthError> {
    let shown: String = text.chars().take(100).collect();
    if text.len() > 2000 {
        return Err(invalid_client(
            "A client_id URL may be at most 2000 characters.",
        ));
    }
    let url = url::Url::parse(text).map_err(|e| {
        invalid_client(format!(
            "client_id \u{201c}{shown}\u{201d} is not a URL: {e}."
        ))
    })?;
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    if !scheme_ok
        || url.host().is_none()
        || url.path() == "/"
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid_client(format!(
            "client_id \u{201c}{shown}\u{201d} is not a metadata document URL: it must use https and have a path, without credentials or a fragment."
        )));
    }
    target::check_literal(&url, allow_private)
        .map_err(|e| invalid_client(format!("pinbridge will not fetch client_id {shown}: {e}")))?;
    Ok(url)
}

fn http(allow_private: bool) -> &'static reqwest::Client {
    static GUARDED: OnceLock<reqwest::Client> = OnceLock::new();
    static OPEN: OnceLock<reqwest::Client> = OnceLock::new();
    let make = move || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .connect_timeout(FETCH_TIMEOUT)
            .timeout(FETCH_TIMEOUT)
            .user_agent(concat!("pinbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    };
    if allow_private {
        OPEN.get_or_init(make)
    } else {
        GUARDED.get_or_init(make)
    }
}

/// The document's bytes (at most [`DOCUMENT_MAX`]) and its `max-age`.
async fn fetch(url: &url::Url, allow_private: bool) -> Result<(Vec<u8>, Option<i64>), OAuthError> {
    let unreachable = |why: String| {
        invalid_client(format!(
            "The client metadata document at {url} could not be read: {why}."
        ))
    };
    let mut response = http(allow_private)
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(unreachable(format!("it answered {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|n| n > DOCUMENT_MAX as u64)
    {
        return Err(invalid_client(format!(
            "The client metadata document at {url} is larger than {DOCUMENT_MAX} bytes."
        )));
    }
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|d| d.trim().strip_prefix("max-age="))
                .find_map(|s| s.parse::<i64>().ok())
        })
        .map(|secs| secs.saturating_mul(1000));
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > DOCUMENT_MAX {
            return Err(invalid_client(format!(
                "The client metadata document at {url} is larger than {DOCUMENT_MAX} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, max_age))
}

/// The client a fetched document describes, if it is one pinbridge accepts.
fn checked(
    url: &str,
    body: &[u8],
    max_age: Option<i64>,
    now: i64,
) -> Result<ClientRow, OAuthError> {
    let bad = |why: String| invalid_client(format!("The client metadata document at {url} {why}"));
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("is not JSON ({e}).")))?;
    let Value::Object(doc) = value else {
        return Err(bad("is not a JSON object.".into()));
    };
    if doc.get("client_id").and_then(Value::as_str) != Some(url) {
        return Err(bad(
            "names another client_id: it must be exactly its own URL.".into(),
        ));
    }
    let name = doc
        .get("client_name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| {
            !n.is_empty()
                && n.chars().count() <= super::register::NAME_MAX
                && !n.chars().any(char::is_control)
        })
        .ok_or_else(|| {
            bad(format!(
                "has no client_name of 1 to {} characters.",
                super::register::NAME_MAX
            ))
        })?
        .to_owned();
    let Some(Value::Array(uris)) = doc.get("redirect_uris") else {
        return Err(bad("has no redirect_uris.".into()));
    };
    if uris.is_empty() || uris.len() > super::register::REDIRECT_URIS_MAX {
        return Err(bad(format!(
            "must list 1 to {} redirect_uris.",
            super::register::REDIRECT_URIS_MAX
        )));
    }
    let mut redirect_uris = Vec::new();
    for uri in uris {
        let uri = uri
            .as_str()
            .ok_or_else(|| bad("lists a redirect URI that is not a string.".into()))?;
        check_redirect_uri(uri).map_err(|e| {
            bad(format!(
                "lists a redirect URI pinbridge refuses: {}",
                e.description
            ))
        })?;
        redirect_uris.push(uri.to_owned());
    }
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        None | Some("none") => {}
        Some(other) => {
            return Err(bad(format!(
                "asks for token_endpoint_auth_method {}: pinbridge takes clients with metadata documents as public clients (none).",
                other.chars().take(40).collect::<String>()
            )));
        }
    }
    let grant_types = doc
        .get("grant_types")
        .and_then(Value::as_array)
        .map(|g| {
            g.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    let mut metadata = Map::new();
    metadata.insert("client_id".into(), url.into());
    metadata.insert("client_name".into(), name.clone().into());
    metadata.insert("redirect_uris".into(), Value::from(redirect_uris.clone()));
    metadata.insert("grant_types".into(), Value::from(grant_types));
    metadata.insert("token_endpoint_auth_method".into(), "none".into());
    if let Some(ms) = max_age {
        metadata.insert("_max_age_ms".into(), ms.into());
    }
    Ok(ClientRow {
        id: url.to_owned(),
        name,
        redirect_uris: serde_json::to_string(&redirect_uris).unwrap_or_default(),
        auth_method: "none".into(),
        secret_hash: None,
        metadata: Value::Object(metadata).to_string(),
        created_at: now,
        registered_ip: None,
        fetched_at: Some(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://assistant.example/oauth/client.json";

    #[test]
    fn document_urls_are_https_with_a_path() {
        assert!(check_url(URL, false).is_ok());
        for bad in [
            "http://assistant.example/client.json",
            "https://assistant.example/",
            "https://assistant.example",
            "https://u:p@assistant.example/c.json",
            "https://assistant.example/c.json#x",
            "https://127.0.0.1/c.json",
            "https://10.0.0.8/c.json",
            "https://169.254.169.254/latest/meta-data",
        ] {
            assert_eq!(
                check_url(bad, false).unwrap_err().error,
                "invalid_client",
                "{bad}"
            );
        }
        assert!(
            check_url("http://127.0.0.1:9/c.json", true).is_ok(),
            "development only"
        );
    }

    #[test]
    fn a_document_must_name_itself_and_list_good_redirect_uris() {
        let doc = |v: Value| checked(URL, v.to_string().as_bytes(), Some(120_000), 1);
        let ok = doc(
            serde_json::json!({"client_id": URL, "client_name": "Claude",
            "redirect_uris": ["https://claude.example/cb"]}),
        )
        .unwrap();
        assert_eq!(ok.id, URL);
        assert_eq!(ok.name, "Claude");
        assert_eq!(kept_for(&ok), 120_000);
        for (v, says) in [
            (
                serde_json::json!({"client_id": "https://other.example/c.json", "client_name": "x", "redirect_uris": ["https://a.example/cb"]}),
                "another client_id",
            ),
            (
                serde_json::json!({"client_id": URL, "redirect_uris": ["https://a.example/cb"]}),
                "client_name",
            ),
            (
                serde_json::json!({"client_id": URL, "client_name": "x"}),
                "redirect_uris",
            ),
            (
                serde_json::json!({"client_id": URL, "client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
                "redirect URI",
            ),
            (
                serde_json::json!({"client_id": URL, "client_name": "x", "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                "private_key_jwt",
            ),
            (serde_json::json!(["not", "an", "object"]), "object"),
        ] {
            let e = doc(v.clone()).unwrap_err();
            assert_eq!(e.error, "invalid_client", "{v}");
            assert!(e.description.contains(says), "{v}: {}", e.description);
        }
        assert!(
            checked(URL, b"{not json", None, 1)
                .unwrap_err()
                .description
                .contains("not JSON")
        );
    }
}
