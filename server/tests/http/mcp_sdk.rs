//! The agent gateway (`/mcp`) driven by the official MCP Python SDK (`mcp`
//! from PyPI, pinned and installed by `scripts/mcp-tools.sh`) through
//! `scripts/mcp-check.py`, against pinterest-sim, in both of the SDK's modes:
//! `legacy` (the initialize handshake and a session) and `auto` (the
//! stateless 2026-07-28 revision). It shares no code with pinbridge, and
//! reads what the tools did from the simulator itself.
//!
//! This test sets up what the script needs (end users connected through the
//! real OAuth flow to their own simulated Pinterest accounts, keys of every
//! kind, another environment with its own connection, a connection whose
//! token is about to expire), runs it, and checks afterwards that every tool
//! call was recorded as the script counted it and that no key or token
//! reached a log line. `make test` runs it on both backends
//! (`PINBRIDGE_MCP_CHECK=1`); elsewhere it is skipped, except under CI, where
//! a missing run is a failure.

use std::collections::BTreeMap;

use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::api::keys::{self, KeyInput};
use domain::connections::{TokenColumn, open_token};
use domain::shared::{ApiPermission, ToolOutcome};
use serde_json::{Value, json};

use super::connections::{
    APP_ID, APP_SECRET, World, connect_sim_user, row, sim_admin, world_with_scopes,
};
use super::mcp::{WRITE_SCOPES, agent_key};

/// An end user of the product, the Pinterest account they connect (made in
/// the simulator), how many boards it has, and how many pins are on its
/// first board (the others have one each).
struct Person {
    end_user: &'static str,
    username: &'static str,
    boards: usize,
    pins: u32,
}

/// alice and bob are used by the tools; carol's authorization is revoked at
/// Pinterest; erin's token is about to expire when twenty agents ask at once.
const PEOPLE: [Person; 4] = [
    Person {
        end_user: "alice",
        username: "alice_pins",
        boards: 5,
        pins: 7,
    },
    Person {
        end_user: "bob",
        username: "bob_pins",
        boards: 2,
        pins: 3,
    },
    Person {
        end_user: "carol",
        username: "carol_pins",
        boards: 1,
        pins: 2,
    },
    Person {
        end_user: "erin",
        username: "erin_pins",
        boards: 1,
        pins: 1,
    },
];

/// The end user of the other environment.
const ZOE: Person = Person {
    end_user: "zoe",
    username: "zoe_pins",
    boards: 1,
    pins: 1,
};

/// How many agents ask for erin's account at once.
const AGENTS: usize = 20;

/// Makes the person's Pinterest account in the simulator.
async fn pinterest_account(w: &World, p: &Person) {
    let boards: Vec<Value> = (0..p.boards)
        .map(|i| {
            json!({
                "name": format!("{} board {}", p.end_user, i + 1),
                "description": format!("Board {} of {}", i + 1, p.username),
                "pins": if i == 0 { p.pins } else { 1 },
            })
        })
        .collect();
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/users",
        json!({"username": p.username, "boards": boards}),
    )
    .await;
}

/// The person connects their Pinterest account in the environment through
/// the real flow: the connection id.
async fn connect_as(w: &World, env_id: &str, p: &Person) -> String {
    connect_sim_user(w, env_id, p.end_user, p.username).await
}

async fn second_environment(w: &World) -> String {
    let view = w.owner.browser.workspace(&w.ws).await.unwrap();
    let env = view
        .environments
        .iter()
        .find(|e| e.id != w.env_id)
        .expect("a second environment")
        .id
        .clone();
    let mut form = vec![
        ("workspace", w.ws.as_str()),
        ("environment_id", env.as_str()),
        ("version", "0"),
        ("client_id", APP_ID),
        ("client_secret", APP_SECRET),
        ("api", "production"),
    ];
    form.extend(WRITE_SCOPES.iter().map(|s| ("scopes[]", *s)));
    let saved = w.owner.browser.post("pinterest/save", &form).await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let _: Vec<String> = w
        .owner
        .browser
        .call(
            "connections/origins",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", env.as_str()),
                ("origins", "https://app.example.com"),
            ],
        )
        .await
        .unwrap();
    env
}

async fn owner(w: &World) -> domain::accounts::Actor {
    actor_in(
        &w.app.state().db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap()
}

/// A key of another environment of the world's workspace.
async fn key_in(w: &World, env_id: &str, permissions: &[ApiPermission]) -> String {
    keys::create(
        w.app.state(),
        &owner(w).await,
        &EnvironmentId::parse(env_id).unwrap(),
        KeyInput {
            name: "Other environment's agent".into(),
            permissions: permissions.to_vec(),
            expires_in_days: None,
            rate_limit: keys::RATE_LIMIT_MAX,
            end_user_id: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .key
    .expose()
    .to_owned()
}

/// An agent key of the world's environment, revoked.
async fn revoked_key(w: &World) -> String {
    let key = agent_key(w, &[ApiPermission::Agent], None, keys::RATE_LIMIT_MAX).await;
    let state = w.app.state();
    let actor = owner(w).await;
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    let listed = keys::list(&state.db, &actor, &env).await.unwrap();
    let row = listed.iter().find(|r| key.ends_with(&r.last_four)).unwrap();
    keys::revoke(state, &actor, &env, &row.id, &RequestMeta::default())
        .await
        .unwrap();
    key
}

/// The connection's access and refresh tokens as stored now, in the clear.
async fn tokens_of(w: &World, id: &str) -> Vec<String> {
    let r = row(&w.app, id).await;
    let keys = &w.app.state().keys;
    [
        (TokenColumn::Access, r.access_token.as_deref()),
        (TokenColumn::Refresh, r.refresh_token.as_deref()),
    ]
    .into_iter()
    .filter_map(|(column, sealed)| {
        let sealed = sealed?;
        let open = open_token(keys, &r.workspace_id, &r.id, column, sealed).unwrap();
        Some(open.expose().to_owned())
    })
    .collect()
}

/// The tool calls recorded in an environment: tool → outcome → count.
async fn recorded(w: &World, env_id: &str) -> BTreeMap<String, BTreeMap<String, i64>> {
    let rows: Vec<(String, ToolOutcome)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select tool, outcome from agent_tool_calls where workspace_id = $1 and environment_id = $2")
            .bind(&w.ws)
            .bind(env_id)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (tool, outcome) in rows {
        *out.entry(tool)
            .or_default()
            .entry(outcome.as_str().to_owned())
            .or_default() += 1;
    }
    out
}

/// What the script counted for one environment, as tool → "ok"/"error" → count.
fn counted(report: &Value, env: &str) -> BTreeMap<String, (i64, i64)> {
    report["calls"][env]
        .as_object()
        .unwrap_or_else(|| panic!("the report counts calls in {env}: {report}"))
        .iter()
        .map(|(tool, n)| {
            (
                tool.clone(),
                (
                    n["ok"].as_i64().unwrap_or(0),
                    n["error"].as_i64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

/// The records, folded to what the script can tell apart: ok or not.
fn folded(records: &BTreeMap<String, BTreeMap<String, i64>>) -> BTreeMap<String, (i64, i64)> {
    records
        .iter()
        .map(|(tool, outcomes)| {
            let ok = outcomes.get("ok").copied().unwrap_or(0);
            let all: i64 = outcomes.values().sum();
            (tool.clone(), (ok, all - ok))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_drives_every_tool_in_both_modes() {
    if std::env::var("PINBRIDGE_MCP_CHECK").as_deref() != Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the MCP SDK check must run: set PINBRIDGE_MCP_CHECK=1 (make test does)"
        );
        eprintln!(
            "skipped: set PINBRIDGE_MCP_CHECK=1 to drive /mcp with the official MCP Python SDK (make test does)"
        );
        return;
    }
    let w = world_with_scopes(&WRITE_SCOPES).await;
    let mut connections = serde_json::Map::new();
    let mut ids = BTreeMap::new();
    for p in &PEOPLE {
        pinterest_account(&w, p).await;
        let id = connect_as(&w, &w.env_id, p).await;
        connections.insert(
            p.end_user.into(),
            json!({"connection_id": id, "username": p.username}),
        );
        ids.insert(p.end_user, id);
    }
    let production = second_environment(&w).await;
    pinterest_account(&w, &ZOE).await;
    let zoe = connect_as(&w, &production, &ZOE).await;

    use ApiPermission::{Agent, Connect, ConnectionsRead, Proxy, Tokens};
    let max = keys::RATE_LIMIT_MAX;
    let keys = json!({
        "agent": agent_key(&w, &[Agent, Connect], None, max).await,
        "agent_only": agent_key(&w, &[Agent], None, max).await,
        "bound": agent_key(&w, &[Agent], Some("alice"), max).await,
        "no_agent": agent_key(&w, &[Connect, ConnectionsRead, Tokens, Proxy], None, max).await,
        "revoked": revoked_key(&w).await,
        "other_environment": key_in(&w, &production, &[Agent, Connect]).await,
    });

    // Every token pinbridge held before the script ran, and erin's about to
    // expire: valid at Pinterest for two more minutes, which is less than
    // pinbridge wants left, so the first agent to ask refreshes it.
    let mut secrets: Vec<String> = Vec::new();
    for id in ids.values().chain([&zoe]) {
        secrets.extend(tokens_of(&w, id).await);
    }
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set access_expires_at = $1 where id = $2")
            .bind(domain::db::now_ms() + 120_000).bind(&ids["erin"]).execute(pool).await.map(|_| ())
    })
    .unwrap();

    let config = json!({
        "base_url": w.app.base,
        "mcp_url": w.app.url("/mcp"),
        "sim_url": w.sim.base_url(),
        "app_id": APP_ID,
        "keys": keys,
        "bound_end_user": "alice",
        "connections": connections,
        "other_environment": {"connection_id": zoe, "end_user_id": ZOE.end_user,
                              "username": ZOE.username},
        "refresh": {"end_user_id": "erin", "agents": AGENTS},
        "revoke": {"end_user_id": "carol"},
    });
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.json");
    let report_path = dir.path().join("report.json");
    std::fs::write(&config_path, config.to_string()).unwrap();

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let started = std::time::Instant::now();
    let out = tokio::process::Command::new(root.join("scripts/mcp-check.sh"))
        .arg(&config_path)
        .arg(&report_path)
        .current_dir(&root)
        .output()
        .await
        .expect("scripts/mcp-check.sh runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the MCP SDK check failed:\n{text}");
    eprintln!(
        "{text}\nmcp-check passed in {:.1} s ({:?})",
        started.elapsed().as_secs_f64(),
        crate::common::backend()
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap())
        .unwrap_or_else(|e| panic!("the report is JSON: {e}\n{text}"));

    // Every call the script made was recorded, as it counted them, in the
    // environment of the key that made it; each of the 13 tools succeeded at
    // least once, and refusals were recorded with the outcome they were.
    let state = w.app.state();
    domain::api::maintain(state, false).await.unwrap();
    let development = recorded(&w, &w.env_id).await;
    assert_eq!(
        folded(&development),
        counted(&report, "development"),
        "recorded (left) as the script counted (right): {development:?}"
    );
    let other = recorded(&w, &production).await;
    assert_eq!(
        folded(&other),
        counted(&report, "other_environment"),
        "{other:?}"
    );
    for tool in domain::agent::Tool::ALL {
        assert!(
            development
                .get(tool.name())
                .is_some_and(|o| o.contains_key("ok")),
            "{} succeeded at least once: {development:?}",
            tool.name()
        );
    }
    let outcomes = |tool: &str| development.get(tool).cloned().unwrap_or_default();
    for (tool, outcome) in [
        ("get_user_account", ToolOutcome::NotFound),
        ("get_user_account", ToolOutcome::Invalid),
        ("get_user_account", ToolOutcome::Reconnect),
        ("list_boards", ToolOutcome::Invalid),
    ] {
        assert!(
            outcomes(tool).contains_key(outcome.as_str()),
            "{tool} recorded as {}: {development:?}",
            outcome.as_str()
        );
    }
    // The Agents page's list: the newest calls, the twenty agents' last.
    let recent = domain::agent::recent_calls(
        state,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &EnvironmentId::parse(&w.env_id).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(recent.len() as i64, domain::agent::RECENT_CALLS);
    let agents: Vec<_> = recent
        .iter()
        .filter(|c| c.end_user_id.as_deref() == Some("erin"))
        .collect();
    assert_eq!(agents.len(), AGENTS, "{recent:?}");
    assert!(
        agents
            .iter()
            .all(|c| c.tool == "get_user_account" && c.outcome == ToolOutcome::Ok)
    );

    // No key and no token, old or new, reached a log line.
    for id in ids.values().chain([&zoe]) {
        secrets.extend(tokens_of(&w, id).await);
    }
    for name in [
        "agent",
        "agent_only",
        "bound",
        "no_agent",
        "revoked",
        "other_environment",
    ] {
        let key = config["keys"][name].as_str().unwrap();
        // The whole key, and its secret part alone.
        secrets.push(key.to_owned());
        secrets.push(key[15..40].to_owned());
    }
    let logs = crate::common::logs::captured();
    for (i, secret) in secrets.iter().enumerate() {
        assert!(secret.len() >= 20, "secret {i} is a real secret");
        assert!(
            !logs.contains(secret.as_str()),
            "secret {i} reached the logs"
        );
    }
    w.stop().await;
}
