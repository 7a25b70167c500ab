//! The audit log taken out, over HTTP: `GET /v1/audit-events` with an
//! environment's API key (its records only, `audit:read` required) and with
//! an owner's workspace key (the whole workspace's, refused everywhere else
//! under /v1); cursor paging that never skips or repeats a record, even as
//! records are appended; every filter; bad input refused with 400 and no
//! change; workspace keys managed by owners alone, never shown twice, logged
//! or audited; and the portal's CSV and JSON lines exports, which hold
//! exactly what the page shows. Both backends.

use std::collections::HashSet;

use app::errors::AppError;
use app::models::{IssuedApiKey, WorkspaceKeysView};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::accounts::audit::{self, AuditActor, NewAuditEvent};
use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::shared::{ApiPermission, AuditAction};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::TestApp;
use crate::common::portal::{Browser, Owned, join, provision, set_up};

/// A workspace with its owner signed in, and its two environments' ids.
struct Fx {
    app: TestApp,
    owner: Owned,
    ws: String,
    dev: String,
    prod: String,
}

async fn fixture() -> Fx {
    crate::common::logs::captured();
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Audit Co", "owner@audit.test").await;
    let ws = owner.workspace_id.clone();
    let (dev, prod) = environments(&owner).await;
    Fx {
        app,
        owner,
        ws,
        dev,
        prod,
    }
}

/// The Development and Production environments' ids of the owner's workspace.
async fn environments(owner: &Owned) -> (String, String) {
    let view = owner.browser.workspace(&owner.workspace_id).await.unwrap();
    let id = |name: &str| {
        view.environments
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .id
            .clone()
    };
    (id("Development"), id("Production"))
}

/// Appends a record as pinbridge's services do.
async fn record(
    app: &TestApp,
    ws: &str,
    env: Option<&str>,
    action: AuditAction,
    actor: &str,
    target: &str,
) {
    audit::append(
        &app.state().db,
        NewAuditEvent {
            workspace_id: WorkspaceId::parse(ws).unwrap(),
            environment_id: env.map(|e| EnvironmentId::parse(e).unwrap()),
            actor: AuditActor {
                operator_id: None,
                label: actor.to_owned(),
            },
            action,
            target: target.to_owned(),
            detail: audit::detail([("note", "from the test".into())]),
        },
        &RequestMeta {
            ip: Some("203.0.113.9".into()),
            user_agent: Some("audit-test/1.0".into()),
        },
    )
    .await
    .unwrap();
}

/// An environment API key of the workspace's owner with `permissions`.
async fn env_key(app: &TestApp, owner: &Owned, env: &str, permissions: &[ApiPermission]) -> String {
    super::api::new_key(
        app,
        &owner.workspace_id,
        &owner.operator_id,
        env,
        permissions,
        100_000,
    )
    .await
    .key
    .expose()
    .to_owned()
}

/// "New workspace key" on the Audit log page, as `browser` sends it.
async fn create_ws_key(browser: &Browser, ws: &str, name: &str) -> Result<IssuedApiKey, AppError> {
    browser
        .call(
            "audit/workspace-keys/create",
            &[("workspace", ws), ("name", name)],
        )
        .await
}

/// A workspace key made by the owner.
async fn ws_key(owner: &Owned, name: &str) -> String {
    create_ws_key(&owner.browser, &owner.workspace_id, name)
        .await
        .unwrap()
        .key
}

async fn ws_keys(browser: &Browser, ws: &str) -> Result<Option<WorkspaceKeysView>, AppError> {
    browser
        .call("audit/workspace-keys", &[("workspace", ws)])
        .await
}

struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, key: Option<&str>) -> Got {
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Got {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> Got {
    send(app, reqwest::Method::GET, path, key).await
}

/// The records of one page, which the test expects to be answered.
fn data(got: &Got) -> Vec<Value> {
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.body["data"].as_array().unwrap().clone()
}

fn targets(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn seqs(records: &[Value]) -> Vec<i64> {
    records.iter().map(|r| r["seq"].as_i64().unwrap()).collect()
}

fn strictly_increasing(seqs: &[i64]) -> bool {
    seqs.windows(2).all(|w| w[0] < w[1])
}

/// Every record matching `query` (`name=value&…`, or empty), page after page.
async fn walk(app: &TestApp, key: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit-events?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let got = get(app, &path, Some(key)).await;
        let page = data(&got);
        assert!(page.len() <= limit);
        out.extend(page);
        if got.body["has_more"] != true {
            return out;
        }
        cursor = Some(got.body["next_cursor"].as_str().unwrap().to_owned());
    }
}

fn problem(got: &Got, status: StatusCode, kind: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    assert_eq!(
        got.headers["content-type"], "application/problem+json",
        "{}",
        got.text
    );
    assert_eq!(
        got.body["type"],
        format!("urn:pinbridge:problem:{kind}"),
        "{}",
        got.text
    );
}

/// How many records the workspace's log holds.
async fn count(app: &TestApp, ws: &str) -> i64 {
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, i64>("select count(*) from audit_events where workspace_id = $1")
            .bind(ws)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

/// Everything every audit record holds, as text.
async fn audit_text(app: &TestApp) -> String {
    let rows: Vec<(String, String, String, String)> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_as("select action, actor_label, target, detail from audit_events")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    format!("{rows:?}")
}

/// What the session store holds, as text.
async fn sessions_text(app: &TestApp) -> String {
    let sessions: Vec<Vec<u8>> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select data from sessions").fetch_all(pool).await
    })
    .unwrap();
    sessions
        .iter()
        .map(|data| String::from_utf8_lossy(data).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_api_key_reads_its_environments_records_and_nothing_else() {
    let fx = fixture().await;
    let other = provision(&fx.app, "Other Co", "owner@other.test").await;
    let (other_dev, _) = environments(&other).await;
    let pinterest = AuditAction::PinterestSettingsChanged;
    for i in 0..3 {
        let target = format!("dev-{i}");
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.dev),
            pinterest,
            "ada@audit.test",
            &target,
        )
        .await;
    }
    for i in 0..2 {
        let target = format!("prod-{i}");
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.prod),
            pinterest,
            "ada@audit.test",
            &target,
        )
        .await;
    }
    record(
        &fx.app,
        &fx.ws,
        None,
        AuditAction::MemberAdded,
        "ada@audit.test",
        "workspace-0",
    )
    .await;
    let theirs_ws = other.workspace_id.clone();
    record(
        &fx.app,
        &theirs_ws,
        Some(&other_dev),
        pinterest,
        "eve@other.test",
        "theirs-0",
    )
    .await;

    let dev_key = env_key(&fx.app, &fx.owner, &fx.dev, &[ApiPermission::AuditRead]).await;
    let got = get(&fx.app, "/v1/audit-events", Some(&dev_key)).await;
    let records = data(&got);
    assert_eq!(got.headers["cache-control"], "no-store");
    assert!(got.headers.contains_key("ratelimit"));
    assert!(got.headers.contains_key("ratelimit-policy"));
    let seen = targets(&records);
    for t in ["dev-0", "dev-1", "dev-2"] {
        assert!(seen.contains(&t.to_owned()), "{t} in {seen:?}");
    }
    assert!(
        records
            .iter()
            .all(|r| r["environment_id"] == fx.dev.as_str()),
        "only its environment's: {seen:?}"
    );
    assert!(
        strictly_increasing(&seqs(&records)),
        "oldest first by place"
    );
    // Each record's shape.
    let r = records.iter().find(|r| r["target"] == "dev-0").unwrap();
    assert_eq!(r["action"], "pinterest.settings_changed");
    assert_eq!(r["actor"]["label"], "ada@audit.test");
    assert!(r["actor"]["operator_id"].is_null());
    assert_eq!(r["detail"]["note"], "from the test");
    assert_eq!(r["ip"], "203.0.113.9");
    assert_eq!(r["user_agent"], "audit-test/1.0");
    assert!(r["id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(r["seq"].as_i64().is_some_and(|s| s >= 1));
    assert!(r["hash"].is_string());
    assert!(r["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let mut fields: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "action",
            "actor",
            "created_at",
            "detail",
            "environment_id",
            "hash",
            "id",
            "ip",
            "prev_hash",
            "seq",
            "target",
            "user_agent"
        ]
    );

    // Another environment's id, or another workspace's, matches nothing.
    for env in [&fx.prod, &other_dev] {
        let path = format!("/v1/audit-events?environment_id={env}");
        assert_eq!(
            data(&get(&fx.app, &path, Some(&dev_key)).await),
            Vec::<Value>::new()
        );
    }
    // The other workspace's key sees none of this workspace's records.
    let theirs = env_key(&fx.app, &other, &other_dev, &[ApiPermission::AuditRead]).await;
    let theirs_seen = targets(&walk(&fx.app, &theirs, "", 500).await);
    assert!(theirs_seen.contains(&"theirs-0".to_owned()));
    assert!(
        theirs_seen
            .iter()
            .all(|t| !t.starts_with("dev-") && !t.starts_with("prod-") && t != "workspace-0"),
        "{theirs_seen:?}"
    );

    // A key without `audit:read` is refused, naming the permission.
    let without = env_key(
        &fx.app,
        &fx.owner,
        &fx.dev,
        &[ApiPermission::ConnectionsRead],
    )
    .await;
    let got = get(&fx.app, "/v1/audit-events", Some(&without)).await;
    problem(&got, StatusCode::FORBIDDEN, "permission-missing");
    assert_eq!(got.body["permission"], "audit:read");
    assert!(got.body["detail"].as_str().unwrap().contains("audit:read"));

    // No key, a mistyped one, a revoked one: 401.
    let got = get(&fx.app, "/v1/audit-events", None).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(got.headers.contains_key("www-authenticate"));
    let mut typo = dev_key.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'a' { 'b' } else { 'a' });
    let got = get(&fx.app, "/v1/audit-events", Some(&typo)).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    let revoked = super::api::new_key(
        &fx.app,
        &fx.ws,
        &fx.owner.operator_id,
        &fx.dev,
        &[ApiPermission::AuditRead],
        1000,
    )
    .await;
    let actor = actor_in(
        &fx.app.state().db,
        &WorkspaceId::parse(&fx.ws).unwrap(),
        &OperatorId::parse(&fx.owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    domain::api::keys::revoke(
        fx.app.state(),
        &actor,
        &EnvironmentId::parse(&fx.dev).unwrap(),
        &revoked.row.id,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let got = get(&fx.app, "/v1/audit-events", Some(revoked.key.expose())).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(got.body["detail"].as_str().unwrap().contains("revoked"));
    fx.app.stop().await;
}

#[tokio::test]
async fn a_workspace_key_reads_the_whole_workspace_and_is_refused_elsewhere() {
    let fx = fixture().await;
    let other = provision(&fx.app, "Other Co", "owner@other.test").await;
    let (other_dev, _) = environments(&other).await;
    let pinterest = AuditAction::PinterestSettingsChanged;
    record(
        &fx.app,
        &fx.ws,
        Some(&fx.dev),
        pinterest,
        "ada@audit.test",
        "dev-0",
    )
    .await;
    record(
        &fx.app,
        &fx.ws,
        Some(&fx.prod),
        pinterest,
        "ada@audit.test",
        "prod-0",
    )
    .await;
    record(
        &fx.app,
        &fx.ws,
        None,
        AuditAction::MemberAdded,
        "ada@audit.test",
        "workspace-0",
    )
    .await;
    let theirs_ws = other.workspace_id.clone();
    record(
        &fx.app,
        &theirs_ws,
        Some(&other_dev),
        pinterest,
        "eve@other.test",
        "theirs-0",
    )
    .await;
    let key = ws_key(&fx.owner, "SIEM").await;
    assert!(key.starts_with("pinbridge_ws_"), "{key}");

    let got = get(&fx.app, "/v1/audit-events?limit=500", Some(&key)).await;
    let records = data(&got);
    assert_eq!(
        got.headers["ratelimit-policy"], "\"per-key\";q=600;w=60",
        "a workspace key's own limit"
    );
    assert!(got.headers.contains_key("ratelimit"));
    let seen = targets(&records);
    for t in ["dev-0", "prod-0", "workspace-0"] {
        assert!(seen.contains(&t.to_owned()), "{t} in {seen:?}");
    }
    assert!(!seen.contains(&"theirs-0".to_owned()));
    let created = records
        .iter()
        .find(|r| r["action"] == "workspace.key_created")
        .expect("the key's own creation is in the log");
    assert!(
        created["environment_id"].is_null(),
        "a workspace-level record"
    );
    assert_eq!(created["actor"]["label"], "owner@audit.test");
    assert!(created["actor"]["operator_id"].is_string());
    assert!(strictly_increasing(&seqs(&records)));

    // One environment's records; another workspace's environment matches nothing.
    let path = format!("/v1/audit-events?environment_id={}", fx.prod);
    let prod = data(&get(&fx.app, &path, Some(&key)).await);
    assert!(targets(&prod).contains(&"prod-0".to_owned()));
    assert!(prod.iter().all(|r| r["environment_id"] == fx.prod.as_str()));
    let path = format!("/v1/audit-events?environment_id={other_dev}");
    assert_eq!(
        data(&get(&fx.app, &path, Some(&key)).await),
        Vec::<Value>::new()
    );
    let got = get(
        &fx.app,
        "/v1/audit-events?environment_id=production",
        Some(&key),
    )
    .await;
    problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
    assert_eq!(got.body["field"], "environment_id");

    // Everywhere else under /v1, a workspace key is refused as such.
    for (method, path) in [
        (reqwest::Method::GET, "/v1/connections"),
        (reqwest::Method::POST, "/v1/connect-sessions"),
        (reqwest::Method::GET, "/v1/no-such-endpoint"),
    ] {
        let got = send(&fx.app, method, path, Some(&key)).await;
        problem(&got, StatusCode::FORBIDDEN, "permission-missing");
        assert!(
            got.body["detail"]
                .as_str()
                .unwrap()
                .contains("only reads the audit log (GET /v1/audit-events)"),
            "{path}: {}",
            got.text
        );
    }

    // A garbled workspace key and a revoked one: 401.
    let mut typo = key.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'a' { 'b' } else { 'a' });
    let got = get(&fx.app, "/v1/audit-events", Some(&typo)).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    let view = ws_keys(&fx.owner.browser, &fx.ws).await.unwrap().unwrap();
    let notice: String = fx
        .owner
        .browser
        .call(
            "audit/workspace-keys/revoke",
            &[("workspace", &fx.ws), ("key_id", &view.keys[0].id)],
        )
        .await
        .unwrap();
    assert!(notice.contains("SIEM"), "{notice}");
    let got = get(&fx.app, "/v1/audit-events", Some(&key)).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    fx.app.stop().await;
}

#[tokio::test]
async fn cursor_paging_walks_every_record_once_even_as_records_are_appended() {
    let fx = fixture().await;
    let pinterest = AuditAction::PinterestSettingsChanged;
    for i in 0..23 {
        let target = format!("first-{i}");
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.dev),
            pinterest,
            "ada@audit.test",
            &target,
        )
        .await;
    }
    let key = ws_key(&fx.owner, "Poller").await;
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/v1/audit-events?limit=5".to_owned(),
            Some(c) => format!("/v1/audit-events?limit=5&cursor={c}"),
        };
        let got = get(&fx.app, &path, Some(&key)).await;
        let page = data(&got);
        assert!(page.len() <= 5);
        seen.extend(page);
        pages += 1;
        // Records committed while the poller reads come after what it read.
        if pages == 2 {
            for i in 0..4 {
                let target = format!("late-{i}");
                record(
                    &fx.app,
                    &fx.ws,
                    Some(&fx.prod),
                    pinterest,
                    "bob@audit.test",
                    &target,
                )
                .await;
            }
        }
        cursor = Some(got.body["next_cursor"].as_str().unwrap().to_owned());
        if got.body["has_more"] != true {
            break;
        }
    }
    let seen_ids = ids(&seen);
    let unique: HashSet<&String> = seen_ids.iter().collect();
    assert_eq!(unique.len(), seen_ids.len(), "no record twice");
    assert!(strictly_increasing(&seqs(&seen)));
    let all: Vec<(String,)> = domain::on_pool!(&fx.app.state().db, pool => {
        sqlx::query_as("select id from audit_events where workspace_id = $1 order by seq")
            .bind(&fx.ws)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let all: Vec<String> = all.into_iter().map(|(id,)| id).collect();
    assert_eq!(seen_ids, all, "every record, in chain order");
    for t in ["first-0", "first-22", "late-0", "late-3"] {
        assert!(targets(&seen).contains(&t.to_owned()), "{t}");
    }

    // A poller keeps its cursor: nothing new is an empty page with the same
    // cursor; a record written later is the next poll's only record.
    let cursor = cursor.unwrap();
    let path = format!("/v1/audit-events?cursor={cursor}");
    let got = get(&fx.app, &path, Some(&key)).await;
    assert_eq!(data(&got), Vec::<Value>::new());
    assert_eq!(got.body["next_cursor"], cursor.as_str());
    assert_eq!(got.body["has_more"], false);
    record(
        &fx.app,
        &fx.ws,
        None,
        AuditAction::MemberAdded,
        "ada@audit.test",
        "newest",
    )
    .await;
    let got = get(&fx.app, &path, Some(&key)).await;
    assert_eq!(targets(&data(&got)), ["newest"]);
    assert_ne!(got.body["next_cursor"], cursor.as_str());
    fx.app.stop().await;
}

#[tokio::test]
async fn every_filter_narrows_the_log() {
    let fx = fixture().await;
    let key = ws_key(&fx.owner, "Filters").await;
    let before: Vec<(AuditAction, &str, &str)> = vec![
        (
            AuditAction::PinterestSettingsChanged,
            "ada@audit.test",
            "early-pinterest",
        ),
        (AuditAction::MemberAdded, "robot@audit.test", "early-member"),
    ];
    for (action, actor, target) in &before {
        record(&fx.app, &fx.ws, Some(&fx.dev), *action, actor, target).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let boundary = domain::db::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let after: Vec<(AuditAction, &str, &str)> = vec![
        (
            AuditAction::PinterestSecretReplaced,
            "robot@audit.test",
            "late-secret",
        ),
        (
            AuditAction::PinterestEnabled,
            "ada@audit.test",
            "late-enabled",
        ),
        (AuditAction::MemberRemoved, "ada@audit.test", "late-member"),
    ];
    for (action, actor, target) in &after {
        record(&fx.app, &fx.ws, Some(&fx.dev), *action, actor, target).await;
    }
    let at = domain::db::rfc3339(boundary);
    let mine = |records: Vec<Value>| {
        let mut t: Vec<String> = targets(&records)
            .into_iter()
            .filter(|t| t.starts_with("early-") || t.starts_with("late-"))
            .collect();
        t.sort();
        t
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("since={at}"),
            vec!["late-enabled", "late-member", "late-secret"],
        ),
        (
            format!("until={at}"),
            vec!["early-member", "early-pinterest"],
        ),
        (
            "actor=robot%40audit.test".to_owned(),
            vec!["early-member", "late-secret"],
        ),
        ("action=member.added".to_owned(), vec!["early-member"]),
        (
            "action=pinterest.*".to_owned(),
            vec!["early-pinterest", "late-enabled", "late-secret"],
        ),
        (
            format!("action=pinterest.*&since={at}&actor=ada%40audit.test"),
            vec!["late-enabled"],
        ),
        (format!("action=member.*&until={at}"), vec!["early-member"]),
    ];
    for (query, expected) in cases {
        let records = walk(&fx.app, &key, &query, 2).await;
        assert_eq!(mine(records.clone()), expected, "{query}");
        // Every record answered matches the filter, not only the test's own.
        if query.starts_with("actor=") {
            assert!(
                records
                    .iter()
                    .all(|r| r["actor"]["label"] == "robot@audit.test")
            );
        }
        if query.starts_with("action=pinterest.*") {
            assert!(
                records
                    .iter()
                    .all(|r| r["action"].as_str().unwrap().starts_with("pinterest."))
            );
        }
        if query == "action=member.added" {
            assert!(records.iter().all(|r| r["action"] == "member.added"));
        }
    }
    // An instant with an offset is the same instant.
    let since = urlencode(&at.replace('Z', "+00:00"));
    assert_eq!(
        mine(walk(&fx.app, &key, &format!("since={since}"), 100).await),
        ["late-enabled", "late-member", "late-secret"]
    );
    fx.app.stop().await;
}

/// `text` for a query string: `+` and `:` would otherwise be read differently.
fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn bad_input_is_refused_with_400_naming_it_and_changes_nothing() {
    let fx = fixture().await;
    let other = provision(&fx.app, "Other Co", "owner@other.test").await;
    for i in 0..4 {
        let target = format!("r-{i}");
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.dev),
            AuditAction::MemberAdded,
            "ada@audit.test",
            &target,
        )
        .await;
    }
    let key = ws_key(&fx.owner, "Strict").await;
    let theirs = ws_key(&other, "Theirs").await;
    let first = get(&fx.app, "/v1/audit-events?limit=2", Some(&key)).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let plain = String::from_utf8(URL_SAFE_NO_PAD.decode(&cursor).unwrap()).unwrap();
    let (seq, id) = plain.split_once('.').unwrap();
    let moved = URL_SAFE_NO_PAD.encode(format!("{}.{id}", seq.parse::<i64>().unwrap() + 1));
    let theirs_cursor = get(&fx.app, "/v1/audit-events?limit=1", Some(&theirs))
        .await
        .body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let long = "x".repeat(10_000);
    let before = count(&fx.app, &fx.ws).await;
    let cases: Vec<(String, &str, &str)> = vec![
        ("since=yesterday".into(), "since", "RFC 3339"),
        ("until=2026-13-01T00:00:00Z".into(), "until", "RFC 3339"),
        (
            "since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z".into(),
            "until",
            "before `since`",
        ),
        ("action=nope.thing".into(), "action", "Unknown action"),
        ("action=nothing.*".into(), "action", "Unknown action"),
        ("action=pinterest".into(), "action", "pinterest.*"),
        ("limit=0".into(), "limit", "1 to 500"),
        ("limit=501".into(), "limit", "1 to 500"),
        ("limit=ten".into(), "limit", "1 to 500"),
        ("cursor=garbage".into(), "cursor", "next_cursor"),
        (format!("cursor={moved}"), "cursor", "next_cursor"),
        (format!("cursor={theirs_cursor}"), "cursor", "next_cursor"),
        (
            "actor=ada%00%40audit.test".into(),
            "actor",
            "control characters",
        ),
        (format!("actor={long}"), "actor", "too long"),
        (format!("cursor={long}"), "cursor", "too long"),
        (format!("action={long}"), "action", "too long"),
    ];
    for (query, field, says) in cases {
        let got = get(&fx.app, &format!("/v1/audit-events?{query}"), Some(&key)).await;
        problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
        assert_eq!(
            got.body["field"],
            field,
            "{}",
            &query[..query.len().min(80)]
        );
        assert!(
            got.body["detail"].as_str().unwrap().contains(says),
            "{}: {}",
            &query[..query.len().min(80)],
            got.text
        );
    }
    // Repeated and unknown parameters are malformed too.
    for (query, says) in [
        ("actor=a&actor=b", "duplicate field `actor`"),
        ("limit=5&limit=6", "duplicate field `limit`"),
        ("colour=red", "unknown field `colour`"),
    ] {
        let got = get(&fx.app, &format!("/v1/audit-events?{query}"), Some(&key)).await;
        problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
        assert!(
            got.body["detail"].as_str().unwrap().contains(says),
            "{query}: {}",
            got.text
        );
    }
    assert_eq!(count(&fx.app, &fx.ws).await, before, "nothing was written");
    // An environment API key's refusals are the same.
    let env = env_key(&fx.app, &fx.owner, &fx.dev, &[ApiPermission::AuditRead]).await;
    // Making the key is itself recorded; nothing after it may be.
    let before = count(&fx.app, &fx.ws).await;
    let got = get(&fx.app, "/v1/audit-events?limit=0", Some(&env)).await;
    problem(&got, StatusCode::BAD_REQUEST, "malformed-request");
    assert_eq!(count(&fx.app, &fx.ws).await, before, "nothing was written");
    // The good cursor still works.
    let got = get(
        &fx.app,
        &format!("/v1/audit-events?cursor={cursor}"),
        Some(&key),
    )
    .await;
    assert!(!data(&got).is_empty());
    fx.app.stop().await;
}

#[tokio::test]
async fn owners_alone_create_and_revoke_workspace_keys_never_shown_twice() {
    let fx = fixture().await;
    let before = fx.owner.browser.bodies().len();
    let issued = create_ws_key(&fx.owner.browser, &fx.ws, "SIEM export")
        .await
        .unwrap();
    assert!(issued.key.starts_with("pinbridge_ws_"), "{issued:?}");
    assert_eq!(issued.prefix, "pinbridge_ws_");
    assert!(issued.key.ends_with(&issued.last_four));
    assert!(
        !format!("{issued:?}").contains(&issued.key),
        "Debug hides it"
    );
    let key = issued.key.clone();

    let view = ws_keys(&fx.owner.browser, &fx.ws)
        .await
        .unwrap()
        .expect("owners see the card");
    assert_eq!(view.issued, None, "a later call does not show it again");
    let [listed] = view.keys.as_slice() else {
        panic!("{view:?}")
    };
    assert_eq!(listed.name, "SIEM export");
    assert_eq!(
        listed.visible(),
        format!("pinbridge_ws_\u{2026}{}", issued.last_four)
    );
    assert_eq!(listed.created_by, "owner@audit.test");
    assert_eq!(listed.last_used_at, None);
    // Using it is seen (written at most once a minute).
    data(&get(&fx.app, "/v1/audit-events", Some(&key)).await);
    let view = ws_keys(&fx.owner.browser, &fx.ws).await.unwrap().unwrap();
    assert!(view.keys[0].last_used_at.is_some());

    let page = fx.owner.browser.page(&format!("/w/{}/audit", fx.ws)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Workspace audit keys"));
    assert!(page.body.contains(&listed.visible()));
    assert!(page.body.contains(r#"id="new-workspace-key""#));
    assert!(!page.body.contains(&key), "never the key on the page");

    // A name is required.
    let refused = create_ws_key(&fx.owner.browser, &fx.ws, "  ")
        .await
        .unwrap_err();
    assert_eq!(refused.field(), Some("name"), "{refused:?}");

    // Admins and viewers neither see nor manage workspace keys.
    for (email, role) in [
        ("admin@audit.test", "admin"),
        ("viewer@audit.test", "viewer"),
    ] {
        let (browser, _) = join(&fx.app, &fx.owner.browser, &fx.ws, email, role).await;
        assert_eq!(ws_keys(&browser, &fx.ws).await.unwrap(), None, "{role}");
        let page = browser.page(&format!("/w/{}/audit", fx.ws)).await;
        assert_eq!(page.status, StatusCode::OK, "{role} reads the log");
        assert!(!page.body.contains("Workspace audit keys"), "{role}");
        // The log itself names the key by its visible part (its
        // `workspace.key_created` record); the card listing it is absent.
        assert!(!page.body.contains("row-card workspace-key"), "{role}");
        let answer = browser
            .post(
                "audit/workspace-keys/create",
                &[("workspace", &fx.ws), ("name", "Mine")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(
            answer.decode::<IssuedApiKey>().unwrap_err(),
            AppError::Forbidden
        );
        let err = browser
            .call::<String>(
                "audit/workspace-keys/revoke",
                &[("workspace", &fx.ws), ("key_id", &listed.id)],
            )
            .await
            .unwrap_err();
        assert_eq!(err, AppError::Forbidden, "{role}");
    }
    data(&get(&fx.app, "/v1/audit-events", Some(&key)).await);

    // Another workspace's owner does not find this one's key.
    let other = provision(&fx.app, "Other Co", "owner@other.test").await;
    let err = other
        .browser
        .call::<String>(
            "audit/workspace-keys/revoke",
            &[("workspace", &other.workspace_id), ("key_id", &listed.id)],
        )
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    data(&get(&fx.app, "/v1/audit-events", Some(&key)).await);

    let notice: String = fx
        .owner
        .browser
        .call(
            "audit/workspace-keys/revoke",
            &[("workspace", &fx.ws), ("key_id", &listed.id)],
        )
        .await
        .unwrap();
    assert!(notice.contains("refused from now on"), "{notice}");
    let got = get(&fx.app, "/v1/audit-events", Some(&key)).await;
    problem(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    let again = fx
        .owner
        .browser
        .call::<String>(
            "audit/workspace-keys/revoke",
            &[("workspace", &fx.ws), ("key_id", &listed.id)],
        )
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Invalid { .. }), "{again:?}");
    let view = ws_keys(&fx.owner.browser, &fx.ws).await.unwrap().unwrap();
    assert!(view.keys[0].revoked_at.is_some());
    assert_eq!(view.keys[0].revoked_by.as_deref(), Some("owner@audit.test"));

    // Audited, never with the key; never logged, stored in the clear or
    // shown after the one answer that made it.
    let log = audit_text(&fx.app).await;
    assert!(log.contains("workspace.key_created"));
    assert!(log.contains("workspace.key_revoked"));
    assert!(!log.contains(&key));
    assert!(!log.contains(&key[13..40]));
    assert!(
        !crate::common::logs::captured().contains(&key[13..40]),
        "never logged"
    );
    assert!(!sessions_text(&fx.app).await.contains(&key[13..40]));
    let with_key = fx.owner.browser.bodies()[before..]
        .iter()
        .filter(|b| b.contains(&key))
        .count();
    assert_eq!(with_key, 1, "only the answer that made it");
    fx.app.stop().await;
}

/// The key text the Audit log page shows in its "shown once" box, if any.
fn shown_key(html: &str) -> Option<String> {
    let start = html.find(r#"data-field="issued-workspace-key-text""#)?;
    let rest = &html[start..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(rest[..rest.find('<')?].to_owned())
}

#[tokio::test]
async fn without_javascript_the_next_page_shows_the_new_key_once() {
    let fx = fixture().await;
    let page = format!("/w/{}/audit", fx.ws);
    let answer = fx
        .owner
        .browser
        .plain_post(
            "audit/workspace-keys/create",
            &page,
            &[("workspace", &fx.ws), ("name", "Nightly export")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = answer.location().to_owned();
    assert!(!location.contains("__err="), "{location}");
    let first = fx.owner.browser.page(&location).await;
    let key = shown_key(&first.body).expect("the key is shown");
    assert!(key.starts_with("pinbridge_ws_"), "{key}");
    assert!(first.body.contains("will not be shown again"));
    assert!(!answer.body.contains(&key), "not in the redirect");
    data(&get(&fx.app, "/v1/audit-events", Some(&key)).await);
    let second = fx.owner.browser.page(&location).await;
    assert_eq!(shown_key(&second.body), None, "a reload does not show it");
    assert!(!second.body.contains(&key));
    assert!(!sessions_text(&fx.app).await.contains(&key[13..40]));

    // A refused form says why, at its field.
    let refused = fx
        .owner
        .browser
        .plain_post(
            "audit/workspace-keys/create",
            &page,
            &[("workspace", &fx.ws), ("name", "")],
        )
        .await;
    let location = refused.location().to_owned();
    assert!(location.contains("__err="), "{location}");
    let shown = fx.owner.browser.page(&location).await;
    assert!(shown.body.contains("Name is required"));
    let view = ws_keys(&fx.owner.browser, &fx.ws).await.unwrap().unwrap();
    assert_eq!(view.keys.len(), 1);
    fx.app.stop().await;
}

/// RFC 4180 as a spreadsheet reads it: quoted cells may hold commas, doubled
/// quotes and line breaks; records end in CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            '\r' | '\n' => panic!("a line break outside quotes ends no CSV record"),
            _ => cell.push(c),
        }
    }
    assert!(!quoted, "an unterminated quote");
    assert!(
        cell.is_empty() && row.is_empty(),
        "the last record ends in CRLF"
    );
    rows
}

/// The event ids the Audit log page at `path` lists, in its order.
async fn page_ids(browser: &Browser, path: &str) -> Vec<String> {
    let page = browser.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let re = regex::Regex::new(r#"<tr [^>]*data-id="([0-9a-f-]{36})""#).unwrap();
    re.captures_iter(&page.body)
        .map(|c| c[1].to_owned())
        .collect()
}

/// Downloads an export: its status, `Content-Type`, `Content-Disposition` and text.
async fn download(browser: &Browser, path: &str) -> (StatusCode, String, String, String) {
    let (status, headers, bytes) = browser.fetch_encoded(path, "identity").await;
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (
        status,
        header("content-type"),
        header("content-disposition"),
        String::from_utf8(bytes).unwrap(),
    )
}

#[tokio::test]
async fn exports_hold_exactly_what_the_page_shows() {
    let fx = fixture().await;
    let pinterest = AuditAction::PinterestSettingsChanged;
    let tricky = [
        "=HYPERLINK(\"https://evil.example\",\"click\")",
        "+1, with a comma",
        "-2 \"quoted\"",
        "@SUM(A1)",
        "two\r\nlines",
        "plain",
    ];
    for target in tricky {
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.dev),
            pinterest,
            "ada@audit.test",
            target,
        )
        .await;
    }
    record(
        &fx.app,
        &fx.ws,
        Some(&fx.prod),
        pinterest,
        "ada@audit.test",
        "prod-only",
    )
    .await;
    let filter = format!("environment={}", fx.dev);
    let page = format!("/w/{}/audit?{filter}", fx.ws);

    // CSV: the page's records, in its order, parsed with quotes.
    let shown = page_ids(&fx.owner.browser, &page).await;
    assert!(shown.len() >= tricky.len());
    let html = fx.owner.browser.page(&page).await.body;
    assert!(
        html.contains(&format!(
            "/w/{}/audit/export?format=csv&amp;{filter}",
            fx.ws
        )) || html.contains(&format!("/w/{}/audit/export?format=csv&{filter}", fx.ws))
    );
    let path = format!("/w/{}/audit/export?format=csv&{filter}", fx.ws);
    let (status, content_type, disposition, text) = download(&fx.owner.browser, &path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let today = &domain::db::rfc3339(domain::db::now_ms())[..10];
    assert_eq!(
        disposition,
        format!("attachment; filename=\"pinbridge-audit-audit-co-{today}.csv\"")
    );
    let rows = parse_csv(&text);
    assert_eq!(
        rows[0],
        [
            "id",
            "seq",
            "created_at",
            "environment",
            "actor",
            "action",
            "target",
            "detail",
            "ip",
            "user_agent",
            "hash",
            "prev_hash"
        ]
    );
    let records = &rows[1..];
    assert!(records.iter().all(|r| r.len() == 12));
    let csv_ids: Vec<String> = records.iter().map(|r| r[0].clone()).collect();
    assert_eq!(csv_ids, shown, "exactly the page's records, in its order");
    let csv_targets: Vec<&str> = records.iter().map(|r| r[6].as_str()).collect();
    for (target, written) in [
        (tricky[0], "'=HYPERLINK(\"https://evil.example\",\"click\")"),
        (tricky[1], "'+1, with a comma"),
        (tricky[2], "'-2 \"quoted\""),
        (tricky[3], "'@SUM(A1)"),
        (tricky[4], "two\r\nlines"),
        (tricky[5], "plain"),
    ] {
        assert!(
            csv_targets.contains(&written),
            "{target:?} written as {written:?}"
        );
    }
    assert!(records.iter().all(|r| r[3] == "Development"));
    let plain = records.iter().find(|r| r[6] == "plain").unwrap();
    assert_eq!(plain[4], "ada@audit.test");
    assert_eq!(plain[5], "pinterest.settings_changed");
    assert_eq!(
        serde_json::from_str::<Value>(&plain[7]).unwrap()["note"],
        "from the test"
    );
    assert_eq!(plain[8], "203.0.113.9");
    assert!(plain[1].parse::<i64>().is_ok());
    assert!(!plain[10].is_empty(), "the hash");
    assert!(!csv_targets.contains(&"prod-only"));

    // The export is itself audited, with its format and filter; the page
    // now shows that record too, and so does the next export.
    let log = audit_text(&fx.app).await;
    assert!(log.contains("audit.exported"));
    let shown = page_ids(&fx.owner.browser, &page).await;
    assert_eq!(shown.len(), csv_ids.len() + 1);

    // JSON lines: the same records, each as the API answers it.
    let path = format!("/w/{}/audit/export?format=jsonl&{filter}", fx.ws);
    let (status, content_type, disposition, text) = download(&fx.owner.browser, &path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(content_type, "application/x-ndjson");
    assert!(disposition.ends_with(".jsonl\""), "{disposition}");
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ids(&lines), shown);
    let exported = &lines[0];
    assert_eq!(exported["action"], "audit.exported");
    assert_eq!(exported["detail"]["format"], "csv");
    assert_eq!(exported["detail"]["environment_id"], fx.dev.as_str());
    assert_eq!(exported["environment_id"], fx.dev.as_str());
    let key = ws_key(&fx.owner, "Compare").await;
    let api = walk(&fx.app, &key, &format!("environment_id={}", fx.dev), 100).await;
    let api_record = api.iter().find(|r| r["target"] == "plain").unwrap();
    let line = lines.iter().find(|r| r["target"] == "plain").unwrap();
    assert_eq!(line, api_record, "the API's shape");

    // An action filter narrows the export as it narrows the page.
    let path = format!(
        "/w/{}/audit/export?format=jsonl&action=audit.exported",
        fx.ws
    );
    let shown = page_ids(
        &fx.owner.browser,
        &format!("/w/{}/audit?action=audit.exported", fx.ws),
    )
    .await;
    let (_, _, _, text) = download(&fx.owner.browser, &path).await;
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ids(&lines), shown);
    assert!(lines.iter().all(|l| l["action"] == "audit.exported"));

    // Refused: an unknown format, an unknown action, another workspace's
    // member, a signed-out visitor.
    let (status, _, _, _) = download(
        &fx.owner.browser,
        &format!("/w/{}/audit/export?format=xlsx", fx.ws),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _, text) = download(
        &fx.owner.browser,
        &format!("/w/{}/audit/export?action=nope", fx.ws),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let other = provision(&fx.app, "Other Co", "owner@other.test").await;
    let (status, _, _, text) = download(
        &other.browser,
        &format!("/w/{}/audit/export?format=csv", fx.ws),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!text.contains("Development"));
    let stranger = Browser::new(&fx.app);
    let answer = stranger
        .page(&format!("/w/{}/audit/export?format=csv", fx.ws))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        answer.location().starts_with("/sign-in?next="),
        "{answer:?}"
    );
    fx.app.stop().await;
}

#[tokio::test]
async fn an_export_walks_the_whole_log_a_page_at_a_time() {
    let fx = fixture().await;
    // More than the log's largest page (200) and the page's (50).
    for i in 0..230 {
        let target = format!("bulk-{i}");
        record(
            &fx.app,
            &fx.ws,
            Some(&fx.prod),
            AuditAction::PinterestSettingsChanged,
            "ada@audit.test",
            &target,
        )
        .await;
    }
    let path = format!(
        "/w/{}/audit/export?format=csv&environment={}",
        fx.ws, fx.prod
    );
    let (status, _, _, text) = download(&fx.owner.browser, &path).await;
    assert_eq!(status, StatusCode::OK);
    let rows = parse_csv(&text);
    let unique: HashSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(rows.len() - 1, 230);
    assert_eq!(unique.len(), 230, "each record once");
    for i in [0, 199, 200, 229] {
        let target = format!("bulk-{i}");
        assert!(rows.iter().any(|r| r[6] == target), "{target}");
    }
    fx.app.stop().await;
}
