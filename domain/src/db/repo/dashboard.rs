//! `dashboard_hours` and `dashboard_days`, the environment dashboard's
//! aggregates, and the connections that need attention (through the partial
//! index `connections_attention`).
//!
//! Every read is by an environment's key and a short range of hours or days,
//! or a `LIMIT`: what a dashboard load costs does not grow with history or
//! with the number of connections. Reads for people are scoped by workspace id
//! where the table has one; the aggregates are read for an environment the
//! service found in the caller's workspace first.

use crate::accounts::{ConnectionId, EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::Health;

/// Upper bounds of the latency histogram's buckets, in milliseconds: bucket
/// `i` counts calls that took more than bound `i - 1` and at most bound `i`.
pub const LATENCY_BOUNDS_MS: [i64; 6] = [100, 250, 500, 1000, 2500, 5000];

/// One environment's activity in one hour. Also what one event adds to its
/// hour (a delta: the counts it adds, its latency as a one-call histogram).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct HourRow {
    /// The hour's start, Unix ms (UTC).
    pub hour: i64,
    pub refreshes_ok: i64,
    pub refreshes_failed: i64,
    pub probes_ok: i64,
    pub probes_unauthorized: i64,
    pub probes_missing_scope: i64,
    pub probes_transient: i64,
    pub probes_skipped: i64,
    pub latency_count: i64,
    pub latency_sum_ms: i64,
    pub latency_max_ms: i64,
    pub latency_le_100: i64,
    pub latency_le_250: i64,
    pub latency_le_500: i64,
    pub latency_le_1000: i64,
    pub latency_le_2500: i64,
    pub latency_le_5000: i64,
    pub api_ok: i64,
    pub api_failed: i64,
    pub tools_ok: i64,
    pub tools_failed: i64,
}

/// The counters of [`HourRow`] (all but `hour`), in declaration order.
const HOUR_COUNTERS: [&str; 20] = [
    "refreshes_ok",
    "refreshes_failed",
    "probes_ok",
    "probes_unauthorized",
    "probes_missing_scope",
    "probes_transient",
    "probes_skipped",
    "latency_count",
    "latency_sum_ms",
    "latency_max_ms",
    "latency_le_100",
    "latency_le_250",
    "latency_le_500",
    "latency_le_1000",
    "latency_le_2500",
    "latency_le_5000",
    "api_ok",
    "api_failed",
    "tools_ok",
    "tools_failed",
];

impl HourRow {
    /// The histogram's buckets, in [`LATENCY_BOUNDS_MS`] order.
    pub fn latency_buckets(&self) -> [i64; 6] {
        [
            self.latency_le_100,
            self.latency_le_250,
            self.latency_le_500,
            self.latency_le_1000,
            self.latency_le_2500,
            self.latency_le_5000,
        ]
    }

    /// Adds one call to Pinterest that took `ms`.
    pub fn with_latency(mut self, ms: i64) -> Self {
        let ms = ms.max(0);
        self.latency_count += 1;
        self.latency_sum_ms += ms;
        self.latency_max_ms = self.latency_max_ms.max(ms);
        match LATENCY_BOUNDS_MS.iter().position(|bound| ms <= *bound) {
            Some(0) => self.latency_le_100 += 1,
            Some(1) => self.latency_le_250 += 1,
            Some(2) => self.latency_le_500 += 1,
            Some(3) => self.latency_le_1000 += 1,
            Some(4) => self.latency_le_2500 += 1,
            Some(5) => self.latency_le_5000 += 1,
            // Slower than the last bound: counted in `latency_count` only.
            _ => {}
        }
        self
    }

    /// Another delta for the same hour, added to this one.
    pub fn plus(mut self, other: &HourRow) -> Self {
        self.refreshes_ok += other.refreshes_ok;
        self.refreshes_failed += other.refreshes_failed;
        self.probes_ok += other.probes_ok;
        self.probes_unauthorized += other.probes_unauthorized;
        self.probes_missing_scope += other.probes_missing_scope;
        self.probes_transient += other.probes_transient;
        self.probes_skipped += other.probes_skipped;
        self.latency_count += other.latency_count;
        self.latency_sum_ms += other.latency_sum_ms;
        self.latency_max_ms = self.latency_max_ms.max(other.latency_max_ms);
        self.latency_le_100 += other.latency_le_100;
        self.latency_le_250 += other.latency_le_250;
        self.latency_le_500 += other.latency_le_500;
        self.latency_le_1000 += other.latency_le_1000;
        self.latency_le_2500 += other.latency_le_2500;
        self.latency_le_5000 += other.latency_le_5000;
        self.api_ok += other.api_ok;
        self.api_failed += other.api_failed;
        self.tools_ok += other.tools_ok;
        self.tools_failed += other.tools_failed;
        self
    }
}

/// `insert … on conflict … do update` adding a delta to its hour: one
/// statement, whichever process gets there first. Nothing is written for an
/// environment deleted meanwhile (usage flushed late, say).
fn add_sql() -> String {
    let columns = HOUR_COUNTERS.join(", ");
    let values = (3..HOUR_COUNTERS.len() + 3)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let updates = HOUR_COUNTERS
        .iter()
        .map(|c| match *c {
            // `max(a, b)` is SQLite's and `greatest` PostgreSQL's: `case` is both's.
            "latency_max_ms" => "latency_max_ms = case when excluded.latency_max_ms > \
                 dashboard_hours.latency_max_ms then excluded.latency_max_ms \
                 else dashboard_hours.latency_max_ms end"
                .to_owned(),
            c => format!("{c} = dashboard_hours.{c} + excluded.{c}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "insert into dashboard_hours (environment_id, hour, {columns}) \
         select $1, $2, {values} where exists (select 1 from environments where id = $1) \
         on conflict (environment_id, hour) do update set {updates}"
    )
}

/// Binds `environment_id`, then every field of an [`HourRow`] in
/// (`hour`, [`HOUR_COUNTERS`]) order.
macro_rules! bind_hour {
    ($query:expr, $env:expr, $d:expr) => {
        $query
            .bind($env)
            .bind($d.hour)
            .bind($d.refreshes_ok)
            .bind($d.refreshes_failed)
            .bind($d.probes_ok)
            .bind($d.probes_unauthorized)
            .bind($d.probes_missing_scope)
            .bind($d.probes_transient)
            .bind($d.probes_skipped)
            .bind($d.latency_count)
            .bind($d.latency_sum_ms)
            .bind($d.latency_max_ms)
            .bind($d.latency_le_100)
            .bind($d.latency_le_250)
            .bind($d.latency_le_500)
            .bind($d.latency_le_1000)
            .bind($d.latency_le_2500)
            .bind($d.latency_le_5000)
            .bind($d.api_ok)
            .bind($d.api_failed)
            .bind($d.tools_ok)
            .bind($d.tools_failed)
    };
}

/// Adds `delta` to the environment's hour `delta.hour`, in `tx`.
pub async fn add_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    delta: &HourRow,
) -> Result<(), DbError> {
    let sql = add_sql();
    on_tx!(tx, conn => {
        bind_hour!(sqlx::query(&sql), environment_id, delta)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// [`add_tx`] on its own.
pub async fn add(db: &Db, environment_id: &EnvironmentId, delta: &HourRow) -> Result<(), DbError> {
    let sql = add_sql();
    on_pool!(db, pool => {
        bind_hour!(sqlx::query(&sql), environment_id, delta)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// The environment's hours from `from` to `to` (both hour starts, inclusive)
/// that saw anything, oldest first: a range of the primary key.
pub async fn hours(
    db: &Db,
    environment_id: &EnvironmentId,
    from: i64,
    to: i64,
) -> Result<Vec<HourRow>, DbError> {
    let sql = format!(
        "select hour, {} from dashboard_hours \
         where environment_id = $1 and hour >= $2 and hour <= $3 order by hour",
        HOUR_COUNTERS.join(", ")
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, HourRow>(&sql)
            .bind(environment_id)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// One environment's connections per state on one day, as last counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DayRow {
    /// The day's start, Unix ms (UTC).
    pub day: i64,
    pub active: i64,
    pub degraded: i64,
    pub needs_reauth: i64,
    pub insufficient_scope: i64,
    pub revoked: i64,
    pub account_changed: i64,
    /// When they were counted.
    pub taken_at: i64,
}

impl DayRow {
    pub fn get(&self, state: Health) -> i64 {
        match state {
            Health::Active => self.active,
            Health::Degraded => self.degraded,
            Health::NeedsReauth => self.needs_reauth,
            Health::InsufficientScope => self.insufficient_scope,
            Health::Revoked => self.revoked,
        }
    }

    pub fn set(&mut self, state: Health, n: i64) {
        match state {
            Health::Active => self.active = n,
            Health::Degraded => self.degraded = n,
            Health::NeedsReauth => self.needs_reauth = n,
            Health::InsufficientScope => self.insufficient_scope = n,
            Health::Revoked => self.revoked = n,
        }
    }
}

/// The environment's counted days from `from` to `to` (day starts, inclusive),
/// oldest first.
pub async fn days(
    db: &Db,
    environment_id: &EnvironmentId,
    from: i64,
    to: i64,
) -> Result<Vec<DayRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, DayRow>(
            "select day, active, degraded, needs_reauth, insufficient_scope, revoked, \
             account_changed, taken_at from dashboard_days \
             where environment_id = $1 and day >= $2 and day <= $3 order by day",
        )
        .bind(environment_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// Writes one environment's counts for its day (replacing an earlier count
/// of the same day); nothing for an environment deleted since it was counted.
pub async fn put_day_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    row: &DayRow,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into dashboard_days (environment_id, day, active, degraded, needs_reauth, \
               insufficient_scope, revoked, account_changed, taken_at) \
             select $1, $2, $3, $4, $5, $6, $7, $8, $9 \
             where exists (select 1 from environments where id = $1) \
             on conflict (environment_id, day) do update set active = excluded.active, \
               degraded = excluded.degraded, needs_reauth = excluded.needs_reauth, \
               insufficient_scope = excluded.insufficient_scope, revoked = excluded.revoked, \
               account_changed = excluded.account_changed, taken_at = excluded.taken_at",
        )
        .bind(environment_id)
        .bind(row.day)
        .bind(row.active)
        .bind(row.degraded)
        .bind(row.needs_reauth)
        .bind(row.insufficient_scope)
        .bind(row.revoked)
        .bind(row.account_changed)
        .bind(row.taken_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Every environment's id, of every workspace (for the daily count).
pub async fn environment_ids(db: &Db) -> Result<Vec<EnvironmentId>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (EnvironmentId,)>("select id from environments")
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Forgets hours before `hours_before` and days before `days_before`.
pub async fn prune(db: &Db, hours_before: i64, days_before: i64) -> Result<u64, DbError> {
    let hours = on_pool!(db, pool => {
        sqlx::query("delete from dashboard_hours where hour < $1")
            .bind(hours_before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    let days = on_pool!(db, pool => {
        sqlx::query("delete from dashboard_days where day < $1")
            .bind(days_before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(hours + days)
}

// ---------------------------------------------------------------- attention

/// A connection that needs attention: the partial index
/// `connections_attention` holds exactly these rows. Written word for word as
/// in the migration, so that both planners see the index applies.
const ATTENTION: &str = "(health in ('needs_reauth', 'insufficient_scope') or \
     (account_mismatch is not null and health <> 'revoked'))";

/// What the dashboard shows of a connection that needs attention (no token).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AttentionRow {
    pub id: ConnectionId,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub account_username: String,
    pub health: Health,
    pub health_reason: String,
    pub health_since: i64,
    pub account_mismatch: Option<String>,
}

/// The environment's connections that need attention, newest trouble first,
/// at most `limit`.
pub async fn attention(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    limit: i64,
) -> Result<Vec<AttentionRow>, DbError> {
    let sql = format!(
        "select id, end_user_id, display_name, account_username, health, health_reason, \
         health_since, account_mismatch from connections \
         where workspace_id = $1 and environment_id = $2 and {ATTENTION} \
         order by health_since desc, id desc limit $3"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, AttentionRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// How many of the environment's connections need attention, counting no
/// further than `cap` (the index is walked at most that far).
pub async fn attention_count(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    cap: i64,
) -> Result<i64, DbError> {
    let sql = format!(
        "select count(*) from (select 1 from connections \
         where workspace_id = $1 and environment_id = $2 and {ATTENTION} limit $3) capped"
    );
    let row: (i64,) = on_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .bind(cap)
            .fetch_one(pool)
            .await
    })?;
    Ok(row.0)
}

/// The query plans of [`attention`] and [`attention_count`] (PostgreSQL's
/// with sequential scans discouraged, as a large table would): for tests that
/// the partial index serves both.
#[cfg(feature = "testing")]
pub async fn attention_plans(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<String>, DbError> {
    let queries = [
        format!(
            "select id, health_since from connections \
             where workspace_id = $1 and environment_id = $2 and {ATTENTION} \
             order by health_since desc, id desc limit 10"
        ),
        format!(
            "select count(*) from (select 1 from connections \
             where workspace_id = $1 and environment_id = $2 and {ATTENTION} limit 10000) capped"
        ),
    ];
    let mut plans = Vec::new();
    for sql in &queries {
        let plan = match db {
            Db::Sqlite(pool) => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("explain query plan {sql}"))
                        .bind(workspace_id)
                        .bind(environment_id)
                        .fetch_all(pool)
                        .await?;
                rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
            }
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("set enable_seqscan = off")
                    .execute(&mut *conn)
                    .await?;
                let rows: Vec<(String,)> = sqlx::query_as(&format!("explain {sql}"))
                    .bind(workspace_id)
                    .bind(environment_id)
                    .fetch_all(&mut *conn)
                    .await?;
                conn.close_on_drop();
                rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
            }
        };
        plans.push(plan);
    }
    Ok(plans)
}

/// How many connections (not disconnected) every environment has whose probe
/// saw another account: through the attention index, which holds them all.
pub async fn count_changed_accounts(db: &Db) -> Result<Vec<(EnvironmentId, i64)>, DbError> {
    let sql = format!(
        "select environment_id, count(*) from connections \
         where {ATTENTION} and account_mismatch is not null and health <> 'revoked' \
         group by environment_id"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (EnvironmentId, i64)>(&sql).fetch_all(pool).await
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latency_lands_in_one_bucket_and_the_slowest_in_none() {
        let d = HourRow::default()
            .with_latency(0)
            .with_latency(100)
            .with_latency(101)
            .with_latency(5000)
            .with_latency(7000);
        assert_eq!(d.latency_buckets(), [2, 1, 0, 0, 0, 1]);
        assert_eq!(
            (d.latency_count, d.latency_sum_ms, d.latency_max_ms),
            (5, 12_201, 7000)
        );
    }

    #[test]
    fn the_upsert_adds_every_counter_and_keeps_the_slowest() {
        let sql = add_sql();
        assert!(
            sql.contains("refreshes_ok = dashboard_hours.refreshes_ok + excluded.refreshes_ok")
        );
        assert!(
            sql.contains("tools_failed = dashboard_hours.tools_failed + excluded.tools_failed")
        );
        assert!(!sql.contains("latency_max_ms = dashboard_hours.latency_max_ms +"));
        // $1 and $2 are the key, then one placeholder per counter.
        assert!(sql.contains(&format!("${}", HOUR_COUNTERS.len() + 2)));
        assert!(!sql.contains(&format!("${}", HOUR_COUNTERS.len() + 3)));
    }
}
