//! Webhooks: which events an endpoint receives, and how a delivery stands.

closed_set! {
    /// What happened to a connection, as its webhook event's `type`.
    pub enum WebhookEventType {
        /// An end user connected Pinterest for the first time.
        ConnectionCreated = "connection.created",
        /// An end user who was connected authorized again (same connection id).
        ConnectionReauthorized = "connection.reauthorized",
        /// The connection's state changed (old and new state, and why),
        /// including recovery to `active`.
        ConnectionStateChanged = "connection.state_changed",
        /// Pinterest now answers for a different account than the one connected.
        ConnectionAccountChanged = "connection.account_changed",
        /// The connection was disconnected: pinbridge deleted its tokens.
        ConnectionDisconnected = "connection.disconnected",
        /// Refreshing the tokens failed for good: Pinterest refused the refresh
        /// token, or transient failures went on past the backoff.
        ConnectionRefreshFailed = "connection.refresh_failed",
        /// Sent by "Send test event" to one endpoint; nobody subscribes to it.
        Test = "webhook.test",
        /// The audit stream: every audit record of the endpoint's environment
        /// and of its workspace, as it is written. The subscription is
        /// `audit.*`; each event's `type` is `audit.` and the record's action
        /// (`audit.environment.promoted`, …).
        Audit = "audit.*",
    }
}

impl WebhookEventType {
    /// The types an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [WebhookEventType; 7] = [
        Self::ConnectionCreated,
        Self::ConnectionReauthorized,
        Self::ConnectionStateChanged,
        Self::ConnectionAccountChanged,
        Self::ConnectionDisconnected,
        Self::ConnectionRefreshFailed,
        Self::Audit,
    ];

    /// A few words for people (the portal's checkboxes and tables).
    pub fn label(self) -> &'static str {
        match self {
            Self::ConnectionCreated => "Connection created",
            Self::ConnectionReauthorized => "Connection re-authorized",
            Self::ConnectionStateChanged => "State changed",
            Self::ConnectionAccountChanged => "Account changed",
            Self::ConnectionDisconnected => "Disconnected",
            Self::ConnectionRefreshFailed => "Refresh failed",
            Self::Test => "Test event",
            Self::Audit => "Audit log (audit.*)",
        }
    }

    /// The stored form (`join`) read back; unknown names are skipped.
    pub fn split(stored: &str) -> Vec<WebhookEventType> {
        stored.split_whitespace().filter_map(Self::parse).collect()
    }
}

closed_set! {
    /// Where one delivery of one event to one endpoint stands.
    pub enum DeliveryStatus {
        /// Not delivered yet: due now, waiting to retry, or waiting for an
        /// earlier event of the same connection.
        Pending = "pending",
        /// The receiver answered 2xx.
        Succeeded = "succeeded",
        /// Given up: retried past the retry window, or the receiver answered
        /// 410 Gone.
        Failed = "failed",
    }
}

impl DeliveryStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Succeeded => "Delivered",
            Self::Failed => "Failed",
        }
    }
}
