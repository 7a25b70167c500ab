//! What one process keeps in memory for the API: recently verified keys (so
//! most requests need no key lookup), each key's rate-limit window, and usage
//! counted since the last flush (so no request writes to the database).
//!
//! Nothing here must survive a restart or be shared: a verified key is trusted
//! for at most [`KEY_CACHE_TTL`], so a key revoked by another process stops
//! working here within that time (this process forgets it at once when it
//! revokes it itself). Rate limits are per process. Counts not yet flushed
//! when a process dies are lost (at most one flush interval's worth), as are
//! agent tool calls not yet written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::caller::KnownKey;
use super::key::KeyHash;
use crate::accounts::{ApiKeyId, ConnectionId, EnvironmentId};
use crate::db::repo::agent::ToolCallRecord;
pub use crate::db::repo::api_keys::CallCounts;

/// How long a key read from the database is trusted without reading it again.
pub const KEY_CACHE_TTL: Duration = Duration::from_millis(1000);
/// Entries kept at most; past that the cache starts over (a flood of unknown keys).
const KEY_CACHE_MAX: usize = 10_000;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The last-used time is written at most this often per key.
pub const LAST_USED_EVERY_MS: i64 = 60_000;
/// Tool calls kept for writing at most; past that the oldest are dropped
/// (the database is down or far behind).
const TOOL_CALLS_MAX: usize = 10_000;

/// A key read at an instant (`None`: no such key).
type Remembered = (Instant, Option<Arc<KnownKey>>);

#[derive(Default, Debug)]
pub struct Runtime {
    keys: Mutex<HashMap<KeyHash, Remembered>>,
    usage: Mutex<Usage>,
    /// Held while usage is written: a flush waits for one in progress, so
    /// whoever flushes finds everything counted before it in the database.
    pub(crate) flushing: tokio::sync::Mutex<()>,
}

#[derive(Default, Debug)]
struct Usage {
    keys: HashMap<ApiKeyId, KeyUsage>,
    calls: HashMap<(ConnectionId, ApiKeyId), CallCounts>,
    /// Answers per environment and hour: (succeeded, failed).
    answers: HashMap<(EnvironmentId, i64), (i64, i64)>,
    tool_calls: Vec<ToolCallRecord>,
    /// Tool calls dropped since the last flush (see [`TOOL_CALLS_MAX`]).
    dropped: u64,
}

#[derive(Debug)]
struct KeyUsage {
    window_start: Instant,
    in_window: u64,
    unflushed: i64,
    last_used: i64,
    /// The last-used time last written, if any yet.
    last_written: Option<i64>,
}

/// Whether a request fits the key's rate limit, and what the limit headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the window starts over.
    pub reset_secs: u64,
}

/// Usage to write: per key, and per connection and key.
#[derive(Debug, Default)]
pub struct Flush {
    pub keys: Vec<(ApiKeyId, i64, Option<i64>)>,
    pub calls: Vec<(ConnectionId, ApiKeyId, CallCounts)>,
    /// `(environment, hour, succeeded, failed)`: answers for the dashboard.
    pub answers: Vec<(EnvironmentId, i64, i64, i64)>,
    pub tool_calls: Vec<ToolCallRecord>,
}

/// Which call on a connection to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Token,
    Proxy,
    Tool,
}

impl Runtime {
    /// The key with this hash, if read less than [`KEY_CACHE_TTL`] ago.
    /// `Some(None)` means "known not to exist".
    pub(crate) fn cached(&self, hash: &KeyHash) -> Option<Option<Arc<KnownKey>>> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.get(hash)
            .filter(|(at, _)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(_, row)| row.clone())
    }

    pub(crate) fn remember(&self, hash: KeyHash, key: Option<Arc<KnownKey>>) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= KEY_CACHE_MAX {
            keys.retain(|_, (at, _)| at.elapsed() < KEY_CACHE_TTL);
            if keys.len() >= KEY_CACHE_MAX {
                keys.clear();
            }
        }
        keys.insert(hash, (Instant::now(), key));
    }

    /// Forgets a key at once (this process revoked or rotated it).
    pub(crate) fn forget(&self, id: &ApiKeyId) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.retain(|_, (_, key)| key.as_ref().is_none_or(|k| &k.caller.key_id != id));
    }

    /// Counts a request of the key against its limit (`limit` per [`WINDOW`]).
    /// A refused request is not counted as used.
    pub fn admit(&self, id: &ApiKeyId, limit: u64, now_ms: i64) -> Admission {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let entry = usage.keys.entry(id.clone()).or_insert_with(|| KeyUsage {
            window_start: now,
            in_window: 0,
            unflushed: 0,
            last_used: 0,
            last_written: None,
        });
        if now.duration_since(entry.window_start) >= WINDOW {
            entry.window_start = now;
            entry.in_window = 0;
        }
        let reset_secs = WINDOW
            .saturating_sub(now.duration_since(entry.window_start))
            .as_secs_f64()
            .ceil() as u64;
        if entry.in_window >= limit {
            return Admission {
                allowed: false,
                limit,
                remaining: 0,
                reset_secs: reset_secs.max(1),
            };
        }
        entry.in_window += 1;
        entry.unflushed += 1;
        entry.last_used = now_ms;
        Admission {
            allowed: true,
            limit,
            remaining: limit - entry.in_window,
            reset_secs,
        }
    }

    /// Counts a call a key made on a connection.
    pub fn count_call(&self, connection: &ConnectionId, key: &ApiKeyId, kind: CallKind) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let entry = usage
            .calls
            .entry((connection.clone(), key.clone()))
            .or_default();
        match kind {
            CallKind::Token => entry.token += 1,
            CallKind::Proxy => entry.proxy += 1,
            CallKind::Tool => entry.tool += 1,
        }
    }

    /// Counts an answer to an admitted request of a key of `environment`:
    /// `succeeded` when its status is below 400. For the dashboard's hours.
    pub fn count_answer(&self, environment: &EnvironmentId, succeeded: bool, now_ms: i64) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let hour = now_ms - now_ms.rem_euclid(3_600_000);
        let entry = usage
            .answers
            .entry((environment.clone(), hour))
            .or_default();
        if succeeded {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }

    /// Keeps a tool call for the next flush.
    pub fn record_tool_call(&self, record: ToolCallRecord) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        if usage.tool_calls.len() >= TOOL_CALLS_MAX {
            usage.tool_calls.remove(0);
            usage.dropped += 1;
        }
        usage.tool_calls.push(record);
    }

    /// Takes what is due for writing: every key's unflushed requests, its
    /// last-used time when the one written is a minute old, and the calls.
    pub(crate) fn take(&self, force_last_used: bool) -> Flush {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Flush::default();
        for (id, u) in usage.keys.iter_mut() {
            let due = match u.last_written {
                None => u.last_used > 0,
                Some(written) => {
                    u.last_used > written
                        && (force_last_used || u.last_used - written >= LAST_USED_EVERY_MS)
                }
            };
            let last_used = due.then_some(u.last_used);
            if u.unflushed > 0 || last_used.is_some() {
                out.keys.push((id.clone(), u.unflushed, last_used));
                u.unflushed = 0;
                if last_used.is_some() {
                    u.last_written = last_used;
                }
            }
        }
        for ((conn, key), counts) in usage.calls.drain() {
            out.calls.push((conn, key, counts));
        }
        for ((environment, hour), (ok, failed)) in usage.answers.drain() {
            out.answers.push((environment, hour, ok, failed));
        }
        out.tool_calls = std::mem::take(&mut usage.tool_calls);
        if usage.dropped > 0 {
            tracing::warn!(
                dropped = usage.dropped,
                "agent tool calls were not recorded: too many waited to be written"
            );
            usage.dropped = 0;
        }
        out
    }

    /// Puts back usage whose write failed, to be tried at the next flush.
    pub(crate) fn put_back(&self, flush: Flush) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        for (id, n, _) in flush.keys {
            if let Some(u) = usage.keys.get_mut(&id) {
                u.unflushed += n;
            }
        }
        for (conn, key, counts) in flush.calls {
            let e = usage.calls.entry((conn, key)).or_default();
            e.token += counts.token;
            e.proxy += counts.proxy;
            e.tool += counts.tool;
        }
        for (environment, hour, ok, failed) in flush.answers {
            let e = usage.answers.entry((environment, hour)).or_default();
            e.0 += ok;
            e.1 += failed;
        }
        let mut kept = flush.tool_calls;
        kept.append(&mut usage.tool_calls);
        let over = kept.len().saturating_sub(TOOL_CALLS_MAX);
        kept.drain(..over);
        usage.dropped += over as u64;
        usage.tool_calls = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_a_window_and_refuses_past_it() {
        let rt = Runtime::default();
        let id = ApiKeyId::generate();
        for i in 0..3 {
            let a = rt.admit(&id, 3, 1000);
            assert!(a.allowed);
            assert_eq!(a.remaining, 2 - i);
            assert!(a.reset_secs <= 60 && a.reset_secs >= 59, "{a:?}");
        }
        let refused = rt.admit(&id, 3, 1000);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        // Another key has its own window.
        assert!(rt.admit(&ApiKeyId::generate(), 3, 1000).allowed);
        // Only admitted requests are counted as used.
        let flush = rt.take(false);
        let mine = flush.keys.iter().find(|(k, _, _)| k == &id).unwrap();
        assert_eq!(mine.1, 3);
        assert_eq!(mine.2, Some(1000), "never written: written now");
    }

    #[test]
    fn last_used_is_written_at_most_once_a_minute() {
        let rt = Runtime::default();
        let id = ApiKeyId::generate();
        rt.admit(&id, 100, 1_000);
        assert_eq!(rt.take(false).keys[0].2, Some(1_000));
        rt.admit(&id, 100, 30_000);
        let second = rt.take(false);
        assert_eq!(second.keys[0], (id.clone(), 1, None), "counts, no time");
        rt.admit(&id, 100, 61_001);
        assert_eq!(rt.take(false).keys[0].2, Some(61_001));
        assert!(rt.take(false).keys.is_empty(), "nothing new");
        rt.admit(&id, 100, 62_000);
        assert_eq!(rt.take(true).keys[0].2, Some(62_000), "forced at shutdown");
    }

    #[test]
    fn calls_are_counted_per_connection_and_key_and_put_back_on_failure() {
        let rt = Runtime::default();
        let (c, k) = (ConnectionId::generate(), ApiKeyId::generate());
        rt.count_call(&c, &k, CallKind::Token);
        rt.count_call(&c, &k, CallKind::Proxy);
        rt.count_call(&c, &k, CallKind::Proxy);
        let flush = rt.take(false);
        let counts = CallCounts {
            token: 1,
            proxy: 2,
            tool: 0,
        };
        assert_eq!(flush.calls, vec![(c.clone(), k.clone(), counts)]);
        rt.put_back(flush);
        assert_eq!(rt.take(false).calls, vec![(c, k, counts)]);
    }

    #[test]
    fn answers_are_counted_per_environment_and_hour_and_put_back_on_failure() {
        let rt = Runtime::default();
        let (a, b) = (EnvironmentId::generate(), EnvironmentId::generate());
        let hour = 1_795_885_200_000;
        rt.count_answer(&a, true, hour + 5);
        rt.count_answer(&a, false, hour + 3_599_999);
        rt.count_answer(&a, true, hour + 3_600_000);
        rt.count_answer(&b, true, hour);
        let mut flush = rt.take(false);
        flush.answers.sort();
        let mut expected = vec![
            (a.clone(), hour, 1, 1),
            (a.clone(), hour + 3_600_000, 1, 0),
            (b.clone(), hour, 1, 0),
        ];
        expected.sort();
        assert_eq!(flush.answers, expected);
        assert!(rt.take(false).answers.is_empty(), "taken once");
        rt.count_answer(&b, false, hour);
        rt.put_back(flush);
        let mut again = rt.take(false).answers;
        again.sort();
        expected[2].3 = 1;
        assert_eq!(again, expected);
    }

    fn record(n: i64) -> ToolCallRecord {
        ToolCallRecord {
            id: n.to_string(),
            workspace_id: crate::accounts::WorkspaceId::generate(),
            environment_id: crate::accounts::EnvironmentId::generate(),
            key_id: ApiKeyId::generate(),
            connection_id: None,
            tool: "get_pin",
            outcome: crate::shared::ToolOutcome::Ok,
            latency_ms: n,
            at: n,
        }
    }

    #[test]
    fn tool_calls_wait_for_the_flush_in_order_and_are_bounded() {
        let rt = Runtime::default();
        for n in 0..3 {
            rt.record_tool_call(record(n));
        }
        let flush = rt.take(false);
        let ids: Vec<&str> = flush.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2"]);
        assert!(rt.take(false).tool_calls.is_empty(), "taken once");
        // A failed write puts them back before the ones recorded since.
        rt.record_tool_call(record(3));
        rt.put_back(flush);
        let again: Vec<String> = rt
            .take(false)
            .tool_calls
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(again, ["0", "1", "2", "3"]);
        // Past the bound the oldest go.
        for n in 0..(TOOL_CALLS_MAX as i64 + 5) {
            rt.record_tool_call(record(n));
        }
        let kept = rt.take(false).tool_calls;
        assert_eq!(kept.len(), TOOL_CALLS_MAX);
        assert_eq!(kept[0].id, "5");
    }
}
