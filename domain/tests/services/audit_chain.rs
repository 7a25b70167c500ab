//! The audit log's hash chain and the audit stream, against a real database
//! on the backend chosen by `PINBRIDGE_TEST_BACKEND`: records chained in
//! order (those written before the chain too, by the next append or at
//! start-up), every kind of tampering named at its place, appends from many
//! tasks at once, and each record on the audit stream to the endpoints
//! subscribed to it, in the record's transaction.

use std::collections::BTreeMap;

use domain::Services;
use domain::accounts::audit::{self, AuditActor, NewAuditEvent};
use domain::accounts::audit_chain::{self, BreakKind, GENESIS, Hashed};
use domain::accounts::{
    Actor, AuditAction, AuditEventId, EnvironmentId, WebhookEndpointId, WorkspaceId, actor_in,
    environments,
};
use domain::db::Db;
use domain::db::repo::audit_events::{self as rows, ChainRow};
use domain::shared::WebhookEventType;
use domain::testing::{TestDb, services};
use domain::webhooks::endpoints::{self, EndpointInput};
use serde_json::Value;

use crate::accounts::{first_workspace, meta, other_workspace};

const NOWHERE: &str = "http://127.0.0.1:9";

/// A workspace and its environments (Development, Production).
struct Log {
    test_db: TestDb,
    services: Services,
    actor: Actor,
    envs: Vec<EnvironmentId>,
}

impl Log {
    async fn new() -> Self {
        let test_db = TestDb::new().await;
        let services = services(test_db.connect().await, NOWHERE, NOWHERE);
        let (ws, op) = first_workspace(&services.db, "Acme", "owner@acme.example").await;
        let actor = actor_in(&services.db, &ws, &op).await.unwrap();
        let envs = environments::list(&services.db, &actor)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        Self {
            test_db,
            services,
            actor,
            envs,
        }
    }

    fn db(&self) -> &Db {
        &self.services.db
    }

    fn ws(&self) -> &WorkspaceId {
        self.actor.workspace_id()
    }

    async fn stop(self) {
        self.services.db.close().await;
        self.test_db.drop_database().await;
    }
}

fn event(ws: &WorkspaceId, env: Option<&EnvironmentId>, target: &str) -> NewAuditEvent {
    NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: env.cloned(),
        actor: AuditActor::system(),
        action: AuditAction::EnvironmentRenamed,
        target: target.to_owned(),
        detail: audit::detail([("name", target.into())]),
    }
}

async fn append(db: &Db, ws: &WorkspaceId, env: Option<&EnvironmentId>, target: &str) {
    audit::append(db, event(ws, env, target), &meta())
        .await
        .unwrap();
}

/// The workspace's chained records, in chain order.
async fn chain(db: &Db, ws: &WorkspaceId) -> Vec<ChainRow> {
    rows::chain_page(db, ws, 0, 1_000_000).await.unwrap()
}

async fn count(db: &Db, sql: &str, ws: &WorkspaceId) -> i64 {
    domain::on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(sql).bind(ws.as_str()).fetch_one(pool).await
    })
    .unwrap()
}

async fn execute(db: &Db, sql: &str, args: &[&str]) {
    domain::on_pool!(db, pool => {
        let mut query = sqlx::query(sql);
        for arg in args {
            query = query.bind(*arg);
        }
        query.execute(pool).await.map(|_| ())
    })
    .unwrap();
}

/// Takes the workspace back to before the chain: no places, no hashes, no head.
async fn unchain(db: &Db, ws: &WorkspaceId) {
    execute(
        db,
        "update audit_events set seq = null, prev_hash = null, hash = null where workspace_id = $1",
        &[ws.as_str()],
    )
    .await;
    execute(
        db,
        "delete from audit_chain_heads where workspace_id = $1",
        &[ws.as_str()],
    )
    .await;
}

/// A record as a pinbridge older than the chain wrote it: no place.
async fn insert_unplaced(db: &Db, ws: &WorkspaceId, target: &str, created_at: i64) -> String {
    let id = AuditEventId::generate().to_string();
    domain::on_pool!(db, pool => {
        sqlx::query(
            "insert into audit_events (id, workspace_id, actor_label, action, target, detail, \
             created_at) values ($1, $2, 'cli', 'environment.renamed', $3, '{}', $4)",
        )
        .bind(&id)
        .bind(ws.as_str())
        .bind(target)
        .bind(created_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
    .unwrap();
    id
}

/// The workspace's record ids, oldest first (`created_at`, then id).
async fn ids_by_time(db: &Db, ws: &WorkspaceId) -> Vec<String> {
    domain::on_pool!(db, pool => {
        sqlx::query_scalar::<_, String>(
            "select id from audit_events where workspace_id = $1 order by created_at, id",
        )
        .bind(ws.as_str())
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// Each record's place follows the one before, its `prev_hash` is that
/// record's hash, its hash is its contents', and the head is the last.
async fn assert_linked(db: &Db, ws: &WorkspaceId) -> Vec<ChainRow> {
    let rows = chain(db, ws).await;
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let seq = i64::try_from(i).unwrap() + 1;
        assert_eq!(row.seq, Some(seq), "{rows:#?}");
        assert_eq!(row.prev_hash.as_deref(), Some(prev.as_str()), "at {seq}");
        let hash = Hashed::of_stored(row, seq, &prev).hash();
        assert_eq!(row.hash.as_deref(), Some(hash.as_str()), "at {seq}");
        prev = hash;
    }
    let head = rows::head(db, ws).await.unwrap().expect("a head");
    assert_eq!(head, (i64::try_from(rows.len()).unwrap(), prev));
    rows
}

/// The workspace's one report: (records, the break's place, record, kind, words).
async fn verdict(
    db: &Db,
    ws: &WorkspaceId,
) -> (
    u64,
    Option<(Option<i64>, Option<String>, BreakKind, String)>,
) {
    let reports = audit_chain::verify(db, Some(ws)).await.unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(&report.workspace_id, ws);
    let found = report
        .first_break
        .as_ref()
        .map(|b| (b.seq, b.record_id.clone(), b.kind.clone(), b.to_string()));
    (report.records, found)
}

#[tokio::test]
async fn records_are_chained_one_after_another_and_verify_whole() {
    let log = Log::new().await;
    let before = chain(log.db(), log.ws()).await.len();
    assert!(
        before > 0,
        "setup writes records, chained as they are written"
    );
    for i in 0..5 {
        append(log.db(), log.ws(), log.envs.first(), &format!("env-{i}")).await;
    }
    let rows = assert_linked(log.db(), log.ws()).await;
    assert_eq!(rows.len(), before + 5);
    assert_eq!(rows.last().unwrap().target, "env-4");
    let (records, found) = verdict(log.db(), log.ws()).await;
    assert_eq!((records, found), (u64::try_from(before + 5).unwrap(), None));
    assert_eq!(
        count(
            log.db(),
            "select count(*) from audit_events where workspace_id = $1 and seq is null",
            log.ws()
        )
        .await,
        0
    );
    log.stop().await;
}

#[tokio::test]
async fn records_written_before_the_chain_are_chained_in_their_order_first() {
    let log = Log::new().await;
    unchain(log.db(), log.ws()).await;
    // Written out of time order: the chain follows `created_at`, not the
    // order of insertion.
    insert_unplaced(log.db(), log.ws(), "third", 3_000).await;
    insert_unplaced(log.db(), log.ws(), "first", 1_000).await;
    insert_unplaced(log.db(), log.ws(), "second", 2_000).await;
    let mut expected = ids_by_time(log.db(), log.ws()).await;
    assert!(chain(log.db(), log.ws()).await.is_empty());

    append(log.db(), log.ws(), None, "after the upgrade").await;
    let rows = assert_linked(log.db(), log.ws()).await;
    let newest = rows.last().unwrap();
    assert_eq!(newest.target, "after the upgrade");
    expected.push(newest.id.clone());
    assert_eq!(
        rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        rows[..3]
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>(),
        ["first", "second", "third"]
    );
    assert_eq!(verdict(log.db(), log.ws()).await.1, None);
    log.stop().await;
}

#[tokio::test]
async fn start_up_chains_what_was_written_before_and_only_that() {
    let log = Log::new().await;
    let other = other_workspace(log.db(), "Beta", "owner@beta.example").await;
    unchain(log.db(), log.ws()).await;
    insert_unplaced(log.db(), log.ws(), "old", 1_000).await;
    let unplaced = ids_by_time(log.db(), log.ws()).await;
    // Beta's chain has begun: a record without a place there was put in
    // behind pinbridge's back, and must not be laundered into the chain.
    let intruder = insert_unplaced(log.db(), &other.workspace_id, "intruder", 5_000).await;

    let chained = audit_chain::chain_pending(log.db()).await.unwrap();
    assert_eq!(chained, u64::try_from(unplaced.len()).unwrap());
    let rows = assert_linked(log.db(), log.ws()).await;
    assert_eq!(
        rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        unplaced
    );
    assert_eq!(audit_chain::chain_pending(log.db()).await.unwrap(), 0);

    let (_, found) = verdict(log.db(), &other.workspace_id).await;
    let (seq, id, kind, words) = found.expect("the intruder is reported");
    assert_eq!(
        (seq, id.as_deref(), kind),
        (None, Some(intruder.as_str()), BreakKind::Unchained)
    );
    assert!(words.contains("not in the chain"), "{words}");
    // The next record does not chain it either.
    append(log.db(), &other.workspace_id, None, "next").await;
    let (_, found) = verdict(log.db(), &other.workspace_id).await;
    assert_eq!(found.map(|f| f.2), Some(BreakKind::Unchained));

    let all = audit_chain::verify(log.db(), None).await.unwrap();
    let whole: BTreeMap<String, bool> = all
        .iter()
        .map(|r| (r.workspace.clone(), r.is_whole()))
        .collect();
    assert_eq!(
        whole,
        BTreeMap::from([("Acme".to_owned(), true), ("Beta".to_owned(), false)])
    );
    log.stop().await;
}

#[tokio::test]
async fn an_edited_row_is_named_at_its_place_and_whole_again_once_restored() {
    let log = Log::new().await;
    for i in 0..4 {
        append(log.db(), log.ws(), None, &format!("record {i}")).await;
    }
    let rows = assert_linked(log.db(), log.ws()).await;
    let victim = &rows[rows.len() - 2];
    let seq = victim.seq.unwrap();
    let created_at = victim.created_at.to_string();
    let edits = [
        ("target", "'someone else'", format!("'{}'", victim.target)),
        (
            "detail",
            "'{\"name\":\"forged\"}'",
            format!("'{}'", victim.detail),
        ),
        ("created_at", "1", created_at),
    ];
    for (column, forged, original) in edits {
        let set = |value: &str| format!("update audit_events set {column} = {value} where id = $1");
        execute(log.db(), &set(forged), &[&victim.id]).await;
        let (records, found) = verdict(log.db(), log.ws()).await;
        let (at, id, kind, words) = found.unwrap_or_else(|| panic!("{column} edited"));
        assert_eq!(
            (at, id.as_deref(), kind),
            (Some(seq), Some(victim.id.as_str()), BreakKind::Edited),
            "{column}"
        );
        assert_eq!(
            records,
            u64::try_from(seq - 1).unwrap(),
            "the records before it are whole"
        );
        assert_eq!(
            words,
            format!("the record at {seq} was edited (its hash does not match its contents)")
        );
        execute(log.db(), &set(&original), &[&victim.id]).await;
        assert_eq!(
            verdict(log.db(), log.ws()).await.1,
            None,
            "{column} restored"
        );
    }
    log.stop().await;
}

#[tokio::test]
async fn a_removed_row_is_named_at_its_place_and_so_are_removed_newest_ones() {
    let log = Log::new().await;
    let other = other_workspace(log.db(), "Beta", "owner@beta.example").await;
    for i in 0..4 {
        append(log.db(), log.ws(), None, &format!("record {i}")).await;
        append(log.db(), &other.workspace_id, None, &format!("record {i}")).await;
    }

    // A record in the middle.
    let rows = chain(log.db(), log.ws()).await;
    let middle = &rows[2];
    execute(
        log.db(),
        "delete from audit_events where id = $1",
        &[&middle.id],
    )
    .await;
    let (records, found) = verdict(log.db(), log.ws()).await;
    let (seq, id, kind, words) = found.expect("a gap");
    assert_eq!(records, 2);
    assert_eq!(
        (seq, id, kind),
        (Some(3), None, BreakKind::Missing { next: 4 })
    );
    assert_eq!(words, "record 3 is missing (the next record found is 4)");

    // The newest: only the head still knows it was there.
    let rows = chain(log.db(), &other.workspace_id).await;
    let newest = rows.last().unwrap();
    let n = newest.seq.unwrap();
    execute(
        log.db(),
        "delete from audit_events where id = $1",
        &[&newest.id],
    )
    .await;
    let (records, found) = verdict(log.db(), &other.workspace_id).await;
    let (seq, _, kind, words) = found.expect("the end is gone");
    assert_eq!(records, u64::try_from(n - 1).unwrap());
    assert_eq!((seq, kind), (Some(n), BreakKind::Truncated { head: n }));
    assert_eq!(
        words,
        format!(
            "the newest record(s) after {} were removed (the head says {n})",
            n - 1
        )
    );
    log.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_from_many_tasks_at_once_make_one_whole_chain() {
    let log = Log::new().await;
    let before = chain(log.db(), log.ws()).await.len();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let db = log.db().clone();
        let ws = log.ws().clone();
        let env = log.envs[i % 2].clone();
        tasks.spawn(async move {
            let env = (i % 3 != 0).then_some(&env);
            audit::append(&db, event(&ws, env, &format!("task {i}")), &meta()).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    let rows = assert_linked(log.db(), log.ws()).await;
    assert_eq!(rows.len(), before + 20);
    let places: std::collections::BTreeSet<i64> = rows.iter().filter_map(|r| r.seq).collect();
    assert_eq!(places.len(), rows.len(), "no place twice");
    assert_eq!(verdict(log.db(), log.ws()).await.1, None);
    log.stop().await;
}

/// Deliveries made so far to each endpoint.
async fn deliveries(db: &Db, endpoints: &[&WebhookEndpointId]) -> Vec<i64> {
    let mut counts = Vec::new();
    for endpoint in endpoints {
        let n = domain::on_pool!(db, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from webhook_deliveries where endpoint_id = $1",
            )
            .bind(endpoint.as_str())
            .fetch_one(pool)
            .await
        })
        .unwrap();
        counts.push(n);
    }
    counts
}

/// The stream's events of one record: (environment, stored type, payload).
async fn events_of(db: &Db, ws: &WorkspaceId, record: &str) -> Vec<(String, String, Value)> {
    let rows: Vec<(String, String, String)> = domain::on_pool!(db, pool => {
        sqlx::query_as(
            "select environment_id, event_type, payload from webhook_events \
             where workspace_id = $1 order by seq",
        )
        .bind(ws.as_str())
        .fetch_all(pool)
        .await
    })
    .unwrap();
    rows.into_iter()
        .map(|(env, kind, payload)| (env, kind, serde_json::from_str(&payload).unwrap()))
        .filter(|(_, _, payload): &(String, String, Value)| payload["data"]["id"] == record)
        .collect()
}

async fn endpoint(
    log: &Log,
    env: &EnvironmentId,
    types: &[WebhookEventType],
    on: bool,
) -> WebhookEndpointId {
    let types: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
    let input = EndpointInput::parse(&format!("{NOWHERE}/hook"), "", &types, on, true).unwrap();
    endpoints::create(&log.services, &log.actor, env, input, &meta())
        .await
        .unwrap()
        .row
        .id
}

#[tokio::test]
async fn every_record_goes_to_the_endpoints_subscribed_to_the_audit_stream_in_its_transaction() {
    let log = Log::new().await;
    let (dev, prod) = (&log.envs[0], &log.envs[1]);
    let audit = [WebhookEventType::Audit];
    let dev_on = endpoint(&log, dev, &audit, true).await;
    let prod_on = endpoint(&log, prod, &audit, true).await;
    let dev_off = endpoint(&log, dev, &audit, false).await;
    let dev_other = endpoint(&log, dev, &[WebhookEventType::ConnectionCreated], true).await;
    let all = [&dev_on, &prod_on, &dev_off, &dev_other];
    let newest = |db: &Db, ws: &WorkspaceId| {
        let (db, ws) = (db.clone(), ws.clone());
        async move { chain(&db, &ws).await.pop().unwrap() }
    };

    // A record of Development: its subscribed endpoint alone.
    let before = deliveries(log.db(), &all).await;
    append(log.db(), log.ws(), Some(dev), "of development").await;
    let after = deliveries(log.db(), &all).await;
    let gained: Vec<i64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(gained, [1, 0, 0, 0]);
    let record = newest(log.db(), log.ws()).await;
    let events = events_of(log.db(), log.ws(), &record.id).await;
    assert_eq!(events.len(), 1);
    let (env, kind, payload) = &events[0];
    assert_eq!((env.as_str(), kind.as_str()), (dev.as_str(), "audit.*"));
    assert_eq!(payload["type"], "audit.environment.renamed");
    assert_eq!(payload["environment"]["id"], dev.as_str());
    let data = &payload["data"];
    assert_eq!(data["seq"], record.seq.unwrap());
    assert_eq!(data["hash"], record.hash.clone().unwrap());
    assert_eq!(data["prev_hash"], record.prev_hash.clone().unwrap());
    assert_eq!(data["environment_id"], dev.as_str());
    assert_eq!(data["action"], "environment.renamed");
    assert_eq!(
        data["actor"],
        serde_json::json!({ "operator_id": null, "label": "pinbridge" })
    );
    assert_eq!(
        data["detail"],
        serde_json::json!({ "name": "of development" })
    );
    assert_eq!(data["ip"], "203.0.113.7");

    // A record of the workspace: each environment's subscribed endpoints.
    let before = after;
    append(log.db(), log.ws(), None, "of the workspace").await;
    let after = deliveries(log.db(), &all).await;
    let gained: Vec<i64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(gained, [1, 1, 0, 0]);
    let record = newest(log.db(), log.ws()).await;
    let events = events_of(log.db(), log.ws(), &record.id).await;
    let mut envs: Vec<&str> = events.iter().map(|(env, _, _)| env.as_str()).collect();
    envs.sort_unstable();
    let mut expected = vec![dev.as_str(), prod.as_str()];
    expected.sort_unstable();
    assert_eq!(envs, expected);
    for (env, _, payload) in &events {
        assert_eq!(payload["environment"]["id"], env.as_str());
        assert_eq!(payload["data"]["environment_id"], Value::Null);
        assert_eq!(payload["data"]["seq"], record.seq.unwrap());
    }

    // Rolled back: neither the record nor its event remains, and the
    // chain's head did not move.
    let head = rows::head(log.db(), log.ws()).await.unwrap();
    let events_before = count(
        log.db(),
        "select count(*) from webhook_events where workspace_id = $1",
        log.ws(),
    )
    .await;
    let records_before = count(
        log.db(),
        "select count(*) from audit_events where workspace_id = $1",
        log.ws(),
    )
    .await;
    let mut tx = log.db().begin().await.unwrap();
    audit::append_tx(&mut tx, event(log.ws(), Some(dev), "rolled back"), &meta())
        .await
        .unwrap();
    let inside = domain::on_tx!(&mut tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from webhook_events where workspace_id = $1",
        )
        .bind(log.ws().as_str())
        .fetch_one(conn)
        .await
    })
    .unwrap();
    assert_eq!(
        inside,
        events_before + 1,
        "written in the record's transaction"
    );
    drop(tx);
    assert_eq!(
        count(
            log.db(),
            "select count(*) from webhook_events where workspace_id = $1",
            log.ws()
        )
        .await,
        events_before
    );
    assert_eq!(
        count(
            log.db(),
            "select count(*) from audit_events where workspace_id = $1",
            log.ws()
        )
        .await,
        records_before
    );
    assert_eq!(rows::head(log.db(), log.ws()).await.unwrap(), head);
    assert_eq!(verdict(log.db(), log.ws()).await.1, None);
    log.stop().await;
}
