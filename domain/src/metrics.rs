//! The domain's metrics, recorded through the `metrics` facade where things
//! happen: refreshes and probes by outcome, the scheduler's lag, webhook
//! deliveries by outcome; and, read when `/metrics` is scraped, connections by
//! environment and state and the database pool's use.
//!
//! Until the server installs a recorder (it does only when `/metrics` is
//! configured) every call here does nothing. Label values come from closed
//! sets and ids, never from input, so the number of series stays bounded;
//! none is a secret. README's "Metrics" section lists every name and label.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};

use crate::Services;
use crate::accounts::EnvironmentId;
use crate::db::DbError;
use crate::db::repo::connections as rows;
use crate::shared::{Health, ProbeOutcome, Trigger};

/// Token refreshes, by `outcome` and `trigger`.
pub const REFRESHES: &str = "pinbridge_refreshes_total";
/// Health probes recorded, by `outcome` and `trigger`.
pub const PROBES: &str = "pinbridge_probes_total";
/// How late the oldest due refresh or probe was when the scheduler claimed it.
pub const SCHEDULER_LAG: &str = "pinbridge_scheduler_lag_seconds";
/// Webhook delivery attempts, by `outcome`.
pub const WEBHOOK_DELIVERIES: &str = "pinbridge_webhook_deliveries_total";
/// Connections, by `environment` (its id) and `state`.
pub const CONNECTIONS: &str = "pinbridge_connections";
/// The database pool's open connections, by `state` (`idle`, `in_use`).
pub const DB_POOL_CONNECTIONS: &str = "pinbridge_db_pool_connections";
/// The most connections the database pool opens.
pub const DB_POOL_MAX: &str = "pinbridge_db_pool_max_connections";

/// Describes the domain's metrics to the installed recorder (help text, units).
pub fn describe() {
    describe_counter!(
        REFRESHES,
        "Token refreshes by outcome (stored, already_done, rejected, transient, unavailable, lease_lost, error) and trigger."
    );
    describe_counter!(
        PROBES,
        "Health probes recorded, by outcome (ok, unauthorized, missing_scope, transient, skipped) and trigger."
    );
    describe_gauge!(
        SCHEDULER_LAG,
        Unit::Seconds,
        "How late the oldest due refresh or probe was at the scheduler's last round (0 when nothing was due)."
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts by outcome (delivered, retrying, gave_up, endpoint_gone)."
    );
    describe_gauge!(
        CONNECTIONS,
        "Connections by environment id and state, counted in the database (the same on every instance)."
    );
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "This process's open database connections, by state (idle, in_use)."
    );
    describe_gauge!(
        DB_POOL_MAX,
        "The most database connections this process opens."
    );
}

/// Counts one refresh by what it did (`Refreshed::label`, or `error`).
pub(crate) fn refreshed(outcome: &'static str, trigger: Trigger) {
    counter!(REFRESHES, "outcome" => outcome, "trigger" => trigger.as_str()).increment(1);
}

/// Counts one recorded probe.
pub(crate) fn probed(outcome: ProbeOutcome, trigger: Trigger) {
    counter!(PROBES, "outcome" => outcome.as_str(), "trigger" => trigger.as_str()).increment(1);
}

/// The scheduler's lag at its latest round, in milliseconds.
pub(crate) fn scheduler_lag(lag_ms: i64) {
    gauge!(SCHEDULER_LAG).set(lag_ms.max(0) as f64 / 1000.0);
}

/// Counts one recorded webhook attempt; `outcome` is one of the four above.
pub(crate) fn webhook_delivery(outcome: &'static str) {
    counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}

/// The gauges read at scrape time. Connections are counted with one query,
/// at most once per `ttl` however often `/metrics` is scraped; the pool is
/// read from memory at every scrape.
#[derive(Debug)]
pub struct ScrapeGauges {
    ttl: Duration,
    counted: tokio::sync::Mutex<Counted>,
}

#[derive(Debug, Default)]
struct Counted {
    at: Option<Instant>,
    /// Environments reported before: one whose last connection went away (or
    /// that was deleted) reads 0 once more instead of its last count.
    environments: BTreeSet<EnvironmentId>,
}

impl ScrapeGauges {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            counted: tokio::sync::Mutex::new(Counted::default()),
        }
    }

    /// Sets the scrape-time gauges. Scrapes that arrive together wait for one
    /// count rather than each running its own.
    pub async fn observe(&self, services: &Services) -> Result<(), DbError> {
        let pool = services.db.pool_usage();
        gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
        gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.in_use()));
        gauge!(DB_POOL_MAX).set(f64::from(pool.max));

        let mut counted = self.counted.lock().await;
        if counted.at.is_some_and(|at| at.elapsed() < self.ttl) {
            return Ok(());
        }
        let mut counts: BTreeMap<EnvironmentId, BTreeMap<Health, i64>> = BTreeMap::new();
        for (environment, health, n) in rows::count_by_environment(&services.db).await? {
            counts.entry(environment).or_default().insert(health, n);
        }
        let seen: Vec<EnvironmentId> = counted
            .environments
            .iter()
            .filter(|e| !counts.contains_key(*e))
            .cloned()
            .collect();
        for environment in seen {
            set_connections(&environment, &BTreeMap::new());
        }
        for (environment, by_state) in &counts {
            set_connections(environment, by_state);
        }
        counted.environments = counts.into_keys().collect();
        counted.at = Some(Instant::now());
        Ok(())
    }
}

/// Every state of one environment, 0 where it has none.
fn set_connections(environment: &EnvironmentId, by_state: &BTreeMap<Health, i64>) {
    for state in Health::ALL {
        let n = by_state.get(&state).copied().unwrap_or(0);
        gauge!(CONNECTIONS, "environment" => environment.as_str().to_owned(), "state" => state.as_str())
            .set(n as f64);
    }
}
