//! The Pinterest settings' closed sets: which API an environment uses, and
//! what a credential check concluded.

closed_set! {
    /// Which Pinterest API an environment's connections use. Only these two: the
    /// base URLs are pinbridge's configuration, never typed into the portal, so an
    /// operator cannot point pinbridge's server at another host.
    pub enum PinterestApi {
        Production = "production",
        /// Pinterest's API sandbox: where Trial-access apps must create pins.
        Sandbox = "sandbox",
    }
}

closed_set! {
    /// What "Check credentials" concluded.
    pub enum CheckOutcome {
        /// Pinterest accepted the App id and secret.
        Accepted = "accepted",
        /// Pinterest refused them (401).
        Rejected = "rejected",
        /// No answer about the credentials: timeout, network error, 5xx, 429…
        Failed = "failed",
    }
}

impl PinterestApi {
    pub fn label(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Sandbox => "Sandbox",
        }
    }
}

impl CheckOutcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "Credentials accepted",
            Self::Rejected => "Credentials rejected",
            Self::Failed => "Check failed",
        }
    }
}
