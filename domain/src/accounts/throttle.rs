//! Slowing down password guessing: failed sign-ins are counted per email and per
//! client IP over a recent window, and past a free allowance each further
//! failure doubles the wait before the next attempt, up to a lock of
//! `max_delay_ms`. The decision is a pure function of counts and times.

use crate::db::repo::sign_in_failures::{self, FailureStats};
use crate::db::{Db, DbError};

/// How a key (an email or an IP) is throttled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures in the window that cost nothing.
    pub free_failures: i64,
    /// Wait after the first failure beyond the allowance; doubles with each one.
    pub base_delay_ms: i64,
    /// The longest wait: reaching it amounts to a temporary lock.
    pub max_delay_ms: i64,
    /// Only failures this recent count.
    pub window_ms: i64,
}

const MINUTE_MS: i64 = 60_000;

/// One account: a few typos are free, guessing is not.
pub const PER_EMAIL: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    base_delay_ms: 1_000,
    max_delay_ms: 15 * MINUTE_MS,
    window_ms: 15 * MINUTE_MS,
};

/// One client address, across accounts: more generous, since an office or a
/// proxy puts many people behind one IP, but it stops spraying many emails.
pub const PER_IP: ThrottlePolicy = ThrottlePolicy {
    free_failures: 20,
    base_delay_ms: 1_000,
    max_delay_ms: 15 * MINUTE_MS,
    window_ms: 15 * MINUTE_MS,
};

/// Whether an attempt may go ahead now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Wait { retry_after_ms: i64 },
}

impl Verdict {
    /// The stricter of two verdicts (the longer wait).
    pub fn max(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Allow, v) | (v, Verdict::Allow) => v,
            (Verdict::Wait { retry_after_ms: a }, Verdict::Wait { retry_after_ms: b }) => {
                Verdict::Wait {
                    retry_after_ms: a.max(b),
                }
            }
        }
    }
}

impl ThrottlePolicy {
    /// The wait that `failures` recent failures impose after the latest one.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        let excess = failures - self.free_failures;
        if excess <= 0 {
            return 0;
        }
        // base · 2^(excess − 1), saturating well before overflow.
        let doublings = u32::try_from(excess - 1).unwrap_or(u32::MAX).min(40);
        self.base_delay_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms)
    }

    /// The verdict for a key with `stats` (failures counted over the window) at `now_ms`.
    pub fn verdict(&self, stats: FailureStats, now_ms: i64) -> Verdict {
        let Some(last) = stats.last_at else {
            return Verdict::Allow;
        };
        let allowed_at = last.saturating_add(self.delay_ms(stats.count));
        if now_ms < allowed_at {
            Verdict::Wait {
                retry_after_ms: allowed_at - now_ms,
            }
        } else {
            Verdict::Allow
        }
    }
}

/// The verdict for an attempt on `email` (normalised) from `ip`.
pub async fn check(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<Verdict, DbError> {
    let by_email =
        sign_in_failures::stats_for_email(db, email, now_ms - PER_EMAIL.window_ms).await?;
    let mut verdict = PER_EMAIL.verdict(by_email, now_ms);
    if let Some(ip) = ip {
        let by_ip = sign_in_failures::stats_for_ip(db, ip, now_ms - PER_IP.window_ms).await?;
        verdict = verdict.max(PER_IP.verdict(by_ip, now_ms));
    }
    Ok(verdict)
}

/// Records a failed attempt, and drops failures too old to matter any more.
pub async fn record_failure(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<(), DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sign_in_failures::insert(db, &id, email, ip, now_ms).await?;
    let oldest_needed = now_ms - PER_EMAIL.window_ms.max(PER_IP.window_ms);
    sign_in_failures::prune(db, oldest_needed).await?;
    Ok(())
}

/// Forgets an email's failures once it signed in; its IP's failures still count.
pub async fn forget_email(db: &Db, email: &str) -> Result<(), DbError> {
    sign_in_failures::clear_email(db, email).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(count: i64, last_at: i64) -> FailureStats {
        FailureStats {
            count,
            last_at: Some(last_at),
        }
    }

    #[test]
    fn the_allowance_is_free() {
        assert_eq!(
            PER_EMAIL.verdict(FailureStats::default(), 0),
            Verdict::Allow
        );
        assert_eq!(PER_EMAIL.verdict(stats(5, 1_000), 1_000), Verdict::Allow);
    }

    #[test]
    fn each_failure_beyond_it_doubles_the_wait() {
        assert_eq!(PER_EMAIL.delay_ms(6), 1_000);
        assert_eq!(PER_EMAIL.delay_ms(7), 2_000);
        assert_eq!(PER_EMAIL.delay_ms(8), 4_000);
        assert_eq!(
            PER_EMAIL.verdict(stats(7, 10_000), 10_500),
            Verdict::Wait {
                retry_after_ms: 1_500
            }
        );
        assert_eq!(PER_EMAIL.verdict(stats(7, 10_000), 12_000), Verdict::Allow);
    }

    #[test]
    fn the_wait_is_capped_as_a_lock() {
        assert_eq!(PER_EMAIL.delay_ms(16), 15 * MINUTE_MS);
        assert_eq!(PER_EMAIL.delay_ms(1_000_000), 15 * MINUTE_MS);
        assert_eq!(PER_EMAIL.delay_ms(i64::MAX), 15 * MINUTE_MS);
        assert_eq!(
            PER_EMAIL.verdict(stats(100, 0), 1),
            Verdict::Wait {
                retry_after_ms: 15 * MINUTE_MS - 1
            }
        );
    }

    #[test]
    fn an_ip_gets_a_larger_allowance() {
        assert_eq!(PER_IP.verdict(stats(20, 0), 0), Verdict::Allow);
        assert!(matches!(
            PER_IP.verdict(stats(21, 0), 0),
            Verdict::Wait { .. }
        ));
    }

    #[test]
    fn the_stricter_verdict_wins() {
        let a = Verdict::Wait { retry_after_ms: 5 };
        let b = Verdict::Wait { retry_after_ms: 9 };
        assert_eq!(Verdict::Allow.max(a), a);
        assert_eq!(a.max(Verdict::Allow), a);
        assert_eq!(a.max(b), b);
        assert_eq!(Verdict::Allow.max(Verdict::Allow), Verdict::Allow);
    }
}
