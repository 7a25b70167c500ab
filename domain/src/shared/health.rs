//! A connection's health: the five states of the state machine in
//! `connections::state`.

closed_set! {
    /// Where a connection stands. Display order is declaration order.
    pub enum Health {
        Active = "active",
        /// Transient trouble: Pinterest 5xx, timeouts, 429.
        Degraded = "degraded",
        /// A refresh rejected, or a token Pinterest no longer accepts.
        NeedsReauth = "needs_reauth",
        /// The grant lacks a scope the environment requires.
        InsufficientScope = "insufficient_scope",
        /// Disconnected: our copy of the tokens is deleted.
        Revoked = "revoked",
    }
}

impl Health {
    /// Whether pinbridge may use the connection's tokens at all.
    pub fn usable(self) -> bool {
        matches!(self, Health::Active | Health::Degraded)
    }

    /// The words pages use for it.
    pub fn label(self) -> &'static str {
        match self {
            Health::Active => "Active",
            Health::Degraded => "Degraded",
            Health::NeedsReauth => "Needs re-authorization",
            Health::InsufficientScope => "Missing scopes",
            Health::Revoked => "Disconnected",
        }
    }
}
