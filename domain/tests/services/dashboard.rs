//! The environment dashboard's aggregates: refreshes, probes, API answers and
//! tool calls add themselves to their hour where they are recorded; the
//! scheduler's daily count of connections per state; pruning; the connections
//! that need attention (through their partial index); and tenancy.

use domain::accounts::operators::NewOperator;
use domain::accounts::provision::provision;
use domain::accounts::{
    DisplayName, Email, EnvironmentId, Hasher, NewPassword, RequestMeta, Role, WorkspaceName,
    actor_in, environments,
};
use domain::api::keys::{self, KeyInput};
use domain::connections::dashboard::{
    self, DAY_MS, DAYS, DayRow, HOUR_MS, HOURS, HourRow, KEPT_MS, day_of, hour_of,
};
use domain::connections::tokens::Refreshed;
use domain::connections::{ConnectionError, portal};
use domain::db::now_ms;
use domain::db::repo::agent::ToolCallRecord;
use domain::db::repo::dashboard as rows;
use domain::shared::{Health, ProbeOutcome, ToolOutcome};
use domain::testing::insert_connections;
use serde_json::json;

use crate::support::{APP_ID, World, world};

/// Makes Pinterest answer 503 on `path` (or stop doing so, with `None`).
async fn fail(w: &World, path: Option<&str>) {
    let client = reqwest::Client::new();
    let url = format!("{}/_sim/faults", w.sim.base_url());
    let res = match path {
        Some(path) => {
            client
                .put(url)
                .json(&json!({"error_rate": 1.0, "error_statuses": [503], "paths": [path]}))
                .send()
                .await
        }
        None => client.delete(url).send().await,
    }
    .unwrap();
    assert!(res.status().is_success());
}

async fn load(w: &World) -> dashboard::Dashboard {
    dashboard::load(&w.services.db, &w.actor, &w.env, now_ms())
        .await
        .unwrap()
}

/// Sets columns of a connection by SQL (states the tests cannot wait for).
async fn set(w: &World, id: &domain::accounts::ConnectionId, assignments: &str) {
    let sql = format!("update connections set {assignments} where id = $1");
    domain::on_pool!(&w.services.db, pool => {
        sqlx::query(&sql).bind(id).execute(pool).await.map(|_| ())
    })
    .unwrap();
}

#[tokio::test]
async fn refreshes_and_probes_add_to_their_hour_as_they_are_recorded() {
    let w = world().await;
    let stored = w.connect("user-1").await;
    let (services, actor, id) = (&w.services, &w.actor, &stored.connection_id);
    let started = now_ms();
    // Nothing yet: connecting is neither a refresh nor a probe.
    let empty = load(&w).await;
    assert_eq!(empty.day_total(), HourRow::default());
    // A refresh that stores tokens, and one Pinterest answers 503.
    let outcome = portal::refresh_now(services, actor, id).await.unwrap();
    assert_eq!(outcome, Some(Refreshed::Stored));
    fail(&w, Some("/v5/oauth/token")).await;
    let outcome = portal::refresh_now(services, actor, id).await.unwrap();
    assert!(
        matches!(outcome, Some(Refreshed::Transient { .. })),
        "{outcome:?}"
    );
    fail(&w, None).await;
    // A probe that sees the account, and one Pinterest answers 503.
    let report = portal::check_now(services, actor, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Ok);
    fail(&w, Some("/v5/user_account")).await;
    let report = portal::check_now(services, actor, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Transient);
    fail(&w, None).await;
    // The end user's tokens revoked: the probe's 401 is followed by a refresh
    // Pinterest refuses (a failed refresh), and the probe is unauthorized.
    let revoked = reqwest::Client::new()
        .post(format!("{}/_sim/tokens/revoke", w.sim.base_url()))
        .json(&json!({"client_id": APP_ID, "username": "demo_pinner"}))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let report = portal::check_now(services, actor, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Unauthorized);
    assert_eq!(report.health, Health::NeedsReauth);
    let finished = now_ms();

    let d = load(&w).await;
    // Every hour of the last day, oldest first, an hour apart, ending now.
    assert_eq!(d.hours.len() as i64, HOURS);
    assert_eq!(d.hours.last().unwrap().hour, hour_of(d.now));
    assert!(d.hours.windows(2).all(|p| p[1].hour - p[0].hour == HOUR_MS));
    let total = d.day_total();
    assert_eq!((total.refreshes_ok, total.refreshes_failed), (1, 2));
    assert_eq!(
        (
            total.probes_ok,
            total.probes_transient,
            total.probes_unauthorized,
            total.probes_missing_scope,
            total.probes_skipped,
        ),
        (1, 1, 1, 0, 0)
    );
    // Every refresh and probe asked Pinterest once: six latencies (the probe
    // refused after its refresh made two calls, recorded as one probe).
    assert_eq!(total.latency_count, 6);
    assert_eq!(
        total.latency_buckets().iter().sum::<i64>(),
        6,
        "all well under 5 s"
    );
    let latency = dashboard::latency(&total).unwrap();
    assert!(latency.average_ms <= latency.max_ms && latency.p95_ms <= latency.max_ms);
    // They are in the hour they happened (two, if the test crossed an hour).
    let busy: Vec<i64> = d
        .hours
        .iter()
        .filter(|h| h.refreshes_ok + h.refreshes_failed + h.probes_ok > 0)
        .map(|h| h.hour)
        .collect();
    assert!(
        busy.iter()
            .all(|h| *h == hour_of(started) || *h == hour_of(finished)),
        "{busy:?}"
    );
    // The connection now needs attention, and is listed with its reason.
    assert_eq!(d.attention_total, 1);
    assert_eq!(d.attention[0].id, *id);
    assert_eq!(d.attention[0].health, Health::NeedsReauth);
    assert!(d.attention[0].health_reason.contains("connect again"));
    w.stop().await;
}

#[tokio::test]
async fn api_answers_and_tool_calls_are_added_when_the_process_flushes_them() {
    let w = world().await;
    let services = &w.services;
    let key = keys::create(
        services,
        &w.actor,
        &w.env,
        KeyInput::parse("agent", &["agent".to_owned()], "", "", "").unwrap(),
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let now = now_ms();
    for ok in [true, true, true, false] {
        services.api.count_answer(&w.env, ok, now);
    }
    for outcome in [ToolOutcome::Ok, ToolOutcome::Ok, ToolOutcome::Invalid] {
        services.api.record_tool_call(ToolCallRecord {
            id: uuid::Uuid::new_v4().to_string(),
            workspace_id: w.actor.workspace_id().clone(),
            environment_id: w.env.clone(),
            key_id: key.row.id.clone(),
            connection_id: None,
            tool: "get_user_account",
            outcome,
            latency_ms: 12,
            at: now,
        });
    }
    // Counted in memory only, until the flush.
    assert_eq!(load(&w).await.day_total(), HourRow::default());
    domain::api::maintain(services, false).await.unwrap();
    let hour = load(&w)
        .await
        .hours
        .into_iter()
        .find(|h| h.hour == hour_of(now))
        .unwrap();
    assert_eq!(
        (
            hour.api_ok,
            hour.api_failed,
            hour.tools_ok,
            hour.tools_failed
        ),
        (3, 1, 2, 1)
    );
    // A second flush adds nothing: nothing is counted twice.
    domain::api::maintain(services, false).await.unwrap();
    assert_eq!(load(&w).await.day_total().api_ok, 3);
    // Answers for an environment deleted meanwhile are dropped, not an error.
    services
        .api
        .count_answer(&EnvironmentId::generate(), true, now);
    domain::api::maintain(services, false).await.unwrap();
    w.stop().await;
}

#[tokio::test]
async fn the_daily_count_holds_each_state_and_a_later_count_replaces_it() {
    let w = world().await;
    let db = &w.services.db;
    let ws = w.actor.workspace_id().clone();
    let ids = insert_connections(db, &ws, &w.env, &["a", "b", "c", "d"]).await;
    set(&w, &ids[1], "health = 'needs_reauth'").await;
    set(&w, &ids[2], "account_mismatch = 'A probe saw @other.'").await;
    // Disconnected: an old mismatch no longer counts.
    set(&w, &ids[3], "health = 'revoked', account_mismatch = 'x'").await;
    let production = environments::list(db, &w.actor).await.unwrap()[1]
        .id
        .clone();
    let now = now_ms();
    // Nothing counted yet: every day is "not counted".
    let d = load(&w).await;
    assert_eq!(d.days.len() as i64, DAYS);
    assert!(d.days.iter().all(|day| day.counts.is_none()));
    assert_eq!(d.days.last().unwrap().day, day_of(d.now));
    assert!(d.days.windows(2).all(|p| p[1].day - p[0].day == DAY_MS));

    assert!(dashboard::snapshot(db, now).await.unwrap() >= 2);
    let counts = load(&w).await.latest_counts().unwrap();
    assert_eq!(
        counts,
        DayRow {
            day: day_of(now),
            active: 2,
            degraded: 0,
            needs_reauth: 1,
            insufficient_scope: 0,
            revoked: 1,
            account_changed: 1,
            taken_at: now,
        }
    );
    // An environment without connections is counted too: zeros, not "not counted".
    let empty = dashboard::load(db, &w.actor, &production, now)
        .await
        .unwrap()
        .latest_counts()
        .unwrap();
    assert_eq!((empty.active, empty.revoked, empty.taken_at), (0, 0, now));
    // Counted again the same day: the day's row is replaced.
    set(&w, &ids[0], "health = 'degraded'").await;
    dashboard::snapshot(db, now + 1_000).await.unwrap();
    let d = load(&w).await;
    let counts = d.latest_counts().unwrap();
    assert_eq!(
        (counts.active, counts.degraded, counts.taken_at),
        (1, 1, now + 1_000)
    );
    assert_eq!(d.days.iter().filter(|day| day.counts.is_some()).count(), 1);
    // A count of another day is that day's row.
    dashboard::snapshot(db, now - DAY_MS).await.unwrap();
    let d = load(&w).await;
    let yesterday = d.days[d.days.len() - 2];
    assert_eq!(yesterday.day, day_of(now - DAY_MS));
    assert_eq!(yesterday.counts.unwrap().degraded, 1);
    w.stop().await;
}

#[tokio::test]
async fn rows_older_than_35_days_are_pruned() {
    let w = world().await;
    let db = &w.services.db;
    let now = now_ms();
    // Past the cutoff's day (hours are kept by the hour, days by the day).
    let old = now - KEPT_MS - DAY_MS;
    let recent = now - 2 * HOUR_MS;
    for at in [old, recent] {
        rows::add(
            db,
            &w.env,
            &HourRow {
                hour: hour_of(at),
                refreshes_ok: 5,
                ..HourRow::default()
            },
        )
        .await
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        let day = DayRow {
            day: day_of(at),
            active: 3,
            taken_at: at,
            ..DayRow::default()
        };
        rows::put_day_tx(&mut tx, &w.env, &day).await.unwrap();
        tx.commit().await.unwrap();
    }
    let all_hours = || rows::hours(db, &w.env, 0, i64::MAX);
    let all_days = || rows::days(db, &w.env, 0, i64::MAX);
    assert_eq!(all_hours().await.unwrap().len(), 2);
    assert_eq!(all_days().await.unwrap().len(), 2);
    assert_eq!(dashboard::prune(db, now).await.unwrap(), 2);
    let hours = all_hours().await.unwrap();
    assert_eq!(hours.len(), 1);
    assert_eq!(hours[0].hour, hour_of(recent));
    let days = all_days().await.unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].day, day_of(recent));
    // Again: nothing left to prune.
    assert_eq!(dashboard::prune(db, now).await.unwrap(), 0);
    w.stop().await;
}

#[tokio::test]
async fn the_attention_list_is_the_newest_trouble_first_and_counted_in_full() {
    let w = world().await;
    let db = &w.services.db;
    let ws = w.actor.workspace_id().clone();
    let names: Vec<String> = (0..16).map(|i| format!("user-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ids = insert_connections(db, &ws, &w.env, &refs).await;
    let base = now_ms() - 100_000;
    // 0..5 need re-authorization, 5..9 lack scopes, 9..12 saw another
    // account; 12 and 13 are fine, 14 is degraded, 15 is disconnected with an
    // old mismatch. Trouble began one second apart, the latest last.
    for (i, id) in ids.iter().enumerate() {
        let since = base + i as i64 * 1_000;
        let state = match i {
            0..5 => "health = 'needs_reauth'",
            5..9 => "health = 'insufficient_scope'",
            9..12 => "account_mismatch = 'A probe saw @someone_else.'",
            14 => "health = 'degraded'",
            15 => "health = 'revoked', account_mismatch = 'old'",
            _ => "health = 'active'",
        };
        set(&w, id, &format!("{state}, health_since = {since}")).await;
    }
    let d = load(&w).await;
    assert_eq!(d.attention_total, 12);
    assert!(!d.attention_capped());
    let listed: Vec<_> = d.attention.iter().map(|r| r.id.clone()).collect();
    let newest: Vec<_> = ids[..12].iter().rev().take(10).cloned().collect();
    assert_eq!(listed, newest, "the ten newest, newest first");
    assert!(d.attention[0].account_mismatch.is_some());
    assert_eq!(d.attention[9].health, Health::NeedsReauth);
    // Both queries go through the partial index.
    for plan in rows::attention_plans(db, &ws, &w.env).await.unwrap() {
        assert!(plan.contains("connections_attention"), "{plan}");
    }
    // With fewer than a page of them, the list is the count.
    for id in &ids[..8] {
        set(&w, id, "health = 'active', account_mismatch = null").await;
    }
    let d = load(&w).await;
    assert_eq!((d.attention.len(), d.attention_total), (4, 4));
    w.stop().await;
}

#[tokio::test]
async fn another_workspace_or_an_unknown_environment_is_not_found() {
    let w = world().await;
    let db = &w.services.db;
    let email = Email::parse("owner@other.example").unwrap();
    let password = NewPassword::parse("correct horse battery staple", &email, None).unwrap();
    let other = provision(
        db,
        &WorkspaceName::parse("Other").unwrap(),
        &NewOperator {
            password_hash: Hasher::fast_insecure().hash(&password).await.unwrap(),
            display_name: DisplayName::parse("Other Owner").unwrap(),
            email,
        },
        Role::Owner,
        "cli",
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let stranger = actor_in(db, &other.workspace_id, &other.operator_id)
        .await
        .unwrap();
    let theirs = environments::list(db, &stranger).await.unwrap()[0]
        .id
        .clone();
    let now = now_ms();
    for (actor, env) in [
        (&stranger, &w.env),
        (&w.actor, &theirs),
        (&w.actor, &EnvironmentId::generate()),
    ] {
        let err = dashboard::load(db, actor, env, now).await.unwrap_err();
        assert!(matches!(err, ConnectionError::NotFound), "{err:?}");
    }
    // Each reads its own.
    dashboard::load(db, &stranger, &theirs, now).await.unwrap();
    w.stop().await;
}

/// Runs `sql` (seeding, by set-based statements) on either backend.
async fn exec(db: &domain::db::Db, sql: &str) {
    domain::on_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// `BENCH_*` from the environment, or `default`.
fn setting(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The dashboard's cost at scale: `BENCH_CONNECTIONS` (default 100 000)
/// connections in the environment (5 % needing re-authorization, 2 % lacking
/// scopes, 1 % showing another account), `BENCH_AUDIT` (default 1 000 000)
/// audit records, 35 days of hourly and daily rows for it and for
/// `BENCH_ENVIRONMENTS` (default 200) other environments; then `load` timed
/// `BENCH_LOADS` (default 300) times, and the scheduler's daily count. Prints
/// `bench-dashboard` lines. Run with scripts/bench-dashboard.sh.
#[tokio::test]
#[ignore = "benchmark: run with scripts/bench-dashboard.sh"]
async fn bench_dashboard_load() {
    let w = world().await;
    let db = &w.services.db;
    let (n, audit, envs, loads) = (
        setting("BENCH_CONNECTIONS", 100_000),
        setting("BENCH_AUDIT", 1_000_000),
        setting("BENCH_ENVIRONMENTS", 200),
        setting("BENCH_LOADS", 300),
    );
    let ws = w.actor.workspace_id().to_string();
    let env = w.env.to_string();
    let now = now_ms();
    let postgres = matches!(db, domain::db::Db::Postgres(_));
    // A numbers table from 1 to N, and a 200-character filler standing for a
    // sealed token, per backend.
    let series = |upto: i64| {
        if postgres {
            // bigint: `i * HOUR_MS` past 596 hours overflows PostgreSQL's integer.
            format!("generate_series(1::bigint, {upto}) as s(i)")
        } else {
            format!(
                "(with recursive s(i) as (select 1 union all select i + 1 from s where i < {upto}) select i from s) s"
            )
        }
    };
    let filler = if postgres {
        "repeat('x', 200)"
    } else {
        "printf('%.200c', 'x')"
    };
    let seeding = std::time::Instant::now();
    exec(
        db,
        &format!(
            "insert into connections (id, workspace_id, environment_id, end_user_id, account_id, \
             account_username, account_type, scopes_granted, scopes_required, access_token, \
             refresh_token, access_expires_at, refresh_expires_at, token_version, health, \
             health_reason, health_since, created_at, authorized_at, next_refresh_at, next_probe_at, \
             account_mismatch) \
             select 'bench-' || i, '{ws}', '{env}', 'user-' || i, 'acct-' || i, 'pinner_' || i, 'PINNER', \
             'user_accounts:read boards:read pins:read', 'user_accounts:read boards:read pins:read', \
             {filler}, {filler}, {far}, {far}, 1, \
             case when i % 20 = 0 then 'needs_reauth' when i % 50 = 1 then 'insufficient_scope' \
                  when i % 30 = 3 then 'degraded' when i % 25 = 4 then 'revoked' else 'active' end, \
             'Seeded.', {now} - i * 1000, {now} - i * 1000, {now} - i * 1000, {far}, {far}, \
             case when i % 100 = 2 then 'A probe saw @someone_else.' else null end \
             from {}",
            series(n),
            far = now + 30 * DAY_MS,
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "insert into audit_events (id, workspace_id, environment_id, actor_label, action, target, \
             detail, created_at) \
             select 'bench-audit-' || i, '{ws}', '{env}', 'system', 'connection.refreshed', \
             '@pinner_' || i, '{{}}', {now} - i * 100 from {}",
            series(audit)
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "insert into environments (id, workspace_id, name, name_folded, slug, created_at) \
             select 'bench-env-' || i, '{ws}', 'Bench ' || i, 'bench ' || i, 'bench-' || i, {now} \
             from {}",
            series(envs)
        ),
    )
    .await;
    // 35 days of hours and days for the environment and the others.
    let hours = 35 * 24;
    for environment in
        std::iter::once(env.clone()).chain((1..=envs).map(|i| format!("bench-env-{i}")))
    {
        exec(
            db,
            &format!(
                "insert into dashboard_hours (environment_id, hour, refreshes_ok, refreshes_failed, \
                 probes_ok, probes_transient, latency_count, latency_sum_ms, latency_max_ms, \
                 latency_le_100, latency_le_250, api_ok, api_failed, tools_ok) \
                 select '{environment}', {this_hour} - i * {HOUR_MS}, 140, 2, 150, 3, 295, 29500, 900, \
                 280, 10, 5000, 12, 40 from {}",
                series(hours),
                this_hour = hour_of(now) + HOUR_MS,
            ),
        )
        .await;
        exec(
            db,
            &format!(
                "insert into dashboard_days (environment_id, day, active, degraded, needs_reauth, \
                 insufficient_scope, revoked, account_changed, taken_at) \
                 select '{environment}', {today} - i * {DAY_MS}, 80000, 3000, 5000, 2000, 4000, 1000, \
                 {now} from {}",
                series(35),
                today = day_of(now) + DAY_MS,
            ),
        )
        .await;
    }
    if postgres {
        // As autovacuum would have by then.
        exec(db, "vacuum analyze").await;
    } else {
        exec(db, "analyze").await;
    }
    println!(
        "bench-dashboard: seeded {n} connections, {audit} audit records, {} environments with 35 days of aggregates in {:.1} s",
        envs + 1,
        seeding.elapsed().as_secs_f64()
    );
    // Warm up, then time loads.
    for _ in 0..20 {
        load(&w).await;
    }
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..loads {
        let t = std::time::Instant::now();
        let d = load(&w).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(d);
    }
    times.sort_by(f64::total_cmp);
    let d = last.unwrap();
    assert_eq!(d.attention.len() as i64, dashboard::ATTENTION_LISTED);
    println!(
        "bench-dashboard: load x{loads}: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (attention {} of {}, {} hours, {} days)",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        times.last().unwrap(),
        d.attention.len(),
        d.attention_total,
        d.hours.len(),
        d.days.iter().filter(|day| day.counts.is_some()).count(),
    );
    assert!(percentile(&times, 0.95) <= 50.0, "p95 over 50 ms");
    let mut counts = Vec::new();
    for i in 0..5 {
        let t = std::time::Instant::now();
        dashboard::snapshot(db, now + i).await.unwrap();
        counts.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    counts.sort_by(f64::total_cmp);
    println!(
        "bench-dashboard: daily count of {n} connections in {} environments x5: median {:.1} ms, max {:.1} ms",
        envs + 3,
        counts[2],
        counts[4]
    );
    let t = std::time::Instant::now();
    let pruned = dashboard::prune(db, now).await.unwrap();
    println!(
        "bench-dashboard: prune of {pruned} rows older than 35 days: {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    w.stop().await;
}
