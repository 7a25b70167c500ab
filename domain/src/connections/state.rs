//! A connection's health as one state with a reason and the time it began,
//! and the one function that moves it: [`ConnectionState::after`].
//!
//! `active` ⇄ `degraded` (transient trouble: Pinterest 5xx, timeouts, 429);
//! → `needs_reauth` (a refresh rejected after re-reading the stored token, or a
//! token Pinterest no longer accepts); → `insufficient_scope` (granted scopes
//! miss a required one); → `revoked` (disconnected: our tokens are deleted).
//! Authorizing again returns any state to `active` (or `insufficient_scope`).

pub use crate::shared::Health;

/// Something that happened to a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The end user authorized (again). `missing` lists required scopes the
    /// grant lacks (empty when it has them all).
    Authorized { missing: Vec<String> },
    /// A refresh or a probe succeeded: Pinterest accepts the tokens.
    Succeeded,
    /// Pinterest was unreachable, slow, failing (5xx) or limiting (429).
    Transient { reason: String },
    /// Pinterest refused the refresh token, and re-reading the stored one showed
    /// no other process had rotated it meanwhile; or it refused the access token
    /// right after a refresh.
    Rejected { reason: String },
    /// The operator (or the application) disconnected it; tokens are deleted.
    Disconnected { by: String },
    /// A probe read the account: Pinterest accepts the access token. `missing`
    /// lists scopes the environment requires now that the grant lacks.
    Verified { missing: Vec<String> },
    /// Pinterest refused a call for lack of a scope (401 code 3, 403).
    ScopeRefused { reason: String },
}

/// A connection's state, why, and since when (Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionState {
    pub health: Health,
    pub reason: String,
    pub since: i64,
}

impl ConnectionState {
    /// The state after `event` at `now`. Staying in the same state keeps its
    /// `since` (a connection degraded for an hour stays "degraded since" then),
    /// though the reason is refreshed.
    pub fn after(&self, event: &Event, now: i64) -> ConnectionState {
        use Health::*;
        let (health, reason) = match (self.health, event) {
            (_, Event::Authorized { missing }) if missing.is_empty() => {
                (Active, "Authorized by the end user.".to_owned())
            }
            (_, Event::Authorized { missing }) => (
                InsufficientScope,
                format!("The end user did not grant {}.", missing.join(", ")),
            ),
            (_, Event::Disconnected { by }) => (Revoked, format!("Disconnected by {by}.")),
            // A revoked connection has no tokens: nothing but a new authorization revives it.
            (Revoked, _) => return self.clone(),
            // Only a new authorization gives a refresh token back.
            (NeedsReauth, Event::Verified { .. } | Event::ScopeRefused { .. }) => {
                return self.clone();
            }
            (_, Event::Verified { missing }) if missing.is_empty() => {
                (Active, "Pinterest accepts the tokens.".to_owned())
            }
            (_, Event::Verified { missing }) => (
                InsufficientScope,
                format!(
                    "The grant lacks {}, which this environment now requires: the end user must connect again.",
                    missing.join(", ")
                ),
            ),
            (_, Event::ScopeRefused { reason }) => (InsufficientScope, reason.clone()),
            (NeedsReauth | InsufficientScope, Event::Succeeded | Event::Transient { .. }) => {
                return self.clone();
            }
            (Active | Degraded, Event::Succeeded) => {
                (Active, "Pinterest accepts the tokens.".to_owned())
            }
            (Active | Degraded, Event::Transient { reason }) => (Degraded, reason.clone()),
            (_, Event::Rejected { reason }) => (NeedsReauth, reason.clone()),
        };
        let since = if health == self.health {
            self.since
        } else {
            now
        };
        ConnectionState {
            health,
            reason,
            since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(health: Health) -> ConnectionState {
        ConnectionState {
            health,
            reason: "before".into(),
            since: 100,
        }
    }

    fn transient() -> Event {
        Event::Transient {
            reason: "Pinterest answered 503.".into(),
        }
    }

    fn rejected() -> Event {
        Event::Rejected {
            reason: "Pinterest refused the refresh token.".into(),
        }
    }

    #[test]
    fn only_active_and_degraded_are_usable() {
        let usable: Vec<Health> = Health::ALL.into_iter().filter(|h| h.usable()).collect();
        assert_eq!(usable, [Health::Active, Health::Degraded]);
    }

    #[test]
    fn transient_trouble_degrades_and_success_restores_never_needing_reauth() {
        let degraded = state(Health::Active).after(&transient(), 200);
        assert_eq!(degraded.health, Health::Degraded);
        assert_eq!(degraded.since, 200);
        assert_eq!(degraded.reason, "Pinterest answered 503.");
        // Still degraded: the reason follows, the since-time stays.
        let again = degraded.after(
            &Event::Transient {
                reason: "Timed out.".into(),
            },
            300,
        );
        assert_eq!(
            (again.health, again.since, again.reason.as_str()),
            (Health::Degraded, 200, "Timed out.")
        );
        let back = again.after(&Event::Succeeded, 400);
        assert_eq!((back.health, back.since), (Health::Active, 400));
        // Success on an active connection keeps its since-time.
        assert_eq!(back.after(&Event::Succeeded, 500).since, 400);
    }

    #[test]
    fn a_confirmed_rejection_needs_reauth_and_only_authorizing_leaves_it() {
        for from in [Health::Active, Health::Degraded] {
            let s = state(from).after(&rejected(), 200);
            assert_eq!(s.health, Health::NeedsReauth, "{from}");
            assert_eq!(s.since, 200);
        }
        let stuck = state(Health::NeedsReauth);
        assert_eq!(stuck.after(&Event::Succeeded, 200), stuck);
        assert_eq!(stuck.after(&transient(), 200), stuck);
        let revived = stuck.after(&Event::Authorized { missing: vec![] }, 300);
        assert_eq!((revived.health, revived.since), (Health::Active, 300));
    }

    #[test]
    fn a_grant_missing_required_scopes_is_insufficient_until_authorized_fully() {
        let s = state(Health::Active).after(
            &Event::Authorized {
                missing: vec!["pins:read".into(), "boards:read".into()],
            },
            200,
        );
        assert_eq!(s.health, Health::InsufficientScope);
        assert!(s.reason.contains("pins:read, boards:read"), "{}", s.reason);
        assert_eq!(s.after(&Event::Succeeded, 300), s);
        assert_eq!(s.after(&rejected(), 300).health, Health::NeedsReauth);
        let fixed = s.after(&Event::Authorized { missing: vec![] }, 400);
        assert_eq!(fixed.health, Health::Active);
    }

    #[test]
    fn probes_confirm_scopes_against_what_the_environment_requires_now() {
        let missing = Event::Verified {
            missing: vec!["boards:write".into()],
        };
        let short = state(Health::Active).after(&missing, 200);
        assert_eq!(
            (short.health, short.since),
            (Health::InsufficientScope, 200)
        );
        assert!(short.reason.contains("boards:write"), "{}", short.reason);
        // The operator dropped the extra scope again: the next probe restores it.
        let ok = short.after(&Event::Verified { missing: vec![] }, 300);
        assert_eq!((ok.health, ok.since), (Health::Active, 300));
        let degraded = state(Health::Degraded).after(&Event::Verified { missing: vec![] }, 300);
        assert_eq!(degraded.health, Health::Active);
        // A refresh token Pinterest refused is not revived by a working access token.
        let stuck = state(Health::NeedsReauth);
        assert_eq!(
            stuck.after(&Event::Verified { missing: vec![] }, 300),
            stuck
        );
        let refused = state(Health::Active).after(
            &Event::ScopeRefused {
                reason: "Pinterest refused for lack of permission.".into(),
            },
            400,
        );
        assert_eq!(refused.health, Health::InsufficientScope);
        assert_eq!(
            state(Health::Revoked).after(&missing, 500).health,
            Health::Revoked
        );
    }

    #[test]
    fn disconnecting_revokes_from_anywhere_and_only_authorizing_revives() {
        for from in Health::ALL {
            let s = state(from).after(
                &Event::Disconnected {
                    by: "ops@acme.test".into(),
                },
                200,
            );
            assert_eq!(s.health, Health::Revoked, "{from}");
            assert!(s.reason.contains("ops@acme.test"));
        }
        let revoked = state(Health::Revoked);
        for event in [Event::Succeeded, transient(), rejected()] {
            assert_eq!(revoked.after(&event, 300), revoked, "{event:?}");
        }
        assert_eq!(
            revoked
                .after(&Event::Authorized { missing: vec![] }, 300)
                .health,
            Health::Active
        );
    }
}
