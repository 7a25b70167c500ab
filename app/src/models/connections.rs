//! What the Connections pages show, as sent to the browser. Nothing here ever
//! holds a token: only states, accounts, scopes and times.

use domain::shared::{Health, ProbeOutcome, Trigger};
use serde::{Deserialize, Serialize};

use super::EnvironmentView;

/// The status badge class for a state.
pub fn state_class(state: Health) -> &'static str {
    match state {
        Health::Active => "status status-ok",
        Health::Degraded | Health::InsufficientScope => "status status-warn",
        Health::NeedsReauth => "status status-bad",
        Health::Revoked => "status status-off",
    }
}

/// How many connections there are in each state (every state, zeros included).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCounts {
    /// `(state, count)` in [`Health::ALL`] order.
    pub by_state: Vec<(Health, i64)>,
}

impl ConnectionCounts {
    pub fn total(&self) -> i64 {
        self.by_state.iter().map(|(_, n)| n).sum()
    }

    pub fn get(&self, state: Health) -> i64 {
        self.by_state
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }

    /// "3 connections: 2 active, 1 needs re-authorization" (or "No connections").
    pub fn summary(&self) -> String {
        let total = self.total();
        if total == 0 {
            return "No connections".to_owned();
        }
        let parts: Vec<String> = self
            .by_state
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.label().to_lowercase()))
            .collect();
        let noun = if total == 1 {
            "connection"
        } else {
            "connections"
        };
        format!("{total} {noun}: {}", parts.join(", "))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRowView {
    pub id: String,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub username: String,
    pub account_type: String,
    pub state: Health,
    pub reason: String,
    pub since: i64,
    pub last_probe_at: Option<i64>,
    pub account_changed: bool,
}

/// The latest "Check all" and its progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAllView {
    pub started_by: String,
    pub started_at: i64,
    pub total: i64,
    pub done: i64,
}

impl CheckAllView {
    pub fn finished(&self) -> bool {
        self.done >= self.total
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsPageView {
    pub environment: EnvironmentView,
    pub can_configure: bool,
    /// Whether links can be made (Pinterest configured and enabled here).
    pub integration_ready: bool,
    pub counts: ConnectionCounts,
    pub rows: Vec<ConnectionRowView>,
    /// How many connections match the filter (all pages).
    pub matching: MatchCount,
    /// The cursor of the next older page (`after=`), if there is one.
    pub older: Option<String>,
    /// The cursor of the next newer page (`before=`), if there is one.
    pub newer: Option<String>,
    /// A search that read this many connections (its limit) without filling
    /// the page: the Older (or Newer) link goes on searching.
    pub search_stopped: Option<i64>,
    pub page_size: i64,
    pub filter_state: Option<Health>,
    pub search: String,
    pub check_all: Option<CheckAllView>,
    pub return_origins: Vec<String>,
    /// A link made by a form sent without JavaScript, shown once.
    pub issued_link: Option<IssuedConnectLink>,
    pub notices: Vec<String>,
}

/// How many connections match the list's filter and search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchCount {
    Exactly(i64),
    /// A search that matches more than this many (not counted further).
    MoreThan(i64),
    /// A search in one state that matches too many to count.
    Uncounted,
}

impl MatchCount {
    /// "1 connection", "25 connections", "more than 1000 connections match".
    pub fn describe(self) -> String {
        match self {
            Self::Exactly(1) => "1 connection".to_owned(),
            Self::Exactly(n) => format!("{n} connections"),
            Self::MoreThan(n) => format!("more than {n} connections"),
            Self::Uncounted => "many connections".to_owned(),
        }
    }
}

/// A link just made: shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedConnectLink {
    pub url: String,
    pub end_user_id: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeView {
    pub at: i64,
    pub trigger: Trigger,
    pub outcome: ProbeOutcome,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub username: Option<String>,
    pub account_changed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeCompareView {
    pub name: String,
    pub required: bool,
    pub granted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDetailView {
    pub environment: EnvironmentView,
    pub can_configure: bool,
    pub row: ConnectionRowView,
    pub account_id: String,
    pub account_mismatch: Option<String>,
    pub scopes: Vec<ScopeCompareView>,
    pub created_at: i64,
    pub authorized_at: i64,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub last_refresh_at: Option<i64>,
    pub refresh_count: i64,
    pub next_refresh_at: Option<i64>,
    pub last_refresh_error: Option<String>,
    pub next_probe_at: Option<i64>,
    /// Newest first.
    pub probes: Vec<ProbeView>,
    /// Where applications call pinbridge's API (`{public_url}`).
    pub api_base: String,
    /// What each API key did with this connection, latest first.
    pub api_calls: Vec<super::ApiCallsView>,
    /// Agents' latest tool calls acting for this connection, newest first.
    pub tool_calls: Vec<super::ToolCallView>,
    pub notices: Vec<String>,
}
