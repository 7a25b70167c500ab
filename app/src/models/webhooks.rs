//! What the Webhooks pages show, as sent to the browser. An endpoint's signing
//! secret appears only in [`IssuedSecret`], in the one answer that made it
//! (or the one page load after a form sent without JavaScript).

use std::fmt;

use domain::shared::{DeliveryStatus, WebhookEventType};
use serde::{Deserialize, Serialize};

use super::EnvironmentView;

/// How an endpoint stands, for its badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointState {
    Enabled,
    /// Enabled, but a delivery was given up: something needs a look.
    Flagged,
    Disabled,
}

impl EndpointState {
    /// A short name, for `data-state` and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Flagged => "flagged",
            Self::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Flagged => "Failing",
            Self::Disabled => "Disabled",
        }
    }

    /// The status badge class.
    pub fn class(self) -> &'static str {
        match self {
            Self::Enabled => "status status-ok",
            Self::Flagged => "status status-bad",
            Self::Disabled => "status status-off",
        }
    }
}

/// One endpoint as listed, with its deliveries still to go and given up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub event_types: Vec<WebhookEventType>,
    pub enabled: bool,
    /// Why pinbridge switched it off (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    pub flagged_at: Option<i64>,
    pub flag_reason: Option<String>,
    /// Until when the secret it replaced still signs beside the current one.
    pub previous_secret_until: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub pending: i64,
    pub failed: i64,
}

impl EndpointView {
    pub fn state(&self) -> EndpointState {
        match (self.enabled, self.flagged_at) {
            (false, _) => EndpointState::Disabled,
            (true, Some(_)) => EndpointState::Flagged,
            (true, None) => EndpointState::Enabled,
        }
    }

    /// What a person calls it: its description, else its URL.
    pub fn title(&self) -> String {
        if self.description.is_empty() {
            self.url.clone()
        } else {
            self.description.clone()
        }
    }
}

/// What the endpoint form needs to say its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointLimits {
    /// Endpoints one environment may have.
    pub endpoints_max: i64,
    /// Characters a description may have.
    pub description_max: u32,
    /// The installation lets endpoints be loopback or private addresses (and
    /// plain http to them).
    pub allow_private: bool,
}

/// The Webhooks page of one environment (admins and owners only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksPageView {
    pub environment: EnvironmentView,
    /// Oldest first, as they were added.
    pub endpoints: Vec<EndpointView>,
    pub limits: EndpointLimits,
    /// A secret made by a form sent without JavaScript, shown on this page load only.
    pub issued: Option<IssuedSecret>,
    pub notices: Vec<String>,
}

/// One delivery of one event to the endpoint, as its log shows it. The
/// excerpt is the receiver's text: shown as text, never as markup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub event_id: String,
    pub event_type: WebhookEventType,
    pub connection_id: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    /// The receiver's HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed without an answer (timeout, refused…).
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub response_excerpt: Option<String>,
    pub created_at: i64,
}

/// The status class of a delivery's badge.
pub fn delivery_class(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "status status-warn",
        DeliveryStatus::Succeeded => "status status-ok",
        DeliveryStatus::Failed => "status status-bad",
    }
}

/// One endpoint's page: its settings and a page of its delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPageView {
    pub environment: EnvironmentView,
    pub endpoint: EndpointView,
    pub limits: EndpointLimits,
    /// Newest first, at most a page.
    pub deliveries: Vec<DeliveryView>,
    /// The log shows only deliveries of this status.
    pub status: Option<DeliveryStatus>,
    /// Paging on: the cursor of the page after this one.
    pub next: Option<String>,
    /// This is not the log's first page.
    pub paged: bool,
    /// The server's clock when the page was made ("next retry in…").
    pub now: i64,
    /// A secret made by a form sent without JavaScript, shown on this page load only.
    pub issued: Option<IssuedSecret>,
    pub notices: Vec<String>,
}

/// A signing secret just made, by "Add endpoint" or "Rotate secret": the
/// only time it is shown. Its `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSecret {
    pub endpoint_id: String,
    pub url: String,
    /// `whsec_…` (empty in the redirect that answers a form sent without
    /// JavaScript: the page it leads to shows the secret).
    pub secret: String,
    /// After a rotation: until when the old secret keeps signing too.
    pub previous_until: Option<i64>,
}

impl fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedSecret")
            .field("endpoint_id", &self.endpoint_id)
            .field("url", &self.url)
            .field("secret", &"whsec_…")
            .field("previous_until", &self.previous_until)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_secret_never_shows_itself_in_debug() {
        let issued = IssuedSecret {
            endpoint_id: "e".into(),
            url: "https://hooks.example/in".into(),
            secret: "whsec_SECRETSECRET".into(),
            previous_until: None,
        };
        let text = format!("{issued:?}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn a_switched_off_endpoint_is_disabled_even_when_flagged() {
        let mut e = EndpointView {
            id: "e".into(),
            url: "https://hooks.example/in".into(),
            description: String::new(),
            event_types: vec![WebhookEventType::ConnectionCreated],
            enabled: true,
            disabled_reason: None,
            flagged_at: None,
            flag_reason: None,
            previous_secret_until: None,
            created_by: "o".into(),
            created_at: 0,
            pending: 0,
            failed: 0,
        };
        assert_eq!(e.state(), EndpointState::Enabled);
        assert_eq!(e.title(), "https://hooks.example/in");
        e.flagged_at = Some(1);
        assert_eq!(e.state(), EndpointState::Flagged);
        e.enabled = false;
        assert_eq!(e.state(), EndpointState::Disabled);
    }
}
