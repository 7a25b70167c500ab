//! Bulk seeding for the scale benchmark (`scripts/bench-scale.sh`) and the
//! query-plan tests (feature `testing`): one environment with many connections
//! in every state, their probes and refresh history, and a workspace with a long
//! audit log spread over actions, actors, environments and a year.
//!
//! Rows are generated inside the database (`generate_series` on PostgreSQL, a
//! recursive CTE on SQLite) by a few `insert … select` statements in big
//! transactions: a million audit records take seconds, not the hours a row at a
//! time would. Every value is a function of the row's number, so two seedings
//! of the same size hold the same data (ids aside, which embed `now`).

use crate::accounts::{ConnectionId, EnvironmentId, OperatorId, WorkspaceId};
use crate::db::tx::on_tx;
use crate::db::{Backend, Db, DbError, on_pool};
use crate::shared::AuditAction;

/// How much to seed.
#[derive(Clone, Debug)]
pub struct ScaleSpec {
    /// Connections in the environment, every state mixed in.
    pub connections: i64,
    /// Probes per connection (the newest first, six hours apart).
    pub probes_per_connection: i64,
    /// Extra probes of the newest connection, so its page shows a full history.
    pub long_history: i64,
    /// Audit records in the workspace, over the last year.
    pub audit_events: i64,
    /// Members made to act in the audit log (viewers), besides those that exist.
    pub actors: i64,
    /// The moment the data is seeded "at" (Unix milliseconds).
    pub now: i64,
}

/// Where the seeded data is.
#[derive(Clone, Debug)]
pub struct Seeded {
    /// The members made, with their emails (the audit log's actors).
    pub actors: Vec<(OperatorId, String)>,
    /// The newest connection (it has the long probe history).
    pub newest: ConnectionId,
}

/// The share of connections in each state, out of 100 (by row number), in the
/// order the `case` below assigns them.
pub const STATE_SHARES: [(&str, i64); 5] = [
    ("active", 70),
    ("degraded", 8),
    ("needs_reauth", 10),
    ("insufficient_scope", 5),
    ("revoked", 7),
];

/// One in this many connections was seen behind another Pinterest account.
pub const MISMATCH_EVERY: i64 = 97;
/// One in this many usable connections is being refreshed (its lease held).
pub const LEASED_EVERY: i64 = 250;

const DAY_MS: i64 = 86_400_000;
const SCOPES: &str = "user_accounts:read boards:read pins:read";
const SCOPES_MORE: &str = "user_accounts:read boards:read pins:read pins:write";

/// Seeds `spec` into the environment `environment_id` of `workspace_id`;
/// `other_environment` receives part of the audit log. `sealed` is stored as
/// every live connection's access and refresh token (one value sealed with the
/// installation's key ring: the pages never open it).
pub async fn seed(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    other_environment: &EnvironmentId,
    sealed: &str,
    spec: &ScaleSpec,
) -> Result<Seeded, DbError> {
    let sql = Sql(db.backend());
    let actors = seed_actors(db, workspace_id, spec).await?;
    let mut tx = db.begin().await?;
    let statement = sql.connections(spec);
    on_tx!(&mut tx, conn => {
        sqlx::query(&statement)
            .bind(workspace_id)
            .bind(environment_id)
            .bind(sealed)
            .execute(&mut *conn)
            .await
            .map(|_| ())
    })?;
    let statement = sql.probes(spec.now, 0, spec.probes_per_connection, false);
    on_tx!(&mut tx, conn => {
        sqlx::query(&statement)
            .bind(environment_id)
            .execute(&mut *conn)
            .await
            .map(|_| ())
    })?;
    tx.commit().await?;
    let newest: (ConnectionId,) = on_pool!(db, pool => {
        sqlx::query_as(
            "select id from connections where environment_id = $1 \
             order by created_at desc, id desc limit 1",
        )
        .bind(environment_id)
        .fetch_one(pool)
        .await
    })?;
    if spec.long_history > 0 {
        let statement = sql.probes(
            spec.now,
            spec.probes_per_connection,
            spec.probes_per_connection + spec.long_history,
            true,
        );
        on_pool!(db, pool => {
            sqlx::query(&statement)
                .bind(environment_id)
                .bind(&newest.0)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
    }
    // A "Check all" that finished: its progress is counted on every list.
    on_pool!(db, pool => {
        sqlx::query(
            "insert into health_runs (id, workspace_id, environment_id, started_by, started_at, total) \
             values ($1, $2, $3, 'owner', $4, $5)",
        )
        .bind(crate::accounts::HealthRunId::generate())
        .bind(workspace_id)
        .bind(environment_id)
        .bind(spec.now - DAY_MS)
        .bind(spec.connections)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    // The audit log in chunks of 200 000 rows per transaction.
    let chunk = 200_000;
    let mut from = 0;
    while from < spec.audit_events {
        let to = (from + chunk).min(spec.audit_events);
        let statement = sql.audit(spec, from, to, &actors);
        let mut tx = db.begin().await?;
        on_tx!(&mut tx, conn => {
            sqlx::query(&statement)
                .bind(workspace_id)
                .bind(environment_id)
                .bind(other_environment)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        tx.commit().await?;
        from = to;
    }
    Ok(Seeded {
        actors,
        newest: newest.0,
    })
}

/// Brings the planner's statistics up to date, as PostgreSQL's autovacuum
/// would soon after a bulk load (SQLite is left as pinbridge leaves it: no
/// statistics).
pub async fn analyze(db: &Db) -> Result<(), DbError> {
    if let Db::Postgres(pool) = db {
        sqlx::query("vacuum analyze").execute(pool).await?;
    }
    Ok(())
}

/// Makes `spec.actors` viewers of the workspace (they never sign in).
async fn seed_actors(
    db: &Db,
    workspace_id: &WorkspaceId,
    spec: &ScaleSpec,
) -> Result<Vec<(OperatorId, String)>, DbError> {
    let mut tx = db.begin().await?;
    let mut actors = Vec::new();
    for n in 0..spec.actors {
        let id = OperatorId::generate();
        let email = format!("actor-{n}@scale.test");
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "insert into operators (id, email, display_name, password_hash, created_at) \
                 values ($1, $2, $3, 'seeded: no password', $4)",
            )
            .bind(&id)
            .bind(&email)
            .bind(format!("Actor {n}"))
            .bind(spec.now)
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })?;
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "insert into memberships (workspace_id, operator_id, role, created_at) \
                 values ($1, $2, 'viewer', $3)",
            )
            .bind(workspace_id)
            .bind(&id)
            .bind(spec.now)
            .execute(&mut *conn)
            .await
            .map(|_| ())
        })?;
        actors.push((id, email));
    }
    tx.commit().await?;
    Ok(actors)
}

/// The statements, in the dialect of one backend. Numbers are written into the
/// SQL (they come from [`ScaleSpec`], never from a request); ids are bound.
struct Sql(Backend);

impl Sql {
    /// `insert into {table} ({columns}) select {values} from` a series `i`
    /// running `from..to`.
    fn insert_series(
        &self,
        table: &str,
        columns: &str,
        values: &str,
        from: i64,
        to: i64,
    ) -> String {
        let last = to - 1;
        match self.0 {
            Backend::Sqlite => format!(
                "with recursive s(i) as (select {from} union all select i + 1 from s where i < {last}) \
                 insert into {table} ({columns}) select {values} from s"
            ),
            Backend::Postgres => format!(
                "insert into {table} ({columns}) select {values} \
                 from generate_series({from}::bigint, {last}::bigint) as s(i)"
            ),
        }
    }

    /// `expr` in lower-case hex, zero-padded to `width`.
    fn hex(&self, expr: &str, width: usize) -> String {
        match self.0 {
            Backend::Sqlite => format!("printf('%0{width}x', {expr})"),
            Backend::Postgres => format!("lpad(to_hex({expr}), {width}, '0')"),
        }
    }

    /// `expr` in decimal, zero-padded to `width`.
    fn dec(&self, expr: &str, width: usize) -> String {
        match self.0 {
            Backend::Sqlite => format!("printf('%0{width}d', {expr})"),
            Backend::Postgres => format!("lpad(cast({expr} as text), {width}, '0')"),
        }
    }

    /// A UUIDv7-shaped id: the time `at` (ms) in its first 48 bits as UUIDv7
    /// has it, `tag` telling the tables apart, and the row number `n` last.
    fn uuid(&self, at: &str, tag: u16, n: &str) -> String {
        format!(
            "{} || '-' || {} || '-7{tag:03x}-8000-' || {}",
            self.hex(&format!("({at}) / 65536"), 8),
            self.hex(&format!("({at}) % 65536"), 4),
            self.hex(n, 12)
        )
    }

    /// Connection `i` of `n` (0 the oldest), created over two years, two at a
    /// time (a tie in `created_at` that paging breaks by id).
    fn connections(&self, spec: &ScaleSpec) -> String {
        let n = spec.connections.max(1);
        let now = spec.now;
        let step = (2 * 365 * DAY_MS / n).max(1);
        let at = format!("({now} - (({n} - i) / 2) * {})", 2 * step);
        let mut bounds = Vec::new();
        let mut upto = 0;
        for (state, share) in STATE_SHARES {
            upto += share;
            bounds.push((state, upto));
        }
        let b = "(i % 100)";
        let state = format!(
            "case {} else 'revoked' end",
            bounds[..4]
                .iter()
                .map(|(s, u)| format!("when {b} < {u} then '{s}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (active, degraded, reauth, scope) =
            (bounds[0].1, bounds[1].1, bounds[2].1, bounds[3].1);
        let usable = format!("{b} < {degraded}");
        let live = format!("{b} < {scope}");
        let reason = format!(
            "case when {b} < {active} then 'Authorized by the end user.' \
             when {b} < {degraded} then 'Pinterest answered 503 Service Unavailable; retrying.' \
             when {b} < {reauth} then 'Pinterest refused the refresh token (invalid_grant).' \
             when {b} < {scope} then 'The grant lacks pins:write, which this environment requires.' \
             else 'Disconnected by owner@scale.test.' end"
        );
        let refreshed_ago = "((i * 13) % 2592000) * 1000";
        let values = [
            self.uuid(&at, 0x001, "i"),
            "$1".into(),
            "$2".into(),
            format!("'user-' || {}", self.dec("i", 6)),
            format!(
                "case when i % 3 = 0 then null else 'Customer ' || {} end",
                self.dec("i", 6)
            ),
            "cast(1000000000 + i as text)".into(),
            format!("'pinner_' || {}", self.dec("i", 6)),
            "case when i % 10 = 0 then 'BUSINESS' else 'PINNER' end".into(),
            format!("'{SCOPES}'"),
            format!(
                "case when {b} >= {reauth} and {b} < {scope} then '{SCOPES_MORE}' else '{SCOPES}' end"
            ),
            format!("case when {live} then cast($3 as text) else null end"),
            format!("case when {live} then cast($3 as text) else null end"),
            format!(
                "case when {usable} then {now} + {} - ((i * 17) % 2592000) * 1000 \
                 when {live} then {now} - {DAY_MS} else null end",
                30 * DAY_MS
            ),
            format!(
                "case when {live} then {now} + {} else null end",
                365 * DAY_MS
            ),
            "1 + (i * 31) % 400".into(),
            state,
            reason,
            format!("{at} + ({now} - {at}) / 2"),
            at.clone(),
            at.clone(),
            format!(
                "case when {now} - {refreshed_ago} > {at} then {now} - {refreshed_ago} else {at} end"
            ),
            "(i * 31) % 400".into(),
            format!("case when {usable} then {now} + 3600000 + (i % 86400) * 1000 else null end"),
            format!(
                "case when {b} >= {active} and {b} < {degraded} then 1 + i % 5 \
                 when {b} >= {degraded} and {b} < {reauth} then 1 else 0 end"
            ),
            format!(
                "case when {b} >= {active} and {b} < {degraded} then 'Pinterest answered 503 Service Unavailable.' \
                 when {b} >= {degraded} and {b} < {reauth} then 'Pinterest refused the refresh token (invalid_grant).' \
                 else null end"
            ),
            format!(
                "case when {live} then {now} + 3600000 + ((i * 7) % 86400) * 1000 else null end"
            ),
            format!("{now} - (i % 86400) * 1000"),
            format!(
                "case when i % {MISMATCH_EVERY} = 0 and {live} then 'other_pinner_' || {} else null end",
                self.dec("i", 6)
            ),
            format!(
                "case when i % {LEASED_EVERY} = 1 and {usable} then 'bench-refresher' else null end"
            ),
            format!(
                "case when i % {LEASED_EVERY} = 1 and {usable} then {now} + 600000 else null end"
            ),
            "(i * 31) % 400".into(),
        ];
        self.insert_series(
            "connections",
            "id, workspace_id, environment_id, end_user_id, display_name, account_id, \
             account_username, account_type, scopes_granted, scopes_required, access_token, \
             refresh_token, access_expires_at, refresh_expires_at, token_version, health, \
             health_reason, health_since, created_at, authorized_at, last_refresh_at, \
             refresh_count, next_refresh_at, refresh_failures, last_refresh_error, next_probe_at, \
             last_probe_at, account_mismatch, lease_owner, lease_until, lease_fence",
            &values.join(", "),
            0,
            n,
        )
    }

    /// Probes `from..to` (0 the newest, six hours apart) of every connection
    /// in the environment `$1`, or of the connection `$2` alone when `one`.
    fn probes(&self, now: i64, from: i64, to: i64, one: bool) -> String {
        let series = match self.0 {
            Backend::Sqlite => format!(
                "with recursive p(j) as (select {from} union all select j + 1 from p where j < {}) ",
                to - 1
            ),
            Backend::Postgres => String::new(),
        };
        let source = match self.0 {
            Backend::Sqlite => "p".to_owned(),
            Backend::Postgres => format!(
                "generate_series({from}::bigint, {}::bigint) as p(j)",
                to - 1
            ),
        };
        let which = if one { "and c.id = $2" } else { "" };
        // The connection's id with a tag of its own per probe: unique while j < 3584.
        let id = format!(
            "substr(c.id, 1, 15) || {} || substr(c.id, 19)",
            self.hex("512 + j", 3)
        );
        let first = "j = 0";
        format!(
            "{series}insert into connection_probes (id, connection_id, workspace_id, checked_at, \
             trigger, outcome, latency_ms, http_status, error_code, error_message, account_id, \
             account_username, account_changed) \
             select {id}, c.id, c.workspace_id, coalesce(c.last_probe_at, {now}) - j * 21600000, \
             case when j % 5 = 4 then 'operator' else 'scheduled' end, \
             case when {first} and c.health = 'degraded' then 'transient' \
               when {first} and c.health = 'needs_reauth' then 'unauthorized' \
               when {first} and c.health = 'insufficient_scope' then 'missing_scope' else 'ok' end, \
             60 + (j * 37) % 400, \
             case when {first} and c.health = 'degraded' then 503 \
               when {first} and c.health = 'needs_reauth' then 401 \
               when {first} and c.health = 'insufficient_scope' then 403 else 200 end, \
             case when {first} and c.health = 'needs_reauth' then 2 else null end, \
             case when {first} and c.health = 'degraded' then 'Service Unavailable' \
               when {first} and c.health = 'needs_reauth' then 'Authentication failed.' \
               when {first} and c.health = 'insufficient_scope' then 'Missing scope pins:write.' \
               else null end, \
             c.account_id, c.account_username, \
             case when {first} and c.account_mismatch is not null then true else false end \
             from connections c, {source} where c.environment_id = $1 {which}"
        )
    }

    /// Audit records `from..to` of `spec.audit_events` (0 the oldest, over the
    /// year before `spec.now`, two per millisecond-tick: ties broken by id).
    /// `$1` the workspace, `$2` and `$3` its environments.
    fn audit(
        &self,
        spec: &ScaleSpec,
        from: i64,
        to: i64,
        actors: &[(OperatorId, String)],
    ) -> String {
        let n = spec.audit_events.max(1);
        let start = spec.now - 365 * DAY_MS;
        let step = (2 * 365 * DAY_MS / n).max(1);
        let at = format!("({start} + (i / 2) * {step})");
        // Most records are the scheduler's refreshes and state changes, then
        // sign-ins and connect links; one in a thousand cycles through every
        // action, so each filter finds some.
        let common = [
            (600, AuditAction::ConnectionRefreshed),
            (700, AuditAction::ConnectionStateChanged),
            (800, AuditAction::SignedIn),
            (850, AuditAction::SignInFailed),
            (900, AuditAction::SignedOut),
            (950, AuditAction::ConnectLinkCreated),
            (980, AuditAction::ConnectionCreated),
            (999, AuditAction::ConnectionDisconnected),
        ];
        let all = AuditAction::ALL;
        let rest = all
            .iter()
            .enumerate()
            .map(|(k, a)| format!("when {k} then '{}'", a.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        let action = format!(
            "case {} else case (i / 1000) % {} {rest} end end",
            common
                .iter()
                .map(|(u, a)| format!("when i % 1000 < {u} then '{}'", a.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
            all.len()
        );
        let system = "a.action in ('connection.refreshed', 'connection.state_changed', \
             'connection.created', 'connection.reauthorized', 'connection.authorization_failed')";
        let count = actors.len().max(1);
        let pick = |f: &dyn Fn(&(OperatorId, String)) -> String| {
            let arms = actors
                .iter()
                .enumerate()
                .map(|(k, a)| format!("when {k} then '{}'", f(a)))
                .collect::<Vec<_>>()
                .join(" ");
            if arms.is_empty() {
                "null".to_owned()
            } else {
                format!("case a.i % {count} {arms} end")
            }
        };
        let actor_id = pick(&|(id, _)| id.to_string());
        let actor_label = pick(&|(_, email)| email.clone());
        let values = format!(
            "a.id, $1, \
             case when a.action like 'session.%' or a.action like 'account.%' \
               or a.action like 'member.%' or a.action like 'workspace.%' then null \
               when a.i % 10 = 0 then $3 else $2 end, \
             case when {system} then null else {actor_id} end, \
             case when {system} then 'pinbridge' else coalesce({actor_label}, 'owner@scale.test') end, \
             a.action, \
             case when a.action like 'connection.%' then '@pinner_' || {} else 'Development' end, \
             case when a.action = 'connection.refreshed' then '{{\"trigger\":\"scheduled\"}}' else '{{}}' end, \
             case when {system} then null else '203.0.113.' || cast(a.i % 250 as text) end, \
             case when {system} then null else 'Mozilla/5.0 (X11; Linux x86_64) pinbridge-bench' end, \
             a.at",
            self.dec("a.i % 100000", 6)
        );
        let inner = format!(
            "select i, {at} as at, {} as id, {action} as action",
            self.uuid(&at, 0x0a1, "i")
        );
        let columns = "id, workspace_id, environment_id, actor_operator_id, actor_label, action, \
             target, detail, ip, user_agent, created_at";
        let last = to - 1;
        match self.0 {
            Backend::Sqlite => format!(
                "with recursive s(i) as (select {from} union all select i + 1 from s where i < {last}) \
                 insert into audit_events ({columns}) select {values} from ({inner} from s) a"
            ),
            Backend::Postgres => format!(
                "insert into audit_events ({columns}) select {values} \
                 from ({inner} from generate_series({from}::bigint, {last}::bigint) as s(i)) a"
            ),
        }
    }
}
