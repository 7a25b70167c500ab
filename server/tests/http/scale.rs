//! The long lists at scale (issue 18), on both backends: the statements the
//! Connections page, the audit log and the scheduler run are served by their
//! indexes (the plans are printed: `--nocapture`); the Connections list pages
//! by cursor through every connection and back, in every state and search;
//! the counts per state follow every change; and absurd addresses (paging,
//! cursors, searches, states, actions) get a message on the page and change
//! nothing. The timings at 100 000 connections and a million audit records
//! are `scripts/bench-scale.sh`'s.

use std::collections::HashSet;

use app::models::{AuditView, ConnectionsPageView, MatchCount};
use domain::accounts::{AuditEventId, ConnectionId, EnvironmentId, OperatorId, WorkspaceId};
use domain::db::Db;
use domain::db::repo::audit_events::{self, AuditQuery};
use domain::db::repo::connections::{self as rows, Cursor, Due, Position};
use domain::db::repo::seed::{self, ScaleSpec, Seeded};
use domain::db::repo::statement::{Statement, explain};
use domain::shared::{AuditAction, Health};
use reqwest::StatusCode;

use crate::common::portal::{Browser, Owned, set_up};
use crate::common::{TestApp, TestBackend, backend};

/// A workspace whose Development environment holds `connections` seeded
/// connections and whose log holds `audit` records.
struct Scaled {
    app: TestApp,
    owner: Owned,
    ws: WorkspaceId,
    env: EnvironmentId,
    env_slug: String,
    seeded: Seeded,
}

impl Scaled {
    async fn new(connections: i64, audit: i64) -> Self {
        let app = TestApp::spawn().await;
        let owner = set_up(&app, "Scale Co", "owner@scale.test").await;
        let view = owner.browser.workspace(&owner.workspace_id).await.unwrap();
        let dev = view.environments[0].clone();
        let prod = view.environments[1].clone();
        let ws = WorkspaceId::parse(&owner.workspace_id).unwrap();
        let env = EnvironmentId::parse(&dev.id).unwrap();
        let spec = ScaleSpec {
            connections,
            probes_per_connection: 2,
            long_history: 10,
            audit_events: audit,
            actors: 4,
            now: domain::db::now_ms(),
        };
        let seeded = seed::seed(
            &app.state().db,
            &ws,
            &env,
            &EnvironmentId::parse(&prod.id).unwrap(),
            "sealed-for-the-test",
            &spec,
        )
        .await
        .unwrap();
        seed::analyze(&app.state().db).await.unwrap();
        Self {
            app,
            owner,
            ws,
            env,
            env_slug: dev.slug,
            seeded,
        }
    }

    fn db(&self) -> &Db {
        &self.app.state().db
    }

    /// The Connections list's server function with `query`.
    async fn list(&self, query: &[(&str, &str)]) -> ConnectionsPageView {
        self.try_list(query).await.unwrap()
    }

    async fn try_list(
        &self,
        query: &[(&str, &str)],
    ) -> Result<ConnectionsPageView, app::errors::AppError> {
        let mut form = vec![
            ("workspace", self.owner.workspace_id.as_str()),
            ("environment", self.env_slug.as_str()),
        ];
        form.extend_from_slice(query);
        self.owner.browser.call("connections/view", &form).await
    }

    /// Every connection's id in the list's order (newest first), in `health`.
    async fn all_ids(&self, health: Option<Health>) -> Vec<String> {
        let mut st = Statement::default();
        let env = st.text(self.env.as_str());
        let filter = health.map_or(String::new(), |h| {
            format!(" and health = {}", st.text(h.as_str()))
        });
        let sql = format!(
            "select id from connections where environment_id = {env}{filter} \
             order by created_at desc, id desc"
        );
        let args = st.args.clone();
        let ids: Vec<(String,)> = domain::on_pool!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql);
            for a in &args {
                if let domain::db::repo::statement::Arg::Text(t) = a {
                    q = q.bind(t.clone());
                }
            }
            q.fetch_all(pool).await
        })
        .unwrap();
        ids.into_iter().map(|(id,)| id).collect()
    }

    /// Follows Older from the first page of `query` to the last: every id seen.
    async fn walk_older(&self, query: &[(&str, &str)]) -> Vec<String> {
        let mut seen = Vec::new();
        let mut page = self.list(query).await;
        loop {
            seen.extend(page.rows.iter().map(|r| r.id.clone()));
            let Some(older) = page.older.clone() else {
                break;
            };
            let mut next = query.to_vec();
            next.push(("after", &older));
            page = self.list(&next).await;
        }
        seen
    }

    /// Follows Newer from the oldest page of `query` back to the newest.
    async fn walk_newer(&self, query: &[(&str, &str)]) -> Vec<String> {
        let mut last = query.to_vec();
        last.push(("page", "last"));
        let mut page = self.list(&last).await;
        let mut seen = Vec::new();
        loop {
            seen.splice(0..0, page.rows.iter().map(|r| r.id.clone()));
            let Some(newer) = page.newer.clone() else {
                break;
            };
            let mut next = query.to_vec();
            next.push(("before", &newer));
            page = self.list(&next).await;
        }
        seen
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

fn backend_label() -> &'static str {
    match backend() {
        TestBackend::Sqlite => "SQLite",
        TestBackend::Postgres => "PostgreSQL",
    }
}

/// Asks for `statement`'s plan, prints it, and checks it: no table of the
/// long lists read whole, `index` named, and (`ordered`) no sort: the rows
/// come in the index's order, so a LIMIT stops the walk.
async fn assert_plan(db: &Db, what: &str, statement: &Statement, index: &str, ordered: bool) {
    let plan = explain(db, statement, true).await.unwrap();
    let text = plan.join("\n");
    println!("plan ({}) {what}:\n{text}\n", backend_label());
    assert!(text.contains(index), "{what}: {index} unused:\n{text}");
    for line in &plan {
        let line = line.trim_start_matches([' ', '-', '>']);
        match backend() {
            TestBackend::Sqlite => {
                for table in ["connections", "audit_events", "connection_probes"] {
                    assert!(
                        !line.starts_with(&format!("SCAN {table}")),
                        "{what}: {table} is read whole:\n{text}"
                    );
                }
                if ordered {
                    assert!(
                        !line.contains("TEMP B-TREE FOR ORDER BY"),
                        "{what}: sorted:\n{text}"
                    );
                }
            }
            TestBackend::Postgres => {
                assert!(
                    !line.starts_with("Seq Scan"),
                    "{what}: a table is read whole:\n{text}"
                );
                if ordered {
                    assert!(
                        !line.starts_with("Sort") && !line.starts_with("Incremental Sort"),
                        "{what}: sorted:\n{text}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_long_lists_and_the_scheduler_are_read_through_their_indexes() {
    let s = Scaled::new(3000, 6000).await;
    let db = s.db();
    let (ws, env) = (&s.ws, &s.env);
    let newest = rows::find_by_id(db, &s.seeded.newest)
        .await
        .unwrap()
        .unwrap();
    let cursor = Cursor::of(&newest);
    let all = "*";
    for (name, health, position) in [
        ("connections, newest", None, Position::Newest),
        ("connections, older", None, Position::After(cursor.clone())),
        ("connections, newer", None, Position::Before(cursor.clone())),
        ("connections, oldest", None, Position::Oldest),
        (
            "connections in a state",
            Some(Health::Revoked),
            Position::Newest,
        ),
        (
            "connections in a state, older",
            Some(Health::NeedsReauth),
            Position::After(cursor.clone()),
        ),
        (
            "connections in a state, oldest",
            Some(Health::Active),
            Position::Oldest,
        ),
    ] {
        let st = rows::list_statement(ws, env, health, None, &position, 26, all);
        let index = if health.is_some() {
            "connections_state_list"
        } else {
            "connections_list"
        };
        assert_plan(db, name, &st, index, true).await;
    }
    for column in rows::SEARCHED {
        let st = rows::search_statement(db, ws, env, column, "user-0001", 1001);
        let index = match column {
            "end_user_id" => "connections_search_end_user",
            "display_name" => "connections_search_name",
            _ => "connections_search_username",
        };
        assert_plan(db, &format!("search by {column}"), &st, index, false).await;
    }
    // `connections_probe_due_by_environment`, or (PostgreSQL, which knows
    // that none is due) `connections_probe_due`: a range either way.
    let st = rows::run_remaining_statement(ws, env, domain::db::now_ms());
    assert_plan(
        db,
        "check all's progress",
        &st,
        "connections_probe_due",
        false,
    )
    .await;
    let st = rows::recent_probes_statement(ws, &s.seeded.newest, 50);
    assert_plan(
        db,
        "a connection's probes",
        &st,
        "connection_probes_connection",
        false,
    )
    .await;
    for (name, due, index) in [
        (
            "the scheduler's refresh claim",
            Due::Refresh,
            "connections_refresh_due",
        ),
        (
            "the scheduler's probe claim",
            Due::Probe,
            "connections_probe_due",
        ),
    ] {
        let now = domain::db::now_ms();
        let st = rows::claim_due_statement(db, due, "planner", now, now + 60_000, 16);
        assert_plan(db, name, &st, index, false).await;
    }
    // The audit log: each filter, first page and deep.
    let actor = OperatorId::parse(&s.seeded.actors[0].0.to_string()).unwrap();
    let event: (i64, String) = domain::on_pool!(db, pool => {
        sqlx::query_as(
            "select created_at, id from audit_events where workspace_id = $1 \
             order by created_at, id limit 1 offset 100",
        )
        .bind(ws)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let event_id = AuditEventId::parse(&event.1).unwrap();
    for deep in [false, true] {
        let before = deep.then_some((event.0, &event_id));
        let q = |environment_id, actor_operator_id, action| AuditQuery {
            environment_id,
            actor_operator_id,
            action,
            before,
            limit: 51,
        };
        let page = if deep { ", deep" } else { "" };
        for (name, query, index) in [
            (
                "audit log",
                q(None, None, None),
                "audit_events_workspace_time",
            ),
            (
                "audit log by environment",
                q(Some(env), None, None),
                "audit_events_environment",
            ),
            (
                "audit log by actor",
                q(None, Some(&actor), None),
                "audit_events_actor",
            ),
            (
                "audit log by action",
                q(None, None, Some(AuditAction::ConnectionRefreshed)),
                "audit_events_action",
            ),
        ] {
            let st = audit_events::list_statement(ws, &query);
            assert_plan(db, &format!("{name}{page}"), &st, index, true).await;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn the_connections_list_pages_by_cursor_through_everything_and_back() {
    let s = Scaled::new(1200, 0).await;
    // Every connection once, in order, both ways (pairs share a creation time:
    // the id breaks the tie).
    let all = s.all_ids(None).await;
    assert_eq!(all.len(), 1200);
    let first = s.list(&[]).await;
    assert_eq!(first.matching, MatchCount::Exactly(1200));
    assert_eq!(first.rows.len(), 25);
    assert!(first.newer.is_none());
    assert_eq!(s.walk_older(&[]).await, all);
    assert_eq!(s.walk_newer(&[]).await, all);
    let last = s.list(&[("page", "last")]).await;
    assert_eq!(
        last.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        all[all.len() - 25..].to_vec()
    );
    assert!(last.older.is_none() && last.newer.is_some());
    // In one state.
    let revoked = s.all_ids(Some(Health::Revoked)).await;
    let query = [("state", "revoked")];
    assert_eq!(
        s.list(&query).await.matching,
        MatchCount::Exactly(revoked.len() as i64)
    );
    assert_eq!(s.walk_older(&query).await, revoked);
    assert_eq!(s.walk_newer(&query).await, revoked);
    // A search with few matches is counted and sorted: user-001100…user-001199.
    let few: Vec<String> = all
        .iter()
        .filter(|id| {
            let n = u64::from_str_radix(&id[24..], 16).unwrap();
            (1100..1200).contains(&n)
        })
        .cloned()
        .collect();
    let query = [("search", "USER-0011")];
    assert_eq!(s.list(&query).await.matching, MatchCount::Exactly(100));
    assert_eq!(s.walk_older(&query).await, few);
    assert_eq!(s.walk_newer(&query).await, few);
    // The username's @ is allowed; a display name matches by its start too.
    let by_name = s.list(&[("search", "@pinner_00119")]).await;
    assert_eq!(by_name.matching, MatchCount::Exactly(10));
    // Customer 000010…000019, but those whose number is a multiple of 3 have none.
    let by_display = s.list(&[("search", "customer 00001")]).await;
    assert_eq!(by_display.matching, MatchCount::Exactly(7));
    // One with more than a thousand reads the list in order instead.
    let query = [("search", "user-")];
    let many = s.list(&query).await;
    assert_eq!(many.matching, MatchCount::MoreThan(1000));
    assert_eq!(s.walk_older(&query).await, all);
    assert_eq!(s.walk_newer(&query).await, all);
    let query = [("search", "user-"), ("state", "degraded")];
    let degraded = s.all_ids(Some(Health::Degraded)).await;
    assert_eq!(s.list(&query).await.matching, MatchCount::Uncounted);
    assert_eq!(s.walk_older(&query).await, degraded);
    // Nothing found is an empty page without links.
    let none = s.list(&[("search", "nobody")]).await;
    assert_eq!(none.matching, MatchCount::Exactly(0));
    assert!(none.rows.is_empty() && none.older.is_none() && none.newer.is_none());
    s.stop().await;
}

#[tokio::test]
async fn a_search_reads_at_most_its_budget_per_page_and_goes_on_from_there() {
    // 30 000 connections; "customer 00" starts the display names of the
    // oldest 10 000 (two in three have one): more than a thousand, so the
    // list is read in order, and the newest 20 000 do not match.
    let s = Scaled::new(30_000, 0).await;
    let query = [("search", "customer 00")];
    let first = s.list(&query).await;
    assert!(first.rows.is_empty(), "{:?}", first.rows.first());
    assert_eq!(
        first.search_stopped,
        Some(domain::connections::portal::SEARCH_BUDGET)
    );
    let go_on = first.older.clone().expect("Older goes on searching");
    let next = s.list(&[query[0], ("after", &go_on)]).await;
    assert_eq!(next.rows.len(), 25);
    assert!(next.search_stopped.is_none());
    assert!(
        next.rows.iter().all(|r| r
            .display_name
            .as_deref()
            .unwrap()
            .starts_with("Customer 00")),
        "{:?}",
        next.rows[0]
    );
    assert_eq!(next.rows[0].end_user_id, "user-009998");
    // The page shows why it is empty.
    let page = s
        .owner
        .browser
        .page(&format!(
            "/w/{}/e/{}/connections?q=customer%2000",
            s.ws, s.env_slug
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-field=\"search-stopped\""));
    assert!(page.body.contains("20000") && page.body.contains("without filling the page"));
    s.stop().await;
}

/// `(health, n)` by counting, and as `connection_counts` holds them.
async fn counted(db: &Db, env: &EnvironmentId) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let actual: Vec<(String, i64)> = domain::on_pool!(db, pool => {
        sqlx::query_as(
            "select health, count(*) from connections where environment_id = $1 \
             group by health order by health",
        )
        .bind(env)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    let kept: Vec<(String, i64)> = domain::on_pool!(db, pool => {
        sqlx::query_as(
            "select health, n from connection_counts where environment_id = $1 and n > 0 \
             order by health",
        )
        .bind(env)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    (actual, kept)
}

#[tokio::test]
async fn the_counts_per_state_follow_every_change_even_concurrent_opposite_ones() {
    let s = Scaled::new(200, 0).await;
    let db = s.db().clone();
    let (actual, kept) = counted(&db, &s.env).await;
    assert_eq!(actual, kept);
    // New connections, through the test helper's insert.
    domain::testing::insert_connections(&db, &s.ws, &s.env, &["extra-1", "extra-2"]).await;
    // Forty transactions at once, half moving active to degraded and half
    // degraded to active: on PostgreSQL each takes two count rows, in one
    // order, so none deadlocks.
    let ids: Vec<(String, String)> = domain::on_pool!(&db, pool => {
        sqlx::query_as(
            "select id, health from connections where environment_id = $1 \
             and health in ('active', 'degraded') order by id limit 60",
        )
        .bind(&s.env)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    let mut tasks = Vec::new();
    for (id, health) in ids.into_iter().take(40) {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let to = if health == "active" {
                "degraded"
            } else {
                "active"
            };
            for _ in 0..3 {
                let mut tx = db.begin().await.unwrap();
                domain::on_tx!(&mut tx, conn => {
                    sqlx::query("update connections set health = $1 where id = $2")
                        .bind(to)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                })
                .unwrap();
                tx.commit().await.unwrap();
                let mut tx = db.begin().await.unwrap();
                domain::on_tx!(&mut tx, conn => {
                    sqlx::query("update connections set health = $1 where id = $2")
                        .bind(&health)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                })
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // A disconnect through the portal.
    let (id,): (String,) = domain::on_pool!(&db, pool => {
        sqlx::query_as(
            "select id from connections where environment_id = $1 and health = 'active' limit 1",
        )
        .bind(&s.env)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let said: String = s
        .owner
        .browser
        .call(
            "connection/disconnect",
            &[("workspace", &s.owner.workspace_id), ("connection", &id)],
        )
        .await
        .unwrap();
    assert!(said.starts_with("Disconnected"));
    let (actual, kept) = counted(&db, &s.env).await;
    assert_eq!(actual, kept);
    // The page and the Integrations card show the kept counts.
    let list = s.list(&[]).await;
    let total: i64 = actual.iter().map(|(_, n)| n).sum();
    assert_eq!(list.counts.total(), total);
    assert_eq!(list.matching, MatchCount::Exactly(total));
    let revoked = actual.iter().find(|(h, _)| h == "revoked").unwrap().1;
    assert_eq!(list.counts.get(Health::Revoked), revoked);
    let cards: app::models::IntegrationsView = s
        .owner
        .browser
        .call(
            "environments/integrations",
            &[
                ("workspace", s.owner.workspace_id.as_str()),
                ("environment", &s.env_slug),
            ],
        )
        .await
        .unwrap();
    assert_eq!(cards.integrations[0].connections.total(), total);
    s.stop().await;
}

/// How many rows the tables a page could touch hold, to show nothing changed.
async fn snapshot(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "audit_events",
        "connections",
        "connection_probes",
        "connection_counts",
    ] {
        let sql = format!("select count(*) from {table}");
        let (n,): (i64,) =
            domain::on_pool!(db, pool => sqlx::query_as(&sql).fetch_one(pool).await).unwrap();
        out.push(n);
    }
    let (sum,): (i64,) = domain::on_pool!(db, pool => {
        sqlx::query_as("select cast(coalesce(sum(n), 0) as bigint) from connection_counts")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    out.push(sum);
    out
}

/// Loads `path` and expects the page to refuse it with `message`: 422, never
/// 500, the message and the way back on the page.
async fn refused_page(browser: &Browser, path: &str, message: &str, back: &str) {
    let page = browser.page(path).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    assert!(
        page.body.contains(message),
        "{path}: no “{message}” in the page"
    );
    assert!(page.body.contains(back), "{path}: no way back");
}

#[tokio::test]
async fn absurd_list_addresses_get_a_message_on_the_page_and_change_nothing() {
    let s = Scaled::new(60, 300).await;
    let db = s.db().clone();
    let before = snapshot(&db).await;
    let b = &s.owner.browser;
    let list = format!("/w/{}/e/{}/connections", s.ws, s.env_slug);
    let back = "Show the newest connections";
    let not_a_page = "is not a page: move through the list with Newer and Older";
    let bad_link = "This page link is not valid (it names no connection in this list)";
    let forged = format!("1700000000000_{}", ConnectionId::generate());
    let real = rows::find_by_id(&db, &s.seeded.newest)
        .await
        .unwrap()
        .unwrap();
    let shifted = format!("{}_{}", real.created_at + 1, real.id);
    let long = "x".repeat(10_000);
    for (query, message) in [
        ("page=-1".to_owned(), not_a_page),
        ("page=99999999999999999999".to_owned(), not_a_page),
        ("page=abc".to_owned(), not_a_page),
        ("page=2".to_owned(), not_a_page),
        ("after=garbage".to_owned(), bad_link),
        ("after=-5_x".to_owned(), bad_link),
        ("before=99999999999999999999_nope".to_owned(), bad_link),
        (format!("after=-1_{}", ConnectionId::generate()), bad_link),
        (format!("after={forged}"), bad_link),
        (format!("before={shifted}"), bad_link),
        (format!("after={}", "1".repeat(5000)), bad_link),
        (
            format!("after={forged}&before={forged}"),
            "asks for two places at once",
        ),
        (format!("q={long}"), "Search for at most 100 characters"),
        ("q=a%0Ab".to_owned(), "without line breaks"),
        (
            "state=nonsense".to_owned(),
            "“nonsense” is not a state: filter by one of active, degraded",
        ),
        (format!("state={long}"), "is not a state"),
    ] {
        refused_page(b, &format!("{list}?{query}"), message, back).await;
    }
    // A long state is quoted short, not echoed whole.
    let page = b.page(&format!("{list}?state={long}")).await;
    assert!(!page.body.contains(&"x".repeat(100)));
    // The server function answers the same, naming the field.
    for (field, value, name) in [
        ("page", "abc", "page"),
        ("after", "garbage", "after"),
        ("search", long.as_str(), "search"),
        ("state", "nonsense", "state"),
    ] {
        let err = s.try_list(&[(field, value)]).await.unwrap_err();
        assert!(
            matches!(&err, app::errors::AppError::Invalid { field: Some(f), .. } if f == name),
            "{field}: {err:?}"
        );
    }
    // The audit log: cursors garbled, forged or out of range, unknown actions.
    let log = format!("/w/{}/audit", s.ws);
    let back = "Show the newest events";
    let bad_link = "This page link is not valid (it names no event in this workspace's audit log)";
    for query in [
        "after=garbage".to_owned(),
        "after=-1".to_owned(),
        format!("after=99999999999999999999_{}", AuditEventId::generate()),
        format!("after=-5_{}", AuditEventId::generate()),
        format!("after=1700000000000_{}", AuditEventId::generate()),
        format!("after={}", "9".repeat(10_000)),
    ] {
        refused_page(b, &format!("{log}?{query}"), bad_link, back).await;
    }
    refused_page(
        b,
        &format!("{log}?action=nonsense"),
        "“nonsense” is not an action in the audit log",
        back,
    )
    .await;
    refused_page(
        b,
        &format!("{log}?action={long}"),
        "is not an action in the audit log",
        back,
    )
    .await;
    // A real cursor still works, and pages on.
    let first: AuditView = b
        .call("audit/list", &[("workspace", &s.owner.workspace_id)])
        .await
        .unwrap();
    let next = first.next.clone().unwrap();
    let second: AuditView = b
        .call(
            "audit/list",
            &[("workspace", &s.owner.workspace_id), ("after", &next)],
        )
        .await
        .unwrap();
    let firsts: HashSet<_> = first.entries.iter().map(|e| e.id.clone()).collect();
    assert!(second.entries.iter().all(|e| !firsts.contains(&e.id)));
    assert!(second.entries[0].at <= first.entries.last().unwrap().at);
    // Nothing changed.
    assert_eq!(snapshot(&db).await, before);
    s.stop().await;
}
