//! How long account credentials stay good: setup links, sign-ins, and how
//! recent a password must be before the most sensitive actions.

use std::time::Duration;

/// The account lifetimes an installation runs with (from its configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountPolicy {
    /// A setup link stops working this long after it was issued.
    pub setup_link_lifetime: Duration,
    /// A sign-in ends this long after the password was entered, however active.
    pub session_lifetime: Duration,
    /// A sign-in ends after this long without a request.
    pub session_idle: Duration,
    /// The most sensitive actions ask for the password again when it was last
    /// entered longer ago than this.
    pub reauth_after: Duration,
}

impl AccountPolicy {
    pub const DEFAULT_SETUP_LINK_LIFETIME: Duration = Duration::from_secs(3_600);
    pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(7 * 86_400);
    pub const DEFAULT_REAUTH_AFTER: Duration = Duration::from_secs(15 * 60);
    pub const SESSION_IDLE: Duration = Duration::from_secs(7 * 86_400);

    pub fn setup_link_lifetime_ms(&self) -> i64 {
        millis(self.setup_link_lifetime)
    }

    pub fn session_lifetime_ms(&self) -> i64 {
        millis(self.session_lifetime)
    }

    pub fn session_idle_ms(&self) -> i64 {
        millis(self.session_idle)
    }

    pub fn reauth_after_ms(&self) -> i64 {
        millis(self.reauth_after)
    }
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            setup_link_lifetime: Self::DEFAULT_SETUP_LINK_LIFETIME,
            session_lifetime: Self::DEFAULT_SESSION_LIFETIME,
            session_idle: Self::SESSION_IDLE,
            reauth_after: Self::DEFAULT_REAUTH_AFTER,
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A duration in words for messages ("1 hour", "15 minutes", "7 days").
pub fn describe(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs >= 86_400 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs >= 3_600 && secs.is_multiple_of(3_600) {
        (secs / 3_600, "hour")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(describe(Duration::from_secs(3_600)), "1 hour");
        assert_eq!(describe(Duration::from_secs(900)), "15 minutes");
        assert_eq!(describe(Duration::from_secs(7 * 86_400)), "7 days");
        assert_eq!(describe(Duration::from_secs(90)), "90 seconds");
    }
}
