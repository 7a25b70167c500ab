//! What the Pinterest settings page shows, as sent to the browser. Nothing
//! here ever holds the App secret key: only its fingerprint.

use domain::shared::{CheckOutcome, PinterestApi};
use serde::{Deserialize, Serialize};

use super::EnvironmentView;

/// The page: the environment, what it needs to show the guide, and the settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinterestPageView {
    pub environment: EnvironmentView,
    /// The same state the Integrations card shows.
    pub state: super::IntegrationState,
    pub can_configure: bool,
    /// The exact redirect URI to register with Pinterest.
    pub redirect_uri: String,
    /// Why Pinterest would refuse that URI for a production app (http, loopback).
    pub redirect_warnings: Vec<String>,
    /// The configured base URLs, shown next to the two choices.
    pub production_api_url: String,
    pub sandbox_api_url: String,
    pub scope_groups: Vec<ScopeGroupView>,
    /// `None` until Pinterest is configured in this environment.
    pub settings: Option<PinterestSettingsView>,
    pub connections: super::ConnectionCounts,
    /// What a form sent without JavaScript said just before this page load.
    pub notices: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeGroupView {
    pub label: String,
    pub scopes: Vec<ScopeOptionView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeOptionView {
    pub name: String,
    pub description: String,
    /// One of the three every configuration has; shown checked and locked.
    pub minimum: bool,
    /// A write or secret scope: needs the matching access on the Pinterest app.
    pub needs_app_access: bool,
    /// In the stored configuration (or, before there is one, the minimum).
    pub selected: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinterestSettingsView {
    pub client_id: String,
    /// The secret's last four characters, as `…abcd`.
    pub secret_fingerprint: String,
    pub secret_set_by: String,
    pub secret_set_at: i64,
    pub scopes: Vec<String>,
    pub api: PinterestApi,
    pub enabled: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub last_check: Option<CredentialCheckView>,
}

/// The status pill's style for a check's outcome.
pub fn check_class(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::Accepted => "status status-ok",
        CheckOutcome::Rejected => "status status-bad",
        CheckOutcome::Failed => "status status-warn",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialCheckView {
    pub outcome: CheckOutcome,
    pub at: i64,
    pub by: String,
    pub http_status: Option<u16>,
    pub latency_ms: Option<i64>,
    /// pinbridge's conclusion.
    pub summary: String,
    /// Pinterest's own message, if it sent one.
    pub message: Option<String>,
}

/// The answer to a save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinterestSaved {
    pub settings: PinterestSettingsView,
    /// What to tell the person (saved, unchanged, secret trimmed…).
    pub notices: Vec<String>,
}
