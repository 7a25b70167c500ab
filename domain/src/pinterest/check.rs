//! "Check credentials": asks Pinterest's token endpoint whether it accepts an
//! App id and App secret key, without any user's consent.
//!
//! It sends an authorization-code request with a code that cannot be valid.
//! Pinterest authenticates the client first: 401 means the App id or secret is
//! wrong; 400 means they were accepted and only the code was refused. Anything
//! else (timeouts, refused connections, 5xx, 429) says nothing about the
//! credentials and is reported as a failed check, never as bad credentials.

use std::time::{Duration, Instant};

use super::credentials::ClientId;
use crate::crypto::SecretString;
use crate::shared::CheckOutcome;

/// The code sent: not a 40-character hex code, so Pinterest can never take it.
const IMPOSSIBLE_CODE: &str = "pinbridge-credential-check";
/// Longest body read from Pinterest, and longest message kept from it.
const BODY_MAX: usize = 64 * 1024;
const MESSAGE_MAX: usize = 300;

/// What one check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub outcome: CheckOutcome,
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    /// pinbridge's conclusion, in a sentence.
    pub summary: String,
    /// Pinterest's own `message`, when it sent one.
    pub message: Option<String>,
}

/// Where and how to ask.
pub struct CheckRequest<'a> {
    pub token_url: &'a str,
    pub redirect_uri: &'a str,
    pub client_id: &'a ClientId,
    pub secret: &'a SecretString,
    pub timeout: Duration,
}

/// Asks the token endpoint. Never fails: every problem is a [`CheckResult`].
pub async fn probe(http: &reqwest::Client, request: CheckRequest<'_>) -> CheckResult {
    let started = Instant::now();
    let sent = http
        .post(request.token_url)
        .basic_auth(request.client_id.as_str(), Some(request.secret.expose()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", IMPOSSIBLE_CODE),
            ("redirect_uri", request.redirect_uri),
        ])
        .timeout(request.timeout)
        .send()
        .await;
    let outcome = match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            match read_body(response).await {
                Ok(body) => Ok((status, body)),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match outcome {
        Ok((status, body)) => {
            let message = pinterest_message(&body).map(|m| redact(m, request.secret));
            judge(status, message, latency_ms)
        }
        Err(e) => {
            // reqwest's text names the URL (configuration, not a secret) and the
            // cause; it never includes request headers.
            tracing::warn!(error = %e, url = request.token_url, "credential check: no answer from Pinterest");
            let summary = if e.is_timeout() {
                format!(
                    "Pinterest did not answer within {} seconds, so the credentials were not checked. Try again later.",
                    request.timeout.as_secs_f32()
                )
            } else if e.is_connect() {
                "Could not connect to Pinterest (network error), so the credentials were not checked. Try again later.".to_owned()
            } else {
                "The request to Pinterest failed (network error), so the credentials were not checked. Try again later.".to_owned()
            };
            CheckResult {
                outcome: CheckOutcome::Failed,
                http_status: None,
                latency_ms,
                summary,
                message: None,
            }
        }
    }
}

/// The body, up to [`BODY_MAX`] bytes (the rest is not read).
pub(super) async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_MAX.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_MAX {
            break;
        }
    }
    Ok(body)
}

fn judge(status: u16, message: Option<String>, latency_ms: i64) -> CheckResult {
    let (outcome, summary) = match status {
        400 => (
            CheckOutcome::Accepted,
            "Pinterest accepted the App id and App secret key.".to_owned(),
        ),
        200..=299 => (
            CheckOutcome::Accepted,
            "Pinterest accepted the App id and App secret key (and, unexpectedly, the test code)."
                .to_owned(),
        ),
        401 => (
            CheckOutcome::Rejected,
            "Pinterest rejected the App id and App secret key: copy both again from your app's API keys section, then save and check again."
                .to_owned(),
        ),
        429 => (
            CheckOutcome::Failed,
            "Pinterest is limiting requests (HTTP 429), so the credentials were not checked. Try again in a few minutes."
                .to_owned(),
        ),
        500..=599 => (
            CheckOutcome::Failed,
            format!(
                "Pinterest had a problem (HTTP {status}), so the credentials were not checked. Try again later."
            ),
        ),
        other => (
            CheckOutcome::Failed,
            format!(
                "Pinterest answered HTTP {other}, which does not say whether the credentials are right."
            ),
        ),
    };
    CheckResult {
        outcome,
        http_status: Some(status),
        latency_ms,
        summary,
        message,
    }
}

/// Pinterest's errors are `{"code": <int>, "message": "…"}`.
pub(super) fn pinterest_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?;
    let mut clean: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_MAX)
        .collect();
    if message.chars().count() > MESSAGE_MAX {
        clean.push('…');
    }
    let clean = clean.trim().to_owned();
    (!clean.is_empty()).then_some(clean)
}

/// Pinterest would never repeat the secret, but nothing it says is trusted to
/// be free of it.
fn redact(message: String, secret: &SecretString) -> String {
    super::redact::redact(&message, &[secret.expose()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_judged_by_what_they_say_about_the_credentials() {
        assert_eq!(judge(400, None, 1).outcome, CheckOutcome::Accepted);
        assert_eq!(judge(401, None, 1).outcome, CheckOutcome::Rejected);
        for status in [429, 500, 502, 503, 403, 404] {
            let r = judge(status, None, 1);
            assert_eq!(r.outcome, CheckOutcome::Failed, "{status}");
            assert!(r.summary.contains(&status.to_string()), "{}", r.summary);
        }
    }

    #[test]
    fn pinterest_messages_are_read_cleaned_and_cut() {
        let body = br#"{"code":2,"message":"Authentication failed.","status":"failure"}"#;
        assert_eq!(
            pinterest_message(body).as_deref(),
            Some("Authentication failed.")
        );
        assert_eq!(pinterest_message(b"<html>oops</html>"), None);
        let long = format!(r#"{{"message":"{}\n"}}"#, "a".repeat(1000));
        let cut = pinterest_message(long.as_bytes()).unwrap();
        assert_eq!(cut.chars().count(), MESSAGE_MAX + 1);
        let secret = SecretString::new("s3cr3t-value".into());
        assert_eq!(
            redact("bad s3cr3t-value here".into(), &secret),
            "bad [redacted] here"
        );
    }
}
