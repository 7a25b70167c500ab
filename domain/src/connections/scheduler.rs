//! The background worker every pinbridge process runs: it claims connections
//! whose refresh or probe is due (by lease, so processes never work on the same
//! connection at once), one at a time per lane, and works on a few at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;

use super::dashboard;
use super::error::ConnectionError;
use super::health::probe_leased;
use super::tokens::{self, Refreshed, refresh_leased};
use crate::Services;
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, ConnectionRow, Due};
use crate::shared::Trigger;

/// Most connections one round works on, per kind.
pub const BATCH: i64 = 200;
/// Connections worked on at once per process.
pub const CONCURRENCY: usize = 16;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub refreshed: usize,
    pub refresh_failed: usize,
    pub probed: usize,
    /// How late the oldest due refresh or probe was when this round claimed
    /// it, in milliseconds; 0 when nothing was due.
    pub lag_ms: i64,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.refreshed + self.refresh_failed + self.probed
    }
}

/// Works through up to `batch` due refreshes, then up to `batch` due probes.
///
/// A connection is claimed by the lane that works on it, just before it does:
/// a lease covers one refresh or probe, never a wait in a queue. (Claiming a
/// whole batch under one lease let the lease lapse while rows still waited,
/// and another process then refreshed them a second time.)
pub async fn run_round(services: &Services, batch: i64) -> Result<Round, ConnectionError> {
    let refreshes = work(services, Due::Refresh, batch).await?;
    let probes = work(services, Due::Probe, batch).await?;
    Ok(Round {
        refreshed: refreshes.ok,
        refresh_failed: refreshes.failed,
        probed: probes.ok + probes.failed,
        lag_ms: refreshes.lag_ms.max(probes.lag_ms),
    })
}

/// What [`work`] did with one kind of due work.
struct Worked {
    ok: usize,
    failed: usize,
    /// How late the oldest claimed connection was when it was claimed.
    lag_ms: i64,
}

/// Claims up to `limit` due connections of `kind` under fresh leases.
async fn claim(
    services: &Services,
    kind: Due,
    owner: &str,
    limit: i64,
) -> Result<Vec<ConnectionRow>, ConnectionError> {
    let now = now_ms();
    let until = now + tokens::lease_ms(services);
    Ok(rows::claim_due(&services.db, kind, owner, now, until, limit).await?)
}

/// Works on up to `budget` due connections of `kind` in up to [`CONCURRENCY`]
/// lanes; answers how many succeeded and how many failed, and how late the
/// first claim found the oldest of them.
async fn work(services: &Services, kind: Due, budget: i64) -> Result<Worked, ConnectionError> {
    let owner = tokens::lease_owner();
    // One claim gives each lane its first connection; when nothing is due, that
    // one statement is the whole round. It takes the longest-due first, so it
    // also tells the lag, without a query of its own.
    let lanes = i64::try_from(CONCURRENCY).unwrap_or(16).min(budget);
    let claimed_at = now_ms();
    let first = claim(services, kind, &owner, lanes).await?;
    let lag_ms = first
        .iter()
        .filter_map(|row| match kind {
            Due::Refresh => row.next_refresh_at,
            Due::Probe => row.next_probe_at,
        })
        .min()
        .map_or(0, |due| (claimed_at - due).max(0));
    let remaining = Arc::new(AtomicI64::new(budget - first.len() as i64));
    let mut set = JoinSet::new();
    for row in first {
        let services = services.clone();
        let owner = owner.clone();
        let remaining = remaining.clone();
        set.spawn(async move {
            let (mut ok, mut failed) = (0, 0);
            let mut next = Some(row);
            while let Some(row) = next.take() {
                match one(&services, &row, kind).await {
                    Ok(true) => ok += 1,
                    Ok(false) => failed += 1,
                    Err(e) => {
                        failed += 1;
                        tracing::warn!(error = %e, ?kind, "scheduled work failed");
                    }
                }
                if remaining.fetch_sub(1, Ordering::AcqRel) <= 0 {
                    break;
                }
                match claim(&services, kind, &owner, 1).await {
                    Ok(mut rows) => next = rows.pop(),
                    Err(e) => tracing::warn!(error = %e, "could not claim due work"),
                }
            }
            (ok, failed)
        });
    }
    let mut worked = Worked {
        ok: 0,
        failed: 0,
        lag_ms,
    };
    while let Some(done) = set.join_next().await {
        match done {
            Ok((o, f)) => {
                worked.ok += o;
                worked.failed += f;
            }
            Err(e) => tracing::error!(error = %e, "a scheduler lane stopped"),
        }
    }
    Ok(worked)
}

/// Refreshes or probes one claimed connection; answers whether a refresh
/// stored tokens (a probe that ran counts as done).
async fn one(services: &Services, row: &ConnectionRow, kind: Due) -> Result<bool, ConnectionError> {
    match kind {
        Due::Refresh => {
            let outcome = refresh_leased(services, row, Trigger::Scheduled).await;
            rows::release(&services.db, &row.id, row.lease_fence).await?;
            Ok(matches!(outcome?, Refreshed::Stored))
        }
        Due::Probe => {
            probe_leased(services, row, Trigger::Scheduled).await?;
            Ok(true)
        }
    }
}

/// Runs rounds forever: straight on while there is a full batch of work, else
/// every `interval`. Also counts connections per state for the dashboard once
/// a minute (and when it starts), and sweeps old OAuth states and old
/// dashboard rows once an hour.
pub async fn run(services: Services, interval: Duration) {
    let mut last_sweep = std::time::Instant::now();
    let mut last_count: Option<std::time::Instant> = None;
    loop {
        let count_every = Duration::from_millis(dashboard::SNAPSHOT_EVERY_MS as u64);
        if last_count.is_none_or(|at| at.elapsed() >= count_every) {
            last_count = Some(std::time::Instant::now());
            if let Err(e) = dashboard::snapshot(&services.db, now_ms()).await {
                tracing::warn!(error = %e, "could not count connections for the dashboard");
            }
        }
        let busy = match run_round(&services, BATCH).await {
            Ok(round) => {
                crate::metrics::scheduler_lag(round.lag_ms);
                if round.claimed() > 0 {
                    tracing::debug!(?round, "scheduler round");
                }
                round.claimed() as i64 >= BATCH
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduler round failed");
                false
            }
        };
        if last_sweep.elapsed() > Duration::from_secs(3600) {
            last_sweep = std::time::Instant::now();
            if let Err(e) = super::handshake::sweep_states(&services).await {
                tracing::warn!(error = %e, "could not remove old OAuth states");
            }
            if let Err(e) = dashboard::prune(&services.db, now_ms()).await {
                tracing::warn!(error = %e, "could not remove old dashboard rows");
            }
        }
        if !busy {
            tokio::time::sleep(interval).await;
        }
    }
}
