//! The request log `GET /_sim/requests` reads (filled by `middleware::observe`).
//!
//! Nothing secret is ever stored in clear: client secrets become `[redacted]`;
//! tokens and codes become `[redacted sha256:…]` (a fingerprint that lets a test
//! tell two tokens apart without being able to use either).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use base64::Engine;
use http::{HeaderValue, header, request::Parts};
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::authorization::strip_scheme;
use super::secrets::{self, ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};

/// The header Pinterest puts on every answer; quote it when reporting problems.
pub const RID_HEADER: &str = "x-pinterest-rid";

/// JSON bodies larger than this are summarised, not stored.
const MAX_LOGGED_BODY: usize = 8 * 1024;

/// One request as logged.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
    /// The `x-pinterest-rid` answered.
    pub rid: String,
    pub method: String,
    pub path: String,
    pub query: Map<String, Value>,
    /// The `Authorization` header with its secret part redacted.
    pub authorization: Option<String>,
    /// Form or JSON body with secrets redacted; other bodies summarised.
    pub body: Option<Value>,
    /// `None` while the answer is pending (a hung response stays so).
    pub status: Option<u16>,
    pub duration_ms: Option<u64>,
    /// The app, once the simulator knew it.
    pub client_id: Option<String>,
    pub username: Option<String>,
    /// Faults injected into this request (`latency`, `down`, `hang`, `rate_limited`, `error`).
    pub faults: Vec<&'static str>,
}

#[derive(Debug, Default)]
struct SlotContent {
    client_id: Option<String>,
    username: Option<String>,
    faults: Vec<&'static str>,
}

/// Handlers note here what they learnt about a request (its app, its user, the
/// faults injected); the middleware copies it into the log when the answer is out.
#[derive(Clone, Debug, Default)]
pub struct LogSlot(Arc<Mutex<SlotContent>>);

impl LogSlot {
    fn with(&self, f: impl FnOnce(&mut SlotContent)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    pub fn note_client(&self, client_id: &str) {
        self.with(|c| c.client_id = Some(client_id.to_owned()));
    }

    pub fn note_user(&self, username: &str) {
        self.with(|c| c.username = Some(username.to_owned()));
    }

    pub fn note_fault(&self, fault: &'static str) {
        self.with(|c| c.faults.push(fault));
    }
}

/// A bounded log of the most recent requests.
#[derive(Debug)]
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<(VecDeque<LoggedRequest>, u64)>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            capacity,
            entries: Mutex::new((VecDeque::new(), 1)),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub(crate) fn begin(&self, mut entry: LoggedRequest) -> u64 {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (entries, next) = &mut *guard;
        entry.seq = *next;
        *next += 1;
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        *next - 1
    }

    /// Completes an entry; `status` is `None` when no answer went out (the
    /// request hung, or the client went away first).
    pub(crate) fn finish(&self, seq: u64, status: Option<u16>, elapsed: Duration, slot: &LogSlot) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(first) = guard.0.front().map(|e| e.seq) else {
            return;
        };
        let Some(entry) = seq
            .checked_sub(first)
            .and_then(|i| guard.0.get_mut(i as usize))
        else {
            return;
        };
        entry.status = status;
        entry.duration_ms = Some(elapsed.as_millis().try_into().unwrap_or(u64::MAX));
        let content = slot.0.lock().unwrap_or_else(PoisonError::into_inner);
        entry.client_id = content.client_id.clone();
        entry.username = content.username.clone();
        entry.faults = content.faults.clone();
    }

    /// Entries with `seq > since`, oldest first, at most `limit`.
    pub fn since(&self, since: u64, limit: usize) -> Vec<LoggedRequest> {
        let guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .0
            .iter()
            .filter(|e| e.seq > since)
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clear();
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("secret") || key.contains("password")
}

fn is_credential_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("token") || key == "code" || key == "authorization"
}

fn looks_like_token(value: &str) -> bool {
    value.starts_with(ACCESS_TOKEN_PREFIX) || value.starts_with(REFRESH_TOKEN_PREFIX)
}

fn redacted_fingerprint(value: &str) -> String {
    format!("[redacted {}]", secrets::fingerprint(value))
}

/// Redacts one named value; `None` keeps it.
fn redact_pair(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        "[redacted]".to_owned()
    } else if is_credential_key(key) || looks_like_token(value) {
        redacted_fingerprint(value)
    } else {
        value.to_owned()
    }
}

/// Walks a JSON document redacting secret-named fields and token-like strings.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) => *s = redact_pair(key, s),
                    Value::Null => {}
                    other if is_secret_key(key) || is_credential_key(key) => {
                        *other = Value::String("[redacted]".into());
                    }
                    other => redact_json(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::String(s) if looks_like_token(s) => *s = redacted_fingerprint(s),
        _ => {}
    }
}

fn form_pairs(raw: &[u8]) -> Map<String, Value> {
    url::form_urlencoded::parse(raw)
        .map(|(k, v)| {
            let value = redact_pair(&k, &v);
            (k.into_owned(), Value::String(value))
        })
        .collect()
}

fn describe_authorization(raw: &HeaderValue) -> String {
    let Ok(raw) = raw.to_str() else {
        return "[unreadable]".into();
    };
    if let Some(token) = strip_scheme(raw, "Bearer") {
        return format!("Bearer {}", redacted_fingerprint(token));
    }
    if let Some(encoded) = strip_scheme(raw, "Basic") {
        return base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| {
                text.split_once(':')
                    .map(|(id, _)| format!("Basic client_id={id} secret=[redacted]"))
            })
            .unwrap_or_else(|| "Basic [malformed]".into());
    }
    "[redacted]".into()
}

fn describe_body(parts: &Parts, body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if body.len() > MAX_LOGGED_BODY {
        return Some(Value::String(format!(
            "[{} bytes of {content_type}]",
            body.len()
        )));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Some(Value::Object(form_pairs(body)));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact_json(&mut value);
            Some(value)
        }
        Err(_) => Some(Value::String(format!(
            "[{} bytes of {}, not JSON]",
            body.len(),
            if content_type.is_empty() {
                "unknown type"
            } else {
                &content_type
            }
        ))),
    }
}

pub(crate) fn describe(parts: &Parts, body: Option<&[u8]>, rid: &str) -> LoggedRequest {
    LoggedRequest {
        seq: 0,
        at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        rid: rid.to_owned(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts
            .uri
            .query()
            .map(|q| form_pairs(q.as_bytes()))
            .unwrap_or_default(),
        authorization: parts
            .headers
            .get(header::AUTHORIZATION)
            .map(describe_authorization),
        body: match body {
            Some(bytes) => describe_body(parts, bytes),
            None => Some(Value::String("[too large]".into())),
        },
        status: None,
        duration_ms: None,
        client_id: None,
        username: None,
        faults: Vec::new(),
    }
}

/// Whether a path belongs in the log: the simulator's own admin and media
/// routes would only drown what the client under test did.
pub(crate) fn is_logged(path: &str) -> bool {
    !(path.starts_with("/_sim") || path.starts_with("/media/"))
}

/// How much of an oversized body is read (and dropped) before answering 413:
/// a client still sending when the answer comes would see a reset, not the 413.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

/// The body if it is at most `limit` bytes; `None` if larger or unreadable.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Option<Bytes> {
    let mut body = std::pin::pin!(body);
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total <= limit {
            kept.extend_from_slice(&data);
        } else if total > DRAIN_CAP {
            return None;
        }
    }
    (total <= limit).then(|| Bytes::from(kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::Request;

    #[test]
    fn secrets_and_tokens_never_survive() {
        let mut doc = serde_json::json!({
            "secret": "hunter2",
            "client_secret": "abc",
            "token": "pina_xyz",
            "nested": [{"refresh_token": "pinr.abc"}, "pina_loose"],
            "name": "visible",
        });
        redact_json(&mut doc);
        let text = doc.to_string();
        for leaked in ["hunter2", "\"abc\"", "pina_xyz", "pinr.abc", "pina_loose"] {
            assert!(!text.contains(leaked), "{leaked} leaked in {text}");
        }
        assert!(text.contains("visible"));
        let form = form_pairs(
            b"grant_type=refresh_token&refresh_token=pinr.zzz&client_secret=s&code=c0de",
        );
        let text = Value::Object(form).to_string();
        assert!(!text.contains("pinr.zzz") && !text.contains("c0de") && !text.contains("\"s\""));
        assert!(text.contains("refresh_token\":\"[redacted sha256:"));
    }

    #[test]
    fn authorization_header_keeps_only_the_client_id() {
        let basic = base64::engine::general_purpose::STANDARD.encode("1234567:sim-demo-secret");
        let described =
            describe_authorization(&HeaderValue::from_str(&format!("Basic {basic}")).unwrap());
        assert_eq!(described, "Basic client_id=1234567 secret=[redacted]");
        let bearer = describe_authorization(&HeaderValue::from_static("Bearer pina_secret"));
        assert!(bearer.starts_with("Bearer [redacted sha256:") && !bearer.contains("pina_secret"));
    }

    #[test]
    fn ring_keeps_the_newest() {
        let log = RequestLog::new(2);
        let parts = Request::new(Body::empty()).into_parts().0;
        for _ in 0..3 {
            let seq = log.begin(describe(&parts, Some(b""), "1"));
            log.finish(seq, Some(200), Duration::ZERO, &LogSlot::default());
        }
        let seqs: Vec<u64> = log.since(0, 10).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3]);
    }
}
