//! What the environment dashboard shows, as sent to the browser: counts,
//! latencies and times, summed up on the server, so that the charts are plain
//! drawing; and the connections that need attention (never a token).

use domain::shared::Health;
use serde::{Deserialize, Serialize};

use super::{ConnectionCounts, EnvironmentView};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub environment: EnvironmentView,
    /// When it was read, by the server's clock: the charts end here.
    pub now: i64,
    /// The last 30 days, oldest first, today last.
    pub days: Vec<DayView>,
    /// The last 24 hours, oldest first, this (unfinished) hour last.
    pub hours: Vec<HourView>,
    /// Those 24 hours added up (`hour` is the first one's).
    pub totals: HourView,
    /// The connections that need attention, newest trouble first (a few).
    pub attention: Vec<AttentionView>,
    /// How many need attention in all (see `attention_capped`).
    pub attention_total: i64,
    /// More need attention than were counted: `attention_total` or more.
    pub attention_capped: bool,
}

impl DashboardView {
    /// The latest day's count of connections, and when it was taken.
    pub fn latest_counts(&self) -> Option<&DayView> {
        self.days.iter().rev().find(|d| d.counts.is_some())
    }
}

/// One day's connections per state, as the scheduler last counted them that
/// day; `counts` is `None` for a day nobody counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayView {
    /// The day's start, Unix ms (UTC).
    pub day: i64,
    pub counts: Option<ConnectionCounts>,
    /// Connections whose probe saw another Pinterest account.
    pub account_changed: i64,
    /// When they were counted.
    pub counted_at: Option<i64>,
}

/// Pinterest's latency over an hour's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyView {
    pub calls: i64,
    pub average_ms: i64,
    /// The 95th percentile, rounded up to a bound of pinbridge's histogram
    /// (100, 250, 500 ms…): at most this.
    pub p95_ms: i64,
    pub max_ms: i64,
}

/// One hour of the environment's activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourView {
    /// The hour's start, Unix ms (UTC).
    pub hour: i64,
    pub refreshes_ok: i64,
    pub refreshes_failed: i64,
    pub probes_ok: i64,
    pub probes_unauthorized: i64,
    pub probes_missing_scope: i64,
    pub probes_transient: i64,
    pub probes_skipped: i64,
    /// Of refreshes and probes; `None` when none asked Pinterest.
    pub latency: Option<LatencyView>,
    pub api_ok: i64,
    pub api_failed: i64,
    pub tools_ok: i64,
    pub tools_failed: i64,
}

impl HourView {
    /// Probes that found a problem (refused token, missing scope, Pinterest
    /// unavailable).
    pub fn probes_failed(&self) -> i64 {
        self.probes_unauthorized + self.probes_missing_scope + self.probes_transient
    }
}

/// A connection that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionView {
    pub id: String,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub username: String,
    pub state: Health,
    pub reason: String,
    pub since: i64,
    /// A probe saw another Pinterest account than the one connected.
    pub account_changed: bool,
}
