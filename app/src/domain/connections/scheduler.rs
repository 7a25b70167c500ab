//! The background worker every pinbridge process runs: it claims connections
//! whose refresh or probe is due (by lease, so processes never work on the same
//! connection at once) and works through them a few at a time.

use std::time::Duration;

use super::error::ConnectionError;
use super::health::probe_leased;
use super::tokens::{self, Refreshed, refresh_leased};
use crate::domain::db::now_ms;
use crate::domain::db::repo::connections::{self as rows, ConnectionRow, Due};
use crate::domain::state::AppState;

/// Connections claimed per round.
pub const BATCH: i64 = 200;
/// Connections worked on at once per process.
pub const CONCURRENCY: usize = 16;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub refreshed: usize,
    pub refresh_failed: usize,
    pub probed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.refreshed + self.refresh_failed + self.probed
    }
}

/// Claims and works through one batch of due refreshes, then one of due probes.
pub async fn run_round(state: &AppState, batch: i64) -> Result<Round, ConnectionError> {
    let owner = tokens::lease_owner();
    let mut round = Round::default();
    let now = now_ms();
    let until = now + tokens::lease_ms(state);
    let due = rows::claim_due(&state.db, Due::Refresh, &owner, now, until, batch).await?;
    for outcome in work(state, due, Due::Refresh).await {
        match outcome {
            Ok(true) => round.refreshed += 1,
            Ok(false) => round.refresh_failed += 1,
            Err(e) => {
                round.refresh_failed += 1;
                tracing::warn!(error = %e, "scheduled refresh failed");
            }
        }
    }
    let now = now_ms();
    let until = now + tokens::lease_ms(state);
    let due = rows::claim_due(&state.db, Due::Probe, &owner, now, until, batch).await?;
    for outcome in work(state, due, Due::Probe).await {
        round.probed += 1;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "scheduled probe failed");
        }
    }
    Ok(round)
}

/// Runs `due` on up to [`CONCURRENCY`] tasks; each result says whether the
/// refresh stored tokens (probes always say true).
async fn work(
    state: &AppState,
    due: Vec<ConnectionRow>,
    kind: Due,
) -> Vec<Result<bool, ConnectionError>> {
    if due.is_empty() {
        return Vec::new();
    }
    let lanes = CONCURRENCY.min(due.len());
    let mut chunks: Vec<Vec<ConnectionRow>> = vec![Vec::new(); lanes];
    for (i, row) in due.into_iter().enumerate() {
        chunks[i % lanes].push(row);
    }
    let mut set = tokio::task::JoinSet::new();
    for chunk in chunks {
        let state = state.clone();
        set.spawn(async move {
            let mut out = Vec::with_capacity(chunk.len());
            for row in chunk {
                out.push(one(&state, &row, kind).await);
            }
            out
        });
    }
    let mut results = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(mut r) => results.append(&mut r),
            Err(e) => tracing::error!(error = %e, "a scheduler task stopped"),
        }
    }
    results
}

async fn one(state: &AppState, row: &ConnectionRow, kind: Due) -> Result<bool, ConnectionError> {
    match kind {
        Due::Refresh => {
            let outcome = refresh_leased(state, row, "scheduled").await;
            rows::release(&state.db, &row.id, row.lease_fence).await?;
            Ok(matches!(outcome?, Refreshed::Stored))
        }
        Due::Probe => {
            probe_leased(state, row, "scheduled").await?;
            Ok(true)
        }
    }
}

/// Runs rounds forever: straight on while there is a full batch of work, else
/// every `interval`. Also sweeps old OAuth states once an hour.
pub async fn run(state: AppState, interval: Duration) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        let busy = match run_round(&state, BATCH).await {
            Ok(round) => {
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
            if let Err(e) = super::handshake::sweep_states(&state).await {
                tracing::warn!(error = %e, "could not remove old OAuth states");
            }
        }
        if !busy {
            tokio::time::sleep(interval).await;
        }
    }
}
