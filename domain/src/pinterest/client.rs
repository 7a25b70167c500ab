//! The calls pinbridge makes to Pinterest on a connection's behalf: exchange an
//! authorization code, refresh, and read `GET /v5/user_account`.
//!
//! Every call answers a value, never a panic: a token pair, an account, or a
//! [`CallFailure`] that says whether the problem is Pinterest refusing
//! (`Rejected`) or Pinterest being unavailable (`Transient`), with the HTTP
//! status, Pinterest's own error code and message (cleaned, never a token), and
//! the `x-pinterest-rid` for diagnostics.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::check::{pinterest_message, read_body};
use super::credentials::ClientId;
use crate::crypto::SecretString;

/// Who is asking: the app's credentials and where its token endpoint is.
pub struct AppCredentials<'a> {
    pub token_url: &'a str,
    pub client_id: &'a ClientId,
    pub secret: &'a SecretString,
    pub timeout: Duration,
}

/// A token pair as Pinterest handed it out.
pub struct Tokens {
    pub access_token: SecretString,
    /// Absent only if Pinterest did not rotate (then the old one stays valid).
    pub refresh_token: Option<SecretString>,
    pub expires_in_secs: i64,
    pub refresh_expires_in_secs: Option<i64>,
    /// The `scope` echo: space- (or comma-) separated, cumulative.
    pub scope: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in_secs", &self.expires_in_secs)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The Pinterest account behind a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub account_type: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Pinterest answered and refused (400, 401, 403): trying again will not help.
    Rejected,
    /// Pinterest refused the access token for lack of a scope (401 code 3, 403).
    MissingScope,
    /// Unavailable, slow, failing or limiting (5xx, 429, timeouts, network), or
    /// an answer pinbridge could not read: worth trying again later.
    Transient,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFailure {
    pub kind: FailureKind,
    pub http_status: Option<u16>,
    pub code: Option<i64>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// Seconds Pinterest asked us to wait (`Retry-After`), if it did.
    pub retry_after_secs: Option<u64>,
    /// What happened, in words, for pages, reasons and logs (never a token).
    pub summary: String,
}

/// An answer and how long it took.
pub struct Timed<T> {
    pub result: Result<T, CallFailure>,
    pub latency_ms: i64,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token_expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct AccountBody {
    #[serde(default)]
    id: Option<String>,
    username: String,
    #[serde(default)]
    account_type: Option<String>,
}

/// Access tokens live 30 days unless Pinterest says otherwise.
const DEFAULT_EXPIRES_IN: i64 = 30 * 24 * 3600;

/// `grant_type=authorization_code` with `continuous_refresh=true`.
pub async fn exchange_code(
    http: &reqwest::Client,
    app: &AppCredentials<'_>,
    code: &str,
    redirect_uri: &str,
) -> Timed<Tokens> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("continuous_refresh", "true"),
    ];
    token_call(http, app, &form, &[code]).await
}

/// `grant_type=refresh_token`.
pub async fn refresh(
    http: &reqwest::Client,
    app: &AppCredentials<'_>,
    refresh_token: &SecretString,
) -> Timed<Tokens> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
    ];
    token_call(http, app, &form, &[refresh_token.expose()]).await
}

/// Posts `form` to the token endpoint; `credentials` are those in it,
/// which (with the app secret) no failure it answers may repeat.
async fn token_call(
    http: &reqwest::Client,
    app: &AppCredentials<'_>,
    form: &[(&str, &str)],
    credentials: &[&str],
) -> Timed<Tokens> {
    let started = Instant::now();
    let sent = http
        .post(app.token_url)
        .basic_auth(app.client_id.as_str(), Some(app.secret.expose()))
        .form(form)
        .timeout(app.timeout)
        .send()
        .await;
    let result = match answer(sent, app.timeout, "the token endpoint").await {
        Ok((200, body)) => match serde_json::from_slice::<TokenBody>(&body) {
            Ok(t) if !t.access_token.is_empty() => Ok(Tokens {
                access_token: SecretString::new(t.access_token),
                refresh_token: t
                    .refresh_token
                    .filter(|r| !r.is_empty())
                    .map(SecretString::new),
                expires_in_secs: t
                    .expires_in
                    .filter(|s| *s > 0)
                    .unwrap_or(DEFAULT_EXPIRES_IN),
                refresh_expires_in_secs: t.refresh_token_expires_in.filter(|s| *s > 0),
                scope: t.scope.unwrap_or_default(),
            }),
            _ => Err(unreadable(200, "the token endpoint")),
        },
        Ok((status, body)) => Err(judge(status, &body, None)),
        Err(failure) => Err(failure),
    };
    let mut secrets = vec![app.secret.expose()];
    secrets.extend_from_slice(credentials);
    Timed {
        result: result.map_err(|f| redact_all(f, &secrets)),
        latency_ms: elapsed_ms(started),
    }
}

/// `GET {api_base}/v5/user_account` with the access token.
pub async fn user_account(
    http: &reqwest::Client,
    api_base: &str,
    access_token: &SecretString,
    timeout: Duration,
) -> Timed<Account> {
    let started = Instant::now();
    let sent = http
        .get(format!("{api_base}/v5/user_account"))
        .bearer_auth(access_token.expose())
        .timeout(timeout)
        .send()
        .await;
    let result = match answer(sent, timeout, "GET /v5/user_account").await {
        Ok((200, body)) => match serde_json::from_slice::<AccountBody>(&body) {
            Ok(a) if !a.username.is_empty() => Ok(Account {
                id: a.id.unwrap_or_default(),
                username: a.username,
                account_type: a.account_type.unwrap_or_else(|| "PINNER".into()),
            }),
            _ => Err(unreadable(200, "GET /v5/user_account")),
        },
        Ok((status, body)) => Err(judge(status, &body, None)),
        Err(failure) => Err(failure),
    };
    Timed {
        result: result.map_err(|f| redact_all(f, &[access_token.expose()])),
        latency_ms: elapsed_ms(started),
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The status and body, or a transient failure saying why there was none.
async fn answer(
    sent: Result<reqwest::Response, reqwest::Error>,
    timeout: Duration,
    what: &str,
) -> Result<(u16, Vec<u8>), CallFailure> {
    let response = sent.map_err(|e| network(&e, timeout, what))?;
    let status = response.status().as_u16();
    let request_id = header(&response, "x-pinterest-rid");
    let retry_after = header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
    match read_body(response).await {
        Ok(body) if status == 200 => Ok((status, body)),
        Ok(body) => {
            let mut failure = judge(status, &body, retry_after);
            failure.request_id = request_id;
            Err(failure)
        }
        Err(e) => Err(network(&e, timeout, what)),
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(100).collect())
}

fn network(e: &reqwest::Error, timeout: Duration, what: &str) -> CallFailure {
    // reqwest's text names the URL (configuration) and the cause, never headers.
    tracing::warn!(error = %e, "no answer from Pinterest ({what})");
    let summary = if e.is_timeout() {
        format!(
            "Pinterest did not answer within {} seconds.",
            timeout.as_secs_f32()
        )
    } else if e.is_connect() {
        "Could not connect to Pinterest (network error).".to_owned()
    } else {
        "The request to Pinterest failed (network error).".to_owned()
    };
    CallFailure {
        kind: FailureKind::Transient,
        http_status: None,
        code: None,
        message: None,
        request_id: None,
        retry_after_secs: None,
        summary,
    }
}

fn unreadable(status: u16, what: &str) -> CallFailure {
    CallFailure {
        kind: FailureKind::Transient,
        http_status: Some(status),
        code: None,
        message: None,
        request_id: None,
        retry_after_secs: None,
        summary: format!("Pinterest's answer from {what} could not be read."),
    }
}

/// Pinterest's error code (`{"code": <int>, …}`), if the body has one.
fn pinterest_code(body: &[u8]) -> Option<i64> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("code")?
        .as_i64()
}

/// What an error status means for the connection.
pub fn judge(status: u16, body: &[u8], retry_after_secs: Option<u64>) -> CallFailure {
    let code = pinterest_code(body);
    let message = pinterest_message(body);
    let (kind, summary) = match (status, code) {
        (401, Some(3)) | (403, _) => (
            FailureKind::MissingScope,
            format!("Pinterest refused for lack of permission (HTTP {status})."),
        ),
        (400 | 401, _) => (
            FailureKind::Rejected,
            format!("Pinterest refused the request (HTTP {status})."),
        ),
        (429, _) => (
            FailureKind::Transient,
            "Pinterest is limiting requests (HTTP 429).".to_owned(),
        ),
        (500..=599, _) => (
            FailureKind::Transient,
            format!("Pinterest had a problem (HTTP {status})."),
        ),
        (other, _) => (
            FailureKind::Transient,
            format!("Pinterest answered HTTP {other} unexpectedly."),
        ),
    };
    CallFailure {
        kind,
        http_status: Some(status),
        code,
        message,
        request_id: None,
        retry_after_secs,
        summary,
    }
}

/// Nothing Pinterest says is trusted to be free of what we sent it.
fn redact_all(mut failure: CallFailure, secrets: &[&str]) -> CallFailure {
    if let Some(m) = failure.message.as_mut() {
        *m = super::redact::redact(m, secrets);
    }
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_say_whether_to_give_up_or_try_again() {
        let body = br#"{"code":2,"message":"Authentication failed."}"#;
        let f = judge(401, body, None);
        assert_eq!(f.kind, FailureKind::Rejected);
        assert_eq!(f.code, Some(2));
        assert_eq!(f.message.as_deref(), Some("Authentication failed."));
        let scope = br#"{"code":3,"message":"Your token does not have sufficient permissions"}"#;
        assert_eq!(judge(401, scope, None).kind, FailureKind::MissingScope);
        assert_eq!(
            judge(400, b"{\"code\":283}", None).kind,
            FailureKind::Rejected
        );
        for s in [429, 500, 502, 503, 504, 302, 404] {
            assert_eq!(
                judge(s, b"<html>", None).kind,
                FailureKind::Transient,
                "{s}"
            );
        }
        assert_eq!(judge(429, b"", Some(7)).retry_after_secs, Some(7));
    }

    #[test]
    fn a_message_repeating_what_we_sent_is_redacted() {
        let f = judge(
            400,
            br#"{"code":1,"message":"bad token pina_SECRET"}"#,
            None,
        );
        let f = redact_all(f, &["pina_SECRET"]);
        assert_eq!(f.message.as_deref(), Some("bad token [redacted]"));
    }
}
