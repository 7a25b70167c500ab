//! Fault injection: added latency, a share of error answers (5xx, or the
//! token endpoint's refusals, optionally repeating what was sent), a real
//! per-token rate limit (429 code 8), hung responses, and "Pinterest is down"
//! (503, or connections refused). Set globally or per app; an app's own set
//! replaces the global one for that app's traffic.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The longest latency, hang-free down time or rate window one may ask for.
pub const MAX_FAULT_DURATION_MS: u64 = 10 * 60 * 1000;

/// One set of faults, as the admin API and the TOML `[faults]` table spell it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSet {
    /// Added before every answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// Up to this much more, uniformly at random.
    #[serde(default)]
    pub latency_jitter_ms: u64,
    /// Share (0.0 to 1.0) of requests answered with an error instead.
    #[serde(default)]
    pub error_rate: f64,
    /// Statuses to pick from for those; `[500]` when empty. A 5xx, or one of
    /// the refusals Pinterest's token endpoint answers (400, 401, 403).
    #[serde(default)]
    pub error_statuses: Vec<u16>,
    /// Body of injected error answers.
    #[serde(default)]
    pub error_body: ErrorBody,
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Never answer (until the client gives up or the simulator stops).
    #[serde(default)]
    pub hang: bool,
    #[serde(default)]
    pub down: Option<Down>,
    /// Only requests whose path starts with one of these; all when empty.
    #[serde(default)]
    pub paths: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorBody {
    /// Pinterest's `{"code":…,"message":…}`.
    #[default]
    Json,
    /// An HTML page, as a load balancer in front of an API would send.
    Html,
    Empty,
    /// Pinterest's JSON shape, its message repeating the request's query and
    /// form (credentials included), as a careless server might: for testing
    /// that a client keeps what it sent out of what it stores and shows.
    Echo,
}

/// A fixed-window limit per credential (bearer token, or client id on the token endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: u32,
    #[serde(default = "one_second")]
    pub window_ms: u64,
    /// Pinterest's spec declares no rate-limit headers, so `Retry-After` is opt-in.
    #[serde(default)]
    pub retry_after: bool,
}

fn one_second() -> u64 {
    1000
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Down {
    pub mode: DownMode,
    /// Back up by itself after this long; required for `refuse`, which also
    /// makes the admin API unreachable.
    #[serde(default)]
    pub for_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownMode {
    /// Answer 503 `{"code":503,"message":"Service unavailable."}`.
    Unavailable,
    /// Close the listening socket and every open connection (global only).
    Refuse,
}

impl FaultSet {
    /// Checks ranges; `global` says whether the set is the global one.
    pub fn validate(&self, global: bool) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err("error_rate must be between 0.0 and 1.0".into());
        }
        if let Some(bad) = self
            .error_statuses
            .iter()
            .find(|s| !(500..=599).contains(*s) && ![400, 401, 403].contains(*s))
        {
            return Err(format!(
                "error_statuses: {bad} is neither a 5xx status nor 400, 401 or 403"
            ));
        }
        if self.latency_ms.saturating_add(self.latency_jitter_ms) > MAX_FAULT_DURATION_MS {
            return Err(format!(
                "latency_ms + latency_jitter_ms must be at most {MAX_FAULT_DURATION_MS}"
            ));
        }
        if let Some(limit) = &self.rate_limit
            && (limit.requests == 0
                || limit.window_ms == 0
                || limit.window_ms > MAX_FAULT_DURATION_MS)
        {
            return Err(format!(
                "rate_limit needs requests >= 1 and 1 <= window_ms <= {MAX_FAULT_DURATION_MS}"
            ));
        }
        if let Some(down) = &self.down {
            if down
                .for_ms
                .is_some_and(|ms| ms == 0 || ms > MAX_FAULT_DURATION_MS)
            {
                return Err(format!(
                    "down.for_ms must be between 1 and {MAX_FAULT_DURATION_MS}"
                ));
            }
            if down.mode == DownMode::Refuse {
                if !global {
                    return Err("down.mode \"refuse\" can only be set globally".into());
                }
                if down.for_ms.is_none() {
                    return Err(
                        "down.mode \"refuse\" needs for_ms: the admin API is down too".into(),
                    );
                }
            }
        }
        if let Some(bad) = self.paths.iter().find(|p| !p.starts_with('/')) {
            return Err(format!("paths: {bad:?} must start with '/'"));
        }
        Ok(())
    }
}

/// A fault set in force, with when its `down` ends.
#[derive(Debug)]
pub struct ActiveFaults {
    pub spec: FaultSet,
    down_until: Option<Instant>,
    /// Distinguishes rate-limit windows of successive settings.
    pub(crate) generation: u64,
}

impl ActiveFaults {
    pub fn new(spec: FaultSet, now: Instant, generation: u64) -> Self {
        let down_until = spec
            .down
            .and_then(|d| d.for_ms)
            .and_then(|ms| now.checked_add(Duration::from_millis(ms)));
        ActiveFaults {
            spec,
            down_until,
            generation,
        }
    }

    fn applies_to(&self, path: &str) -> bool {
        self.spec.paths.is_empty() || self.spec.paths.iter().any(|p| path.starts_with(p.as_str()))
    }

    /// The down mode in force at `now`, if any.
    pub fn down_at(&self, now: Instant) -> Option<DownMode> {
        let down = self.spec.down?;
        match self.down_until {
            Some(until) if now >= until => None,
            _ => Some(down.mode),
        }
    }

    /// When refusing connections ends.
    pub fn refuse_until(&self) -> Option<Instant> {
        match self.spec.down {
            Some(Down {
                mode: DownMode::Refuse,
                ..
            }) => self.down_until,
            _ => None,
        }
    }
}

/// Global and per-app fault sets.
#[derive(Debug, Default)]
pub struct FaultBook {
    pub global: Option<Arc<ActiveFaults>>,
    pub apps: HashMap<String, Arc<ActiveFaults>>,
}

impl FaultBook {
    pub fn is_empty(&self) -> bool {
        self.global.is_none() && self.apps.is_empty()
    }

    /// The set that governs a request of `app` (when known) to `path`.
    pub fn for_request(&self, app: Option<&str>, path: &str) -> Option<Arc<ActiveFaults>> {
        let chosen = app
            .and_then(|a| self.apps.get(a))
            .or(self.global.as_ref())?;
        chosen.applies_to(path).then(|| Arc::clone(chosen))
    }
}

/// Fixed-window counters per credential.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<(u64, String), (Instant, u32)>,
}

impl RateLimiter {
    /// Counts one request; `Err(wait)` when over the limit.
    pub fn check(
        &mut self,
        generation: u64,
        key: &str,
        limit: &RateLimit,
        now: Instant,
    ) -> Result<(), Duration> {
        let window = Duration::from_millis(limit.window_ms);
        if self.windows.len() > 100_000 {
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = self
            .windows
            .entry((generation, key.to_owned()))
            .or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit.requests {
            return Err(window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }

    pub fn clear(&mut self) {
        self.windows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_is_a_fixed_window_per_key() {
        let mut limiter = RateLimiter::default();
        let limit = RateLimit {
            requests: 2,
            window_ms: 1000,
            retry_after: false,
        };
        let t0 = Instant::now();
        assert!(limiter.check(1, "a", &limit, t0).is_ok());
        assert!(limiter.check(1, "a", &limit, t0).is_ok());
        assert!(limiter.check(1, "a", &limit, t0).is_err());
        assert!(limiter.check(1, "b", &limit, t0).is_ok());
        assert!(
            limiter
                .check(1, "a", &limit, t0 + Duration::from_millis(1000))
                .is_ok()
        );
    }

    #[test]
    fn validation() {
        let refuse = FaultSet {
            down: Some(Down {
                mode: DownMode::Refuse,
                for_ms: None,
            }),
            ..FaultSet::default()
        };
        assert!(refuse.validate(true).is_err());
        let refuse_for = FaultSet {
            down: Some(Down {
                mode: DownMode::Refuse,
                for_ms: Some(100),
            }),
            ..FaultSet::default()
        };
        assert!(refuse_for.validate(true).is_ok());
        assert!(refuse_for.validate(false).is_err());
        let bad_rate = FaultSet {
            error_rate: 1.5,
            ..FaultSet::default()
        };
        assert!(bad_rate.validate(true).is_err());
        let bad_status = FaultSet {
            error_statuses: vec![404],
            ..FaultSet::default()
        };
        assert!(bad_status.validate(true).is_err());
    }
}
