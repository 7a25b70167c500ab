//! Health probes: what one found, and why it (or a refresh) ran.

closed_set! {
    /// What a probe of `GET /v5/user_account` found.
    pub enum ProbeOutcome {
        /// Pinterest accepted the token and showed the account.
        Ok = "ok",
        /// Pinterest refused the token (401), also after one refresh.
        Unauthorized = "unauthorized",
        /// Pinterest refused the call for lack of a scope.
        MissingScope = "missing_scope",
        /// No verdict: 5xx, 429, a timeout or a network error.
        Transient = "transient",
        /// Not made: the integration is disabled or not configured.
        Skipped = "skipped",
    }
}

impl ProbeOutcome {
    /// The words pages use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Unauthorized => "unauthorized",
            Self::MissingScope => "missing scope",
            Self::Transient => "transient",
            Self::Skipped => "skipped",
        }
    }
}

closed_set! {
    /// Why a probe or a refresh ran (stored with probes and in audit details).
    pub enum Trigger {
        /// The scheduler, because it was due.
        Scheduled = "scheduled",
        /// An operator pressed Check now or Refresh now.
        Operator = "operator",
        /// A caller needed a fresh access token.
        OnDemand = "on_demand",
        /// A probe's call was refused with 401: one refresh before judging.
        After401 = "after_401",
    }
}

impl Trigger {
    /// The words pages use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Operator => "operator",
            Self::OnDemand => "on demand",
            Self::After401 => "after a 401",
        }
    }
}
