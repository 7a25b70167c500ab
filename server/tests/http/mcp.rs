//! The agent gateway (`/mcp`) over HTTP, as an MCP client speaks to it,
//! against pinterest-sim: keys and every way one is refused, the handshake,
//! sessions (across two instances, owned by their key, ended by DELETE),
//! protocol errors for bad input, which account a tool acts for, tool errors
//! an agent can act on, one refresh for many agents, tool calls recorded, and
//! no secrets in logs. Both backends. The official Python SDK drives the
//! tools in `mcp_sdk`.

use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::api::keys::{self, KeyInput};
use domain::shared::{ApiPermission, ToolOutcome};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::connections::{EndUser, World, connect, sim_admin, world, world_with_scopes};
use crate::common::TestApp;

pub(super) const WRITE_SCOPES: [&str; 8] = [
    "user_accounts:read",
    "boards:read",
    "boards:write",
    "boards:read_secret",
    "pins:read",
    "pins:write",
    "pins:read_secret",
    "pins:write_secret",
];

/// A key of the world's environment.
pub(super) async fn agent_key(
    w: &World,
    permissions: &[ApiPermission],
    end_user: Option<&str>,
    rate_limit: i64,
) -> String {
    let state = w.app.state();
    let actor = actor_in(
        &state.db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    keys::create(
        state,
        &actor,
        &EnvironmentId::parse(&w.env_id).unwrap(),
        KeyInput {
            name: "Agent".into(),
            permissions: permissions.to_vec(),
            expires_in_days: None,
            rate_limit,
            end_user_id: end_user.map(str::to_owned),
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .key
    .expose()
    .to_owned()
}

const AGENT: [ApiPermission; 1] = [ApiPermission::Agent];

/// An answer of `/mcp`: status, headers, and the JSON-RPC message (from a
/// JSON body or the `data:` of an SSE event).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
    message: Value,
}

/// A raw client of `/mcp`: one key, a protocol version, and the session the
/// handshake gave, if any.
struct Client {
    url: String,
    key: Option<String>,
    version: &'static str,
    session: Option<String>,
    next_id: u64,
}

impl Client {
    fn new(app: &TestApp, key: &str) -> Self {
        Self {
            url: app.url("/mcp"),
            key: Some(key.to_owned()),
            version: "2025-06-18",
            session: None,
            next_id: 1,
        }
    }

    async fn post_raw(&self, body: Vec<u8>) -> Answer {
        let mut req = reqwest::Client::new()
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", self.version)
            .body(body);
        if let Some(k) = &self.key {
            req = req.bearer_auth(k);
        }
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn post(&self, message: Value) -> Answer {
        self.post_raw(message.to_string().into_bytes()).await
    }

    async fn request(&mut self, method: &str, params: Value) -> Answer {
        let id = self.next_id;
        self.next_id += 1;
        self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    /// initialize, then notifications/initialized: the session is kept.
    async fn handshake(&mut self) -> Answer {
        let init = self
            .request(
                "initialize",
                json!({"protocolVersion": self.version, "capabilities": {},
                       "clientInfo": {"name": "pinbridge-test", "version": "1"}}),
            )
            .await;
        assert_eq!(init.status, StatusCode::OK, "{}", init.text);
        self.session = init
            .headers
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let done = self
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.text);
        init
    }

    /// A tool call's result (asserting it is one, not a JSON-RPC error).
    async fn tool(&mut self, name: &str, arguments: Value) -> Value {
        let got = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        let result = got.message["result"].clone();
        assert!(result.is_object(), "{}", got.text);
        result
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let message = serde_json::from_str(&text).unwrap_or_else(|_| {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|m| m.get("id").is_some())
            .unwrap_or(Value::Null)
    });
    Answer {
        status,
        headers,
        text,
        message,
    }
}

/// The text of a tool error (asserting it is one).
fn tool_error(result: &Value) -> String {
    assert_eq!(result["isError"], true, "{result}");
    result["content"][0]["text"].as_str().unwrap().to_owned()
}

fn ok(result: &Value) -> &Value {
    assert_ne!(result["isError"], true, "{result}");
    let structured = &result["structuredContent"];
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(&text, structured, "the text is the structured content");
    structured
}

async fn recorded(w: &World) -> Vec<domain::agent::ToolCallRow> {
    let state = w.app.state();
    domain::api::maintain(state, false).await.unwrap();
    domain::agent::recent_calls(
        state,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &EnvironmentId::parse(&w.env_id).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_handshake_negotiates_lists_tools_and_a_session_ends_with_delete() {
    let w = world().await;
    let k = agent_key(&w, &AGENT, None, 10_000).await;
    let mut c = Client::new(&w.app, &k);
    let init = c.handshake().await;
    assert_eq!(init.message["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init.message["result"]["serverInfo"]["name"], "pinbridge");
    assert!(init.message["result"]["capabilities"]["tools"].is_object());
    assert!(
        init.message["result"]["instructions"]
            .as_str()
            .unwrap()
            .contains("list_connections")
    );
    assert!(init.headers.contains_key("ratelimit"));
    assert_eq!(init.headers["cache-control"], "no-store");
    let session = c.session.clone().expect("a session id");

    let tools = c.request("tools/list", json!({})).await;
    let listed = tools.message["result"]["tools"].as_array().unwrap();
    assert_eq!(listed.len(), 13, "{}", tools.text);
    let delete = listed.iter().find(|t| t["name"] == "delete_pin").unwrap();
    assert_eq!(delete["annotations"]["destructiveHint"], true);
    assert_eq!(delete["annotations"]["readOnlyHint"], false);
    let get = listed.iter().find(|t| t["name"] == "get_pin").unwrap();
    assert_eq!(get["annotations"]["readOnlyHint"], true);
    for t in listed {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert_eq!(t["outputSchema"]["type"], "object", "{t}");
        assert!(t["title"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(t["description"].as_str().is_some_and(|s| s.len() > 40));
    }

    // The server's stream for this session opens.
    let stream = reqwest::Client::new()
        .get(c.url.clone())
        .bearer_auth(&k)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    drop(stream);

    // A version the server does not speak: it answers one it does.
    // (An initialize carries no MCP-Protocol-Version header: that comes after.)
    let init = answer(
        reqwest::Client::new()
            .post(c.url.clone())
            .bearer_auth(&k)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "1999-01-01", "capabilities": {},
                           "clientInfo": {"name": "x", "version": "1"}}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let version = init.message["result"]["protocolVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", init.text));
    assert!(
        ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"].contains(&version),
        "{}",
        init.text
    );

    // DELETE ends the session: it is unknown afterwards.
    let ended = reqwest::Client::new()
        .delete(c.url.clone())
        .bearer_auth(&k)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success(), "{}", ended.status());
    let after = c.request("tools/list", json!({})).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "{}", after.text);
    w.stop().await;
}

#[tokio::test]
async fn every_unusable_key_is_refused_before_the_protocol() {
    let w = world().await;
    let good = agent_key(&w, &AGENT, None, 10_000).await;
    let no_agent = agent_key(&w, &[ApiPermission::Proxy], None, 10_000).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "x", "version": "1"}}});
    let mut c = Client::new(&w.app, &good);
    for (key, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (
            Some("pinbridge_dev_nope".to_owned()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(format!(
                "{}{}",
                &good[..good.len() - 1],
                if good.ends_with('A') { 'B' } else { 'A' }
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (Some(no_agent.clone()), StatusCode::FORBIDDEN),
    ] {
        c.key = key.clone();
        let got = c.post(init.clone()).await;
        assert_eq!(got.status, status, "{key:?}: {}", got.text);
        if status == StatusCode::UNAUTHORIZED {
            let challenge = got.headers["www-authenticate"].to_str().unwrap();
            assert!(
                challenge.starts_with("Bearer realm=\"pinbridge\""),
                "{challenge}"
            );
        } else {
            assert!(got.text.contains("agent"), "{}", got.text);
        }
        assert!(!got.text.contains(&good) && !got.text.contains(&no_agent));
    }
    // A revoked key.
    let state = w.app.state();
    let actor = actor_in(
        &state.db,
        &WorkspaceId::parse(&w.ws).unwrap(),
        &OperatorId::parse(&w.owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    let env = EnvironmentId::parse(&w.env_id).unwrap();
    let listed = keys::list(&state.db, &actor, &env).await.unwrap();
    let row = listed
        .iter()
        .find(|r| good.ends_with(&r.last_four))
        .unwrap();
    keys::revoke(state, &actor, &env, &row.id, &RequestMeta::default())
        .await
        .unwrap();
    c.key = Some(good.clone());
    let got = c.post(init.clone()).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{}", got.text);
    assert!(got.text.contains("revoked"), "{}", got.text);
    // A key's rate limit holds for /mcp too.
    let slow = agent_key(&w, &AGENT, None, 2).await;
    c.key = Some(slow);
    assert_eq!(c.post(init.clone()).await.status, StatusCode::OK);
    assert_eq!(c.post(init.clone()).await.status, StatusCode::OK);
    let refused = c.post(init).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    w.stop().await;
}

#[tokio::test]
async fn another_instance_continues_a_session_and_no_other_key_can_use_it() {
    let w = world().await;
    let flags = super::connections::sim_flags(&w.sim);
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let second = TestApp::spawn_sharing(&w.app, &refs).await;
    let user = EndUser::new();
    connect(&w, &user, "ann").await;
    let k = agent_key(&w, &AGENT, None, 10_000).await;
    let mut a = Client::new(&w.app, &k);
    a.handshake().await;
    let session = a.session.clone().unwrap();
    // The same session, through the other instance, as a load balancer would.
    let mut b = Client::new(&second, &k);
    b.session = Some(session.clone());
    let account = b
        .tool("get_user_account", json!({"end_user_id": "ann"}))
        .await;
    assert!(ok(&account)["username"].is_string(), "{account}");
    // Another key (even of the same environment) cannot use the session.
    let other = agent_key(&w, &AGENT, None, 10_000).await;
    for app in [&w.app, &second] {
        let mut thief = Client::new(app, &other);
        thief.session = Some(session.clone());
        let got = thief.request("tools/list", json!({})).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.text);
    }
    // An unknown session is 404 (the client starts a new one), on any instance.
    b.session = Some("not-a-session".into());
    assert_eq!(
        b.request("tools/list", json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn bad_input_gets_protocol_errors_and_changes_nothing_at_pinterest() {
    let w = world_with_scopes(&WRITE_SCOPES).await;
    let user = EndUser::new();
    connect(&w, &user, "ann").await;
    let k = agent_key(&w, &AGENT, None, 10_000).await;
    let mut c = Client::new(&w.app, &k);
    // Without a session where one is required.
    let early = c.request("tools/list", json!({})).await;
    assert!(early.status.is_client_error(), "{}", early.text);
    c.handshake().await;
    reqwest::Client::new()
        .delete(format!("{}/_sim/requests", w.sim.base_url()))
        .send()
        .await
        .unwrap();

    let malformed = c
        .post_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\":".to_vec())
        .await;
    assert!(malformed.status.is_client_error(), "{}", malformed.text);
    assert_eq!(
        malformed.message["error"]["code"], -32700,
        "{}",
        malformed.text
    );
    let not_json = c.post_raw(vec![0xff, 0xfe, 0x00]).await;
    assert!(not_json.status.is_client_error(), "{}", not_json.text);
    let batch = c
        .post(json!([{"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
                     {"jsonrpc": "2.0", "id": 8, "method": "tools/list"}]))
        .await;
    assert!(batch.status.is_client_error(), "{}", batch.text);
    let unknown = c.request("pins/explode", json!({})).await;
    assert_eq!(unknown.message["error"]["code"], -32601, "{}", unknown.text);
    let no_tool = c
        .request(
            "tools/call",
            json!({"name": "drop_database", "arguments": {}}),
        )
        .await;
    assert_eq!(no_tool.message["error"]["code"], -32602, "{}", no_tool.text);
    assert!(no_tool.text.contains("Unknown tool"), "{}", no_tool.text);

    let wrong_type = c
        .tool("get_board", json!({"end_user_id": "ann", "board_id": 42}))
        .await;
    assert!(tool_error(&wrong_type).contains("board_id"), "{wrong_type}");
    let missing = c
        .tool(
            "create_pin",
            json!({"end_user_id": "ann", "image_url": "https://example.com/a.jpg"}),
        )
        .await;
    assert!(tool_error(&missing).contains("board_id"), "{missing}");
    let unknown_field = c
        .tool(
            "create_board",
            json!({"end_user_id": "ann", "name": "x", "colour": "red"}),
        )
        .await;
    assert!(
        tool_error(&unknown_field).contains("colour"),
        "{unknown_field}"
    );
    let not_digits = c
        .tool(
            "delete_board",
            json!({"end_user_id": "ann", "board_id": "../../user_account"}),
        )
        .await;
    assert!(tool_error(&not_digits).contains("digits"), "{not_digits}");
    let bad_url = c
        .tool(
            "create_pin",
            json!({"end_user_id": "ann", "board_id": "1", "image_url": "file:///etc/passwd"}),
        )
        .await;
    assert!(tool_error(&bad_url).contains("image_url"), "{bad_url}");
    let target_type = c.tool("get_user_account", json!({"end_user_id": 5})).await;
    assert!(
        tool_error(&target_type).contains("strings"),
        "{target_type}"
    );
    let arguments_not_object = c
        .request(
            "tools/call",
            json!({"name": "get_user_account", "arguments": [1, 2]}),
        )
        .await;
    assert!(
        arguments_not_object.message["error"].is_object()
            || arguments_not_object.message["result"]["isError"] == true,
        "{}",
        arguments_not_object.text
    );
    // Oversized: refused before any tool runs.
    let huge = "x".repeat(server::mcp::BODY_LIMIT + 1);
    let big = c
        .request(
            "tools/call",
            json!({"name": "create_board", "arguments": {"end_user_id": "ann", "name": huge}}),
        )
        .await;
    assert_eq!(
        big.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &big.text[..big.text.len().min(300)]
    );

    let log = sim_admin(
        &w.sim,
        reqwest::Method::GET,
        "/_sim/requests?limit=1000",
        Value::Null,
    )
    .await;
    let writes: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET")
        .collect();
    assert!(
        writes.is_empty(),
        "nothing changed at Pinterest: {writes:?}"
    );
    // Recorded as invalid calls, not as successes.
    let calls = recorded(&w).await;
    assert!(
        calls
            .iter()
            .any(|c| c.tool == "create_pin" && c.outcome == ToolOutcome::Invalid)
    );
    assert!(calls.iter().all(|c| c.outcome != ToolOutcome::Ok));
    w.stop().await;
}

#[tokio::test]
async fn a_call_acts_for_exactly_one_account_and_a_bound_key_for_its_end_user_only() {
    let w = world().await;
    let (ann, _) = connect(&w, &EndUser::new(), "ann").await;
    let (bob, _) = connect(&w, &EndUser::new(), "bob").await;
    let open = agent_key(
        &w,
        &[ApiPermission::Agent, ApiPermission::Connect],
        None,
        10_000,
    )
    .await;
    let bound = agent_key(&w, &AGENT, Some("ann"), 10_000).await;

    let mut c = Client::new(&w.app, &open);
    c.handshake().await;
    let listed = c.tool("list_connections", json!({})).await;
    assert_eq!(ok(&listed)["connections"].as_array().unwrap().len(), 2);
    let by_id = c
        .tool("get_user_account", json!({"connection_id": bob}))
        .await;
    let by_user = c
        .tool("get_user_account", json!({"end_user_id": "bob"}))
        .await;
    assert_eq!(ok(&by_id), ok(&by_user));
    let neither = c.tool("get_user_account", json!({})).await;
    assert!(tool_error(&neither).contains("connection_id"), "{neither}");
    let both = c
        .tool(
            "get_user_account",
            json!({"connection_id": ann, "end_user_id": "ann"}),
        )
        .await;
    assert!(tool_error(&both).contains("not both"), "{both}");
    let not_uuid = c
        .tool("get_user_account", json!({"connection_id": "42"}))
        .await;
    assert!(
        tool_error(&not_uuid).contains("not a connection id"),
        "{not_uuid}"
    );
    let unknown = c
        .tool(
            "get_user_account",
            json!({"connection_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert!(
        tool_error(&unknown).contains("list_connections"),
        "{unknown}"
    );
    // An end user who never connected: with `connect`, a link to send them.
    let stranger = c
        .tool("get_user_account", json!({"end_user_id": "zoe"}))
        .await;
    let text = tool_error(&stranger);
    assert!(text.contains("has not connected"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/connect/"))
        .unwrap();
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let mut c = Client::new(&w.app, &bound);
    c.handshake().await;
    let mine = c.tool("list_connections", json!({})).await;
    let only = ok(&mine)["connections"].as_array().unwrap().clone();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["end_user_id"], "ann");
    let others = c
        .tool("list_connections", json!({"end_user_id": "bob"}))
        .await;
    assert!(ok(&others)["connections"].as_array().unwrap().is_empty());
    let implicit = c.tool("get_user_account", json!({})).await;
    assert!(ok(&implicit)["username"].is_string());
    let by_name = c
        .tool("get_user_account", json!({"end_user_id": "bob"}))
        .await;
    assert!(tool_error(&by_name).contains("only"), "{by_name}");
    let by_id = c
        .tool("get_user_account", json!({"connection_id": bob}))
        .await;
    let text = tool_error(&by_id);
    assert!(text.contains("\u{201c}ann\u{201d} only"), "{text}");
    // Without `connect`, no link is made.
    assert!(!text.contains("/connect/"));
    w.stop().await;
}

#[tokio::test]
async fn pinterest_errors_become_tool_errors_an_agent_can_act_on() {
    // The environment asks for read scopes only: writing lacks boards:write.
    let w = world().await;
    let (id, _) = connect(&w, &EndUser::new(), "ann").await;
    let k = agent_key(
        &w,
        &[ApiPermission::Agent, ApiPermission::Connect],
        None,
        10_000,
    )
    .await;
    let mut c = Client::new(&w.app, &k);
    c.handshake().await;
    let scope = c
        .tool(
            "create_board",
            json!({"connection_id": id, "name": "Recipes"}),
        )
        .await;
    let text = tool_error(&scope);
    assert!(text.contains("boards:write"), "{text}");
    assert!(text.contains("operator must add"), "{text}");
    assert!(text.contains("/connect/"), "a link to reconnect: {text}");
    // A board that does not exist.
    let missing = c
        .tool(
            "get_board",
            json!({"connection_id": id, "board_id": "12345"}),
        )
        .await;
    assert!(tool_error(&missing).contains("no such board"), "{missing}");
    // Pinterest's rate limit, with Retry-After.
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"rate_limit": {"requests": 1, "window_ms": 60000, "retry_after": true},
               "paths": ["/v5/boards"]}),
    )
    .await;
    let first = c.tool("list_boards", json!({"connection_id": id})).await;
    ok(&first);
    let limited = c.tool("list_boards", json!({"connection_id": id})).await;
    let text = tool_error(&limited);
    assert!(
        text.contains("rate limit") && text.contains("Retry after"),
        "{text}"
    );
    // Pinterest down.
    sim_admin(
        &w.sim,
        reqwest::Method::PUT,
        "/_sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [503], "paths": ["/v5/user_account"]}),
    )
    .await;
    let down = c
        .tool("get_user_account", json!({"connection_id": id}))
        .await;
    assert!(tool_error(&down).contains("try again"), "{down}");
    let calls = recorded(&w).await;
    for outcome in [
        ToolOutcome::MissingScope,
        ToolOutcome::NotFound,
        ToolOutcome::RateLimited,
        ToolOutcome::Unavailable,
        ToolOutcome::Ok,
    ] {
        assert!(
            calls.iter().any(|c| c.outcome == outcome),
            "{outcome:?} recorded: {calls:?}"
        );
    }
    w.stop().await;
}

#[tokio::test]
async fn a_connection_revoked_at_pinterest_asks_for_a_reconnect_with_a_working_link() {
    let w = world().await;
    let (id, _) = connect(&w, &EndUser::new(), "ann").await;
    let token_key = agent_key(&w, &[ApiPermission::Tokens], None, 10_000).await;
    let token: Value = reqwest::Client::new()
        .post(w.app.url(&format!("/v1/connections/{id}/access-token")))
        .bearer_auth(&token_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    // The end user removes the app on Pinterest: every token of the grant dies.
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"client_id": super::connections::APP_ID, "username": "demo_pinner"}),
    )
    .await;
    let k = agent_key(
        &w,
        &[ApiPermission::Agent, ApiPermission::Connect],
        None,
        10_000,
    )
    .await;
    let mut c = Client::new(&w.app, &k);
    c.handshake().await;
    let gone = c
        .tool("get_user_account", json!({"end_user_id": "ann"}))
        .await;
    let text = tool_error(&gone);
    assert!(text.contains("must reconnect"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/connect/"))
        .unwrap_or_else(|| panic!("a connect link: {text}"));
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!text.contains(&access));
    let calls = recorded(&w).await;
    assert!(calls.iter().any(|c| c.outcome == ToolOutcome::Reconnect));
    w.stop().await;
}

#[tokio::test]
async fn twenty_agents_on_one_expiring_connection_make_one_refresh_and_are_recorded() {
    let w = world().await;
    let second = TestApp::spawn_sharing(
        &w.app,
        &super::connections::sim_flags(&w.sim)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .await;
    let (id, _) = connect(&w, &EndUser::new(), "ann").await;
    let k = agent_key(&w, &AGENT, None, 100_000).await;
    domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query("update connections set access_expires_at = $1 where id = $2")
            .bind(domain::db::now_ms() + 1000).bind(&id).execute(pool).await.map(|_| ())
    })
    .unwrap();
    reqwest::Client::new()
        .delete(format!("{}/_sim/requests", w.sim.base_url()))
        .send()
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let app = if i % 2 == 0 {
            w.app.url("/mcp")
        } else {
            second.url("/mcp")
        };
        let (k, id) = (k.clone(), id.clone());
        tasks.spawn(async move {
            let mut c = Client {
                url: app,
                key: Some(k),
                version: "2025-06-18",
                session: None,
                next_id: 1,
            };
            c.handshake().await;
            let got = c
                .tool("get_user_account", json!({"connection_id": id}))
                .await;
            ok(&got)["username"].as_str().unwrap().to_owned()
        });
    }
    let mut names = Vec::new();
    while let Some(t) = tasks.join_next().await {
        names.push(t.unwrap());
    }
    assert!(names.iter().all(|n| n == &names[0]));
    let log = sim_admin(
        &w.sim,
        reqwest::Method::GET,
        "/_sim/requests?limit=1000",
        Value::Null,
    )
    .await;
    let refreshes = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v5/oauth/token")
        .count();
    assert_eq!(refreshes, 1, "one refresh for twenty agents");
    domain::api::maintain(second.state(), false).await.unwrap();
    let calls = recorded(&w).await;
    let on_it: Vec<_> = calls
        .iter()
        .filter(|c| c.connection_id.as_ref().map(|c| c.as_str()) == Some(id.as_str()))
        .collect();
    assert_eq!(on_it.len(), 20);
    assert!(
        on_it
            .iter()
            .all(|c| c.tool == "get_user_account" && c.outcome == ToolOutcome::Ok)
    );
    assert_eq!(on_it[0].end_user_id.as_deref(), Some("ann"));
    // Counted per key and connection, beside the API's token and proxy calls.
    let counts: (i64,) = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select tool_calls from connection_api_calls where connection_id = $1")
            .bind(&id).fetch_one(pool).await
    })
    .unwrap();
    assert_eq!(counts.0, 20);
    // Neither the key nor a token reached the logs.
    let logs = crate::common::logs::captured();
    assert!(!logs.contains(&k));
    let tokens: Vec<(Option<String>,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select access_token from connections").fetch_all(pool).await
    })
    .unwrap();
    assert!(!tokens.is_empty());
    second.stop().await;
    w.stop().await;
}

#[tokio::test]
async fn the_curl_the_agents_page_shows_lists_the_tools_statelessly() {
    let w = world().await;
    let k = agent_key(&w, &AGENT, None, 10_000).await;
    let command = domain::agent::curl_list_tools(&w.app.state().config.public_url)
        .replace("YOUR_AGENT_KEY", &k);
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{command}");
    let text = String::from_utf8_lossy(&out.stdout);
    let message: Value = serde_json::from_str(&text).unwrap_or_else(|_| {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .find_map(|d| serde_json::from_str(d.trim()).ok())
            .unwrap_or_else(|| panic!("{text}"))
    });
    assert_eq!(
        message["result"]["tools"].as_array().map(Vec::len),
        Some(13),
        "{text}"
    );
    // The client configuration is JSON naming the same URL.
    let config: Value = serde_json::from_str(&domain::agent::client_config(
        &w.app.state().config.public_url,
    ))
    .unwrap();
    assert_eq!(config["mcpServers"]["pinterest"]["url"], w.app.url("/mcp"));
    w.stop().await;
}

#[tokio::test]
async fn a_key_bound_to_one_end_user_reaches_no_other_through_v1_either() {
    let w = world().await;
    let (ann, _) = connect(&w, &EndUser::new(), "ann").await;
    let (bob, _) = connect(&w, &EndUser::new(), "bob").await;
    let all: Vec<ApiPermission> = ApiPermission::ALL.to_vec();
    let bound = agent_key(&w, &all, Some("ann"), 10_000).await;
    let get = |path: String| {
        let k = bound.clone();
        let url = w.app.url(&path);
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(k)
                .send()
                .await
                .unwrap()
        }
    };
    let list: Value = get("/v1/connections".into()).await.json().await.unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ann.as_str()]);
    assert_eq!(
        get(format!("/v1/connections/{ann}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/v1/connections/{bob}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(format!("/v1/connections/{bob}/pinterest/user_account"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let token = reqwest::Client::new()
        .post(w.app.url(&format!("/v1/connections/{bob}/access-token")))
        .bearer_auth(&bound)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::NOT_FOUND);
    let session = reqwest::Client::new()
        .post(w.app.url("/v1/connect-sessions"))
        .bearer_auth(&bound)
        .json(&json!({"end_user_id": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let own = reqwest::Client::new()
        .post(w.app.url("/v1/connect-sessions"))
        .bearer_auth(&bound)
        .json(&json!({"end_user_id": "ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CREATED);
    w.stop().await;
}
