//! Slowing down password guessing. Every sign-in attempt is counted *before*
//! its password is checked (reserved atomically in the database, so a burst of
//! parallel guesses cannot all slip past one check), per (email, client) and
//! per client, over a recent window. Past a free allowance each further attempt
//! doubles the wait before the next one, up to a lock of `max_delay_ms`. A
//! client is an IPv4 address or an IPv6 /64 (one subscriber's usual share), so
//! an attacker can lock out only their own address, never a named operator
//! everywhere. A successful sign-in gives its attempt back.
//! The decision is a pure function of counts and times.

use std::net::IpAddr;

use crate::db::repo::sign_in_attempts::{self, Reserved};
use crate::db::{Db, DbError};

/// How a key is throttled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts in the window that cost nothing.
    pub free_attempts: i64,
    /// Wait after the first attempt beyond the allowance; doubles with each one.
    pub base_delay_ms: i64,
    /// The longest wait: reaching it amounts to a temporary lock.
    pub max_delay_ms: i64,
    /// A key idle this long starts over.
    pub window_ms: i64,
}

const MINUTE_MS: i64 = 60_000;

/// One account from one client: a few typos are free, guessing is not.
pub const PER_EMAIL_AND_CLIENT: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 5,
    base_delay_ms: 1_000,
    max_delay_ms: 15 * MINUTE_MS,
    window_ms: 15 * MINUTE_MS,
};

/// One client across accounts: more generous, since an office or a carrier
/// puts many people behind one address, but it stops spraying many emails.
/// Successful sign-ins do not count against it.
pub const PER_CLIENT: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 20,
    base_delay_ms: 1_000,
    max_delay_ms: 15 * MINUTE_MS,
    window_ms: 15 * MINUTE_MS,
};

/// Two-factor codes typed for one account, from anywhere: ten are free, then
/// the waits double up to the lock. Whoever types them knew the password.
pub const PER_ACCOUNT_CODES: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 10,
    base_delay_ms: 1_000,
    max_delay_ms: 15 * MINUTE_MS,
    window_ms: 60 * MINUTE_MS,
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
    /// The wait that `attempts` recent attempts impose after the latest one.
    pub fn delay_ms(&self, attempts: i64) -> i64 {
        let excess = attempts - self.free_attempts;
        if excess <= 0 {
            return 0;
        }
        // base · 2^(excess − 1), saturating well before overflow.
        let doublings = u32::try_from(excess - 1).unwrap_or(u32::MAX).min(40);
        self.base_delay_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms)
    }

    /// The verdict on an attempt that `reserved` counted at `now_ms`: it may go
    /// ahead when the attempts before it allow one now. When it may not, the
    /// wait is the one the *next* attempt will face, since this one counted too.
    pub fn verdict(&self, reserved: Reserved, now_ms: i64) -> Verdict {
        let Some(prev_at) = reserved.prev_at else {
            return Verdict::Allow;
        };
        let allowed_at = prev_at.saturating_add(self.delay_ms(reserved.count - 1));
        if now_ms < allowed_at {
            Verdict::Wait {
                retry_after_ms: self.delay_ms(reserved.count).max(1),
            }
        } else {
            Verdict::Allow
        }
    }
}

/// The client part of a key: an IPv4 address, or an IPv6 address's /64
/// (IPv4-mapped IPv6 counts as IPv4). `unknown` when there is none.
pub fn client_key(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{network}/64")
            }
        },
        None => "unknown".to_owned(),
    }
}

/// An attempt that was counted but may not go ahead: the next may, after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub retry_after_ms: i64,
}

/// An attempt that was counted and may go ahead.
#[derive(Debug)]
pub struct Reservation {
    pair: String,
    client: String,
}

/// Counts an attempt on `email` (normalised) from `ip`, before anything is
/// checked: the attempt goes ahead only if the verdict is `Allow`.
pub async fn reserve(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now_ms: i64,
) -> Result<Result<Reservation, Wait>, DbError> {
    let client = client_key(ip);
    let reservation = Reservation {
        pair: format!("e:{email} {client}"),
        client: format!("i:{client}"),
    };
    let pair = PER_EMAIL_AND_CLIENT;
    let by_pair =
        sign_in_attempts::reserve(db, &reservation.pair, now_ms, now_ms - pair.window_ms).await?;
    let by_client = sign_in_attempts::reserve(
        db,
        &reservation.client,
        now_ms,
        now_ms - PER_CLIENT.window_ms,
    )
    .await?;
    let verdict = pair
        .verdict(by_pair, now_ms)
        .max(PER_CLIENT.verdict(by_client, now_ms));
    Ok(match verdict {
        Verdict::Allow => Ok(reservation),
        Verdict::Wait { retry_after_ms } => Err(Wait { retry_after_ms }),
    })
}

/// The attempt failed: it stays counted. Counters idle past the window go.
pub async fn failed(db: &Db, now_ms: i64) -> Result<(), DbError> {
    let oldest_needed = now_ms - PER_EMAIL_AND_CLIENT.window_ms.max(PER_CLIENT.window_ms);
    sign_in_attempts::prune(db, oldest_needed).await
}

/// Counts a two-factor code typed for `operator_id` before it is checked.
pub async fn reserve_code(
    db: &Db,
    operator_id: &str,
    now_ms: i64,
) -> Result<Result<(), Wait>, DbError> {
    let policy = PER_ACCOUNT_CODES;
    let key = format!("t:{operator_id}");
    let reserved = sign_in_attempts::reserve(db, &key, now_ms, now_ms - policy.window_ms).await?;
    Ok(match policy.verdict(reserved, now_ms) {
        Verdict::Allow => Ok(()),
        Verdict::Wait { retry_after_ms } => Err(Wait { retry_after_ms }),
    })
}

/// A right code: the account's code count starts over.
pub async fn code_passed(db: &Db, operator_id: &str) -> Result<(), DbError> {
    sign_in_attempts::clear(db, &format!("t:{operator_id}")).await
}

/// The attempt could not be checked (no hashing slot was free): it is given back.
pub async fn not_tried(db: &Db, reservation: Reservation) -> Result<(), DbError> {
    sign_in_attempts::release(db, &reservation.pair).await?;
    sign_in_attempts::release(db, &reservation.client).await
}

/// The attempt signed in: the account's count from this client starts over,
/// and the client's count across accounts gets this attempt back.
pub async fn succeeded(db: &Db, reservation: Reservation) -> Result<(), DbError> {
    sign_in_attempts::clear(db, &reservation.pair).await?;
    sign_in_attempts::release(db, &reservation.client).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserved(count: i64, prev_at: i64) -> Reserved {
        Reserved {
            count,
            prev_at: Some(prev_at),
        }
    }

    #[test]
    fn the_allowance_is_free() {
        let first = Reserved {
            count: 1,
            prev_at: None,
        };
        assert_eq!(PER_EMAIL_AND_CLIENT.verdict(first, 0), Verdict::Allow);
        // The sixth attempt follows five free ones: no wait yet.
        assert_eq!(
            PER_EMAIL_AND_CLIENT.verdict(reserved(6, 1_000), 1_000),
            Verdict::Allow
        );
    }

    #[test]
    fn each_attempt_beyond_it_doubles_the_wait() {
        let p = PER_EMAIL_AND_CLIENT;
        assert_eq!(p.delay_ms(6), 1_000);
        assert_eq!(p.delay_ms(7), 2_000);
        assert_eq!(p.delay_ms(8), 4_000);
        // The eighth attempt comes 500 ms after the seventh, which imposed 2 s.
        assert_eq!(
            p.verdict(reserved(8, 10_000), 10_500),
            Verdict::Wait {
                retry_after_ms: 4_000
            }
        );
        assert_eq!(p.verdict(reserved(8, 10_000), 12_000), Verdict::Allow);
    }

    #[test]
    fn the_wait_is_capped_as_a_lock() {
        let p = PER_EMAIL_AND_CLIENT;
        assert_eq!(p.delay_ms(16), 15 * MINUTE_MS);
        assert_eq!(p.delay_ms(1_000_000), 15 * MINUTE_MS);
        assert_eq!(p.delay_ms(i64::MAX), 15 * MINUTE_MS);
        assert_eq!(
            p.verdict(reserved(100, 0), 1),
            Verdict::Wait {
                retry_after_ms: 15 * MINUTE_MS
            }
        );
    }

    #[test]
    fn a_client_gets_a_larger_allowance() {
        assert_eq!(PER_CLIENT.verdict(reserved(21, 0), 0), Verdict::Allow);
        assert!(matches!(
            PER_CLIENT.verdict(reserved(22, 0), 0),
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

    #[test]
    fn clients_are_addresses_and_ipv6_slash_64s() {
        assert_eq!(client_key(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_key(Some("::ffff:203.0.113.7")), "203.0.113.7");
        // Every address of one /64 is one client; the next /64 is another.
        assert_eq!(
            client_key(Some("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_key(Some("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_key(Some("2001:db8:1:3::1")), "2001:db8:1:3::/64");
        assert_eq!(client_key(None), "unknown");
        assert_eq!(client_key(Some("not an address")), "unknown");
    }
}
