//! The environment dashboard: connections per state over the last 30 days,
//! refreshes, probes, API answers and agent tool calls per hour over the last
//! day, Pinterest's latency, and the connections that need attention.
//!
//! Nothing here scans history when a page loads. Each event adds itself to
//! its environment's hour where it happens ([`refreshed_tx`], [`probed_tx`] in
//! the transaction that records it; API answers and tool calls when the
//! process flushes what it counted), and the scheduler counts connections per
//! state once a minute into the day's row ([`snapshot`]) and prunes old rows
//! ([`prune`]). A load ([`load`]) reads 24 hour rows, 30 day rows, a few
//! connections through a partial index, and a bounded count of them.

use std::collections::BTreeMap;

use super::error::ConnectionError;
use crate::accounts::{Actor, EnvironmentId};
use crate::db::repo::agent::ToolCallRecord;
use crate::db::repo::connections as connection_rows;
use crate::db::repo::dashboard as rows;
pub use crate::db::repo::dashboard::{AttentionRow, DayRow, HourRow, LATENCY_BOUNDS_MS};
use crate::db::repo::environments;
use crate::db::tx::Tx;
use crate::db::{Db, DbError};
use crate::shared::{ProbeOutcome, ToolOutcome};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Hours the hourly charts show: the last day, this (unfinished) hour last.
pub const HOURS: i64 = 24;
/// Days the state chart shows, today last.
pub const DAYS: i64 = 30;
/// How long the aggregates are kept: the charts' 30 days and some margin.
pub const KEPT_MS: i64 = 35 * DAY_MS;
/// Connections needing attention the dashboard lists (the newest trouble).
pub const ATTENTION_LISTED: i64 = 10;
/// Connections needing attention counted at most ("10000 or more").
pub const ATTENTION_CAP: i64 = 10_000;
/// How often each process counts connections per state into today's row.
pub const SNAPSHOT_EVERY_MS: i64 = 60_000;

/// The start of the hour `ms` falls in (UTC).
pub fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}

/// The start of the day `ms` falls in (UTC).
pub fn day_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

/// Pinterest's latency over some calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    pub calls: i64,
    pub average_ms: i64,
    /// The 95th percentile, rounded up to its histogram bucket's bound (and
    /// never above the slowest call): at most this.
    pub p95_ms: i64,
    pub max_ms: i64,
}

/// The latency of an hour's (or a sum of hours') calls; `None` without calls.
pub fn latency(h: &HourRow) -> Option<Latency> {
    if h.latency_count <= 0 {
        return None;
    }
    // The rank of the 95th percentile: 95 % of the calls, rounded up.
    let rank = (h.latency_count * 95 + 99) / 100;
    let mut seen = 0;
    let mut p95 = h.latency_max_ms;
    for (bound, n) in LATENCY_BOUNDS_MS.iter().zip(h.latency_buckets()) {
        seen += n;
        if seen >= rank {
            p95 = (*bound).min(h.latency_max_ms);
            break;
        }
    }
    Some(Latency {
        calls: h.latency_count,
        average_ms: h.latency_sum_ms / h.latency_count,
        p95_ms: p95,
        max_ms: h.latency_max_ms,
    })
}

/// A day of the state chart: its counts, or `None` when nobody counted that
/// day (pinbridge was not running, or the environment did not exist yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    pub day: i64,
    pub counts: Option<DayRow>,
}

/// What the dashboard shows of one environment.
#[derive(Clone, Debug)]
pub struct Dashboard {
    /// When it was read (the charts end here).
    pub now: i64,
    /// The last [`HOURS`] hours, oldest first, every hour present (zeros
    /// when nothing happened).
    pub hours: Vec<HourRow>,
    /// The last [`DAYS`] days, oldest first.
    pub days: Vec<Day>,
    /// The connections that need attention, newest trouble first, at most
    /// [`ATTENTION_LISTED`].
    pub attention: Vec<AttentionRow>,
    /// How many need attention, counted up to [`ATTENTION_CAP`].
    pub attention_total: i64,
}

impl Dashboard {
    /// The hours added up.
    pub fn day_total(&self) -> HourRow {
        self.hours
            .iter()
            .fold(HourRow::default(), |sum, h| sum.plus(h))
    }

    /// The latest count of connections per state (today's, unless the
    /// scheduler has not counted yet today).
    pub fn latest_counts(&self) -> Option<DayRow> {
        self.days.iter().rev().find_map(|d| d.counts)
    }

    /// Whether more connections need attention than were counted.
    pub fn attention_capped(&self) -> bool {
        self.attention_total >= ATTENTION_CAP
    }
}

/// The dashboard of an environment of the actor's workspace (any member may
/// read it); another workspace's environment is `NotFound`.
pub async fn load(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    now: i64,
) -> Result<Dashboard, ConnectionError> {
    let ws = actor.workspace_id();
    environments::find(db, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let last_hour = hour_of(now);
    let first_hour = last_hour - (HOURS - 1) * HOUR_MS;
    let stored: BTreeMap<i64, HourRow> = rows::hours(db, environment_id, first_hour, last_hour)
        .await?
        .into_iter()
        .map(|h| (h.hour, h))
        .collect();
    let hours = (0..HOURS)
        .map(|i| first_hour + i * HOUR_MS)
        .map(|hour| {
            stored.get(&hour).copied().unwrap_or(HourRow {
                hour,
                ..HourRow::default()
            })
        })
        .collect();
    let today = day_of(now);
    let first_day = today - (DAYS - 1) * DAY_MS;
    let counted: BTreeMap<i64, DayRow> = rows::days(db, environment_id, first_day, today)
        .await?
        .into_iter()
        .map(|d| (d.day, d))
        .collect();
    let days = (0..DAYS)
        .map(|i| first_day + i * DAY_MS)
        .map(|day| Day {
            day,
            counts: counted.get(&day).copied(),
        })
        .collect();
    let attention = rows::attention(db, ws, environment_id, ATTENTION_LISTED).await?;
    let attention_total = if (attention.len() as i64) < ATTENTION_LISTED {
        // All of them are listed: no need to count.
        attention.len() as i64
    } else {
        rows::attention_count(db, ws, environment_id, ATTENTION_CAP).await?
    };
    Ok(Dashboard {
        now,
        hours,
        days,
        attention,
        attention_total,
    })
}

// ---------------------------------------------------------------- recording

/// Adds a refresh that got Pinterest's answer (or its silence) to its hour:
/// `stored` says whether new tokens came of it. In the transaction that
/// records the refresh, so the count and the refresh stand or fall together.
pub(crate) async fn refreshed_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    stored: bool,
    latency_ms: i64,
    now: i64,
) -> Result<(), DbError> {
    let delta = HourRow {
        hour: hour_of(now),
        refreshes_ok: i64::from(stored),
        refreshes_failed: i64::from(!stored),
        ..HourRow::default()
    }
    .with_latency(latency_ms);
    rows::add_tx(tx, environment_id, &delta).await
}

/// Adds a recorded probe to its hour, in the transaction that records it. A
/// skipped probe asked Pinterest nothing: it has no latency.
pub(crate) async fn probed_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    outcome: ProbeOutcome,
    latency_ms: i64,
    now: i64,
) -> Result<(), DbError> {
    let mut delta = HourRow {
        hour: hour_of(now),
        ..HourRow::default()
    };
    match outcome {
        ProbeOutcome::Ok => delta.probes_ok = 1,
        ProbeOutcome::Unauthorized => delta.probes_unauthorized = 1,
        ProbeOutcome::MissingScope => delta.probes_missing_scope = 1,
        ProbeOutcome::Transient => delta.probes_transient = 1,
        ProbeOutcome::Skipped => delta.probes_skipped = 1,
    }
    if outcome != ProbeOutcome::Skipped {
        delta = delta.with_latency(latency_ms);
    }
    rows::add_tx(tx, environment_id, &delta).await
}

/// Adds `/v1` answers an environment's keys got in `hour`, as a process
/// flushes what it counted.
pub(crate) async fn api_answers(
    db: &Db,
    environment_id: &EnvironmentId,
    hour: i64,
    ok: i64,
    failed: i64,
) -> Result<(), DbError> {
    let delta = HourRow {
        hour,
        api_ok: ok,
        api_failed: failed,
        ..HourRow::default()
    };
    rows::add(db, environment_id, &delta).await
}

/// Adds tool calls to their environments' hours, in the transaction that
/// writes them: one statement per environment and hour, however many calls.
pub(crate) async fn tool_calls_tx(tx: &mut Tx, calls: &[ToolCallRecord]) -> Result<(), DbError> {
    let mut by_hour: BTreeMap<(&EnvironmentId, i64), HourRow> = BTreeMap::new();
    for c in calls {
        let hour = hour_of(c.at);
        let delta = by_hour.entry((&c.environment_id, hour)).or_insert(HourRow {
            hour,
            ..HourRow::default()
        });
        if c.outcome == ToolOutcome::Ok {
            delta.tools_ok += 1;
        } else {
            delta.tools_failed += 1;
        }
    }
    for ((environment_id, _), delta) in &by_hour {
        rows::add_tx(tx, environment_id, delta).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- upkeep

/// Counts every environment's connections per state into today's row (a
/// later count the same day replaces it, so a past day keeps its last
/// count). Environments without connections get a row of zeros, so that a
/// day counted is told from a day not counted. Answers how many environments.
pub async fn snapshot(db: &Db, now: i64) -> Result<usize, DbError> {
    let day = day_of(now);
    let empty = DayRow {
        day,
        taken_at: now,
        ..DayRow::default()
    };
    let mut counts: BTreeMap<EnvironmentId, DayRow> = rows::environment_ids(db)
        .await?
        .into_iter()
        .map(|id| (id, empty))
        .collect();
    // One pass over the `(environment_id, health)` index.
    for (environment, health, n) in connection_rows::count_by_environment(db).await? {
        counts.entry(environment).or_insert(empty).set(health, n);
    }
    // The few with another account, through the attention index.
    for (environment, n) in rows::count_changed_accounts(db).await? {
        counts.entry(environment).or_insert(empty).account_changed = n;
    }
    let mut tx = db.begin().await?;
    for (environment, row) in &counts {
        rows::put_day_tx(&mut tx, environment, row).await?;
    }
    tx.commit().await?;
    Ok(counts.len())
}

/// Forgets hours and days older than [`KEPT_MS`]; answers how many rows.
pub async fn prune(db: &Db, now: i64) -> Result<u64, DbError> {
    rows::prune(db, hour_of(now - KEPT_MS), day_of(now - KEPT_MS)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_days_start_on_the_utc_boundary() {
        // 2026-11-28T17:02:59.999Z
        let t = 1_795_885_379_999;
        assert_eq!(hour_of(t), 1_795_885_200_000);
        assert_eq!(day_of(t), 1_795_824_000_000);
        assert_eq!(hour_of(hour_of(t)), hour_of(t));
    }

    #[test]
    fn the_95th_percentile_is_its_buckets_bound_and_never_above_the_slowest() {
        assert_eq!(latency(&HourRow::default()), None);
        // 19 fast calls and one slow: the 95th is still fast.
        let mut h = HourRow::default();
        for _ in 0..19 {
            h = h.with_latency(40);
        }
        let h = h.with_latency(3000);
        let l = latency(&h).unwrap();
        assert_eq!((l.calls, l.p95_ms, l.max_ms), (20, 100, 3000));
        assert_eq!(l.average_ms, (19 * 40 + 3000) / 20);
        // All fast: no more than the slowest call.
        let l = latency(&HourRow::default().with_latency(30).with_latency(45)).unwrap();
        assert_eq!(l.p95_ms, 45);
        // Slower than every bucket: the slowest call.
        let l = latency(&HourRow::default().with_latency(9000)).unwrap();
        assert_eq!(l.p95_ms, 9000);
        // 2 of 20 slow (10 %): the 95th is among them.
        let mut h = HourRow::default();
        for _ in 0..18 {
            h = h.with_latency(80);
        }
        let h = h.with_latency(700).with_latency(800);
        assert_eq!(latency(&h).unwrap().p95_ms, 800);
    }
}
