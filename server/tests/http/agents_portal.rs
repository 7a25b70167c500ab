//! The portal's Agents page over HTTP, and what the agent gateway adds to the
//! API keys and connection pages: the MCP endpoint and client settings, the
//! usable keys with the `agent` permission (never a key's text), keys bound
//! to one end user made with and without JavaScript, and recorded tool calls
//! on the environment's and the connection's pages. Every member reads it;
//! another workspace's members find nothing.

use super::api_keys_portal::{Env, development, list};
use crate::common::TestApp;
use crate::common::portal::{Browser, join, provision, set_up};
use app::errors::AppError;
use app::models::{AgentsPageView, ConnectionDetailView, IssuedApiKey};
use domain::accounts::{ApiKeyId, ConnectionId};
use domain::agent::ToolCallRecord;
use domain::api::CallKind;
use domain::shared::ToolOutcome;
use reqwest::StatusCode;

/// "New API key" as the page's script sends it.
async fn create(
    browser: &Browser,
    env: &Env,
    name: &str,
    permissions: &[&str],
    end_user_id: &str,
) -> Result<IssuedApiKey, AppError> {
    let mut form = vec![
        ("workspace", env.ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("name", name),
        ("expires_in_days", ""),
        ("rate_limit", ""),
        ("end_user_id", end_user_id),
    ];
    form.extend(permissions.iter().map(|p| ("permissions[]", *p)));
    browser.call("api-keys/create", &form).await
}

async fn agents(browser: &Browser, env: &Env) -> Result<AgentsPageView, AppError> {
    browser
        .call(
            "agents/view",
            &[("workspace", &env.ws), ("environment", &env.slug)],
        )
        .await
}

/// The opening tag of the element with this `id`.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// A tool call as the gateway records and counts it.
fn record(
    app: &TestApp,
    env: &Env,
    key: &IssuedApiKey,
    connection: Option<&ConnectionId>,
    tool: &'static str,
    outcome: ToolOutcome,
    at: i64,
) {
    let (workspace_id, environment_id) = env.ids();
    let key_id = ApiKeyId::parse(&key.id).unwrap();
    let services = app.state();
    if let Some(connection) = connection {
        services.api.count_call(connection, &key_id, CallKind::Tool);
    }
    services.api.record_tool_call(ToolCallRecord {
        id: uuid::Uuid::new_v4().to_string(),
        workspace_id,
        environment_id,
        key_id,
        connection_id: connection.cloned(),
        tool,
        outcome,
        latency_ms: 12,
        at,
    });
}

#[tokio::test]
async fn the_agents_page_shows_the_endpoint_and_the_agent_keys_only() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Agents Inc", "owner@agents.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;

    let empty = agents(b, &env).await.unwrap();
    assert!(empty.keys.is_empty() && empty.calls.is_empty());
    let page = b.page(&env.path("agents")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"data-field="no-agent-keys""#));
    assert!(page.body.contains("No tool calls yet."));

    let backend = create(b, &env, "Backend", &["tokens", "proxy"], "")
        .await
        .unwrap();
    let bound = create(b, &env, "Support bot", &["agent"], "alice")
        .await
        .unwrap();
    let any = create(b, &env, "Any agent", &["agent", "connections:read"], "")
        .await
        .unwrap();
    let revoked = create(b, &env, "Old agent", &["agent"], "").await.unwrap();
    b.call::<String>(
        "api-key/revoke",
        &[
            ("workspace", &env.ws),
            ("environment_id", &env.id),
            ("key_id", &revoked.id),
        ],
    )
    .await
    .unwrap();

    let view = agents(b, &env).await.unwrap();
    assert!(view.can_configure);
    let listed: Vec<(&str, Option<&str>)> = view
        .keys
        .iter()
        .map(|k| (k.name.as_str(), k.end_user_id.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [("Any agent", None), ("Support bot", Some("alice"))],
        "usable keys with the agent permission, newest first"
    );
    assert_eq!(view.mcp_url, format!("{}/mcp", app.base));
    assert!(view.client_config.contains(&view.mcp_url));
    assert!(view.client_config.contains("mcpServers"));
    assert!(view.curl_list_tools.contains("tools/list"));
    assert!(view.curl_list_tools.contains(&view.mcp_url));
    assert_eq!(view.tools.len(), 13);
    assert!(view.tools.iter().any(|t| t.name == "create_pin"));

    let page = b.page(&env.path("agents")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(html.contains(r#"<h1>Agents</h1>"#));
    assert!(html.contains(&format!(r#"data-field="mcp-url">{}/mcp<"#, app.base)));
    assert!(html.contains(r#"data-field="client-config""#));
    assert!(html.contains("Bearer YOUR_AGENT_KEY"));
    assert!(html.contains(r#"data-field="curl-list-tools""#));
    assert!(html.contains(&format!(r#"data-key="{}""#, bound.id)));
    assert!(html.contains(&format!(r#"data-key="{}""#, any.id)));
    assert!(html.contains("<code>alice</code>"), "the bound end user");
    assert!(html.contains("Any end user"));
    for other in [&backend, &revoked] {
        assert!(
            !html.contains(&format!("{}\u{2026}{}", other.prefix, other.last_four)),
            "{} is not an agent key",
            other.name
        );
    }
    assert!(html.contains(r#"data-tool="delete_pin""#));
    assert!(html.contains("destructive") && html.contains("read-only"));
    // The way to a new one: the API keys page with `agent` chosen.
    let new_key = format!(r#"href="/w/{}/e/{}/api-keys?new=agent"#, env.ws, env.slug);
    assert!(html.contains(&new_key), "the New agent key link");
    // The navigation leads here.
    assert!(html.contains(&format!(r#"href="/w/{}/e/{}/agents""#, env.ws, env.slug)));

    // No key's text, on any page that lists them.
    let key_pages = [
        html.clone(),
        b.page(&env.path("api-keys")).await.body,
        b.page(&env.path("api-keys?new=agent")).await.body,
    ];
    for key in [&backend, &bound, &any, &revoked] {
        assert!(key_pages.iter().all(|p| !p.contains(&key.key)));
    }

    // `?new=agent` chooses the permission on the API keys page; without it, none is.
    let checkbox = "key-permission-agent";
    assert!(tag_with_id(&key_pages[2], checkbox).contains("checked"));
    assert!(!tag_with_id(&key_pages[1], checkbox).contains("checked"));
    assert!(!tag_with_id(&key_pages[2], "key-permission-tokens").contains("checked"));
    // The API keys page says which end user a key is bound to.
    assert!(key_pages[1].contains(r#"data-field="key-end-user"><code>alice</code>"#));
    let listed = list(b, &env).await.unwrap();
    let support = listed.keys.iter().find(|k| k.id == bound.id).unwrap();
    assert_eq!(support.end_user_id.as_deref(), Some("alice"));
    app.stop().await;
}

#[tokio::test]
async fn recorded_tool_calls_show_on_the_agents_page_and_the_connection_page() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Agents Inc", "owner@agents.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let (ws_id, env_id) = env.ids();
    let [alice]: [ConnectionId; 1] =
        domain::testing::insert_connections(&app.state().db, &ws_id, &env_id, &["alice"])
            .await
            .try_into()
            .unwrap();
    let key = create(b, &env, "Support bot", &["agent"], "alice")
        .await
        .unwrap();
    let now = domain::db::now_ms();
    record(
        &app,
        &env,
        &key,
        None,
        "list_connections",
        ToolOutcome::Ok,
        now - 3_000,
    );
    record(
        &app,
        &env,
        &key,
        Some(&alice),
        "get_user_account",
        ToolOutcome::Ok,
        now - 2_000,
    );
    record(
        &app,
        &env,
        &key,
        Some(&alice),
        "delete_pin",
        ToolOutcome::NotFound,
        now - 1_000,
    );
    // Another workspace's calls stay there.
    let other = provision(&app, "Other Co", "owner@other.example").await;
    let their_env = development(&other).await;
    let theirs = create(&other.browser, &their_env, "Theirs", &["agent"], "")
        .await
        .unwrap();
    record(
        &app,
        &their_env,
        &theirs,
        None,
        "list_boards",
        ToolOutcome::Ok,
        now,
    );
    domain::api::maintain(app.state(), false).await.unwrap();

    let view = agents(b, &env).await.unwrap();
    let calls: Vec<(&str, ToolOutcome, Option<&str>)> = view
        .calls
        .iter()
        .map(|c| (c.tool.as_str(), c.outcome, c.end_user_id.as_deref()))
        .collect();
    assert_eq!(
        calls,
        [
            ("delete_pin", ToolOutcome::NotFound, Some("alice")),
            ("get_user_account", ToolOutcome::Ok, Some("alice")),
            ("list_connections", ToolOutcome::Ok, None),
        ],
        "newest first, this environment's only"
    );
    assert_eq!(view.calls[0].key_name, "Support bot");
    assert_eq!(view.calls[0].latency_ms, 12);
    assert_eq!(
        view.calls[0].connection_id.as_deref(),
        Some(alice.to_string().as_str())
    );

    let page = b.page(&env.path("agents")).await;
    let html = &page.body;
    assert!(!html.contains("No tool calls yet."));
    assert!(html.contains(r#"data-tool="delete_pin" data-outcome="not_found""#));
    assert!(html.contains(r#"data-tool="get_user_account" data-outcome="ok""#));
    assert!(html.contains(">Not found<") && html.contains(">OK<"));
    assert!(
        html.contains("status status-bad"),
        "an error has its colour"
    );
    let connection_page = env.path(&format!("connections/{alice}"));
    assert!(
        html.contains(&format!(r#"<a href="{connection_page}">alice</a>"#)),
        "the end user links to the connection"
    );
    assert!(!html.contains(r#"data-tool="list_boards" data-outcome"#));
    assert!(!html.contains(&theirs.key));

    // The connection's page: the count per key, and its own recent calls.
    let detail: ConnectionDetailView = b
        .call(
            "connection/view",
            &[
                ("workspace", &env.ws),
                ("environment", &env.slug),
                ("connection", &alice.to_string()),
            ],
        )
        .await
        .unwrap();
    let [calls] = detail.api_calls.as_slice() else {
        panic!("{:?}", detail.api_calls)
    };
    assert_eq!(calls.key_id, key.id);
    assert_eq!(
        (calls.tool_calls, calls.token_calls, calls.proxy_calls),
        (2, 0, 0)
    );
    let tools: Vec<&str> = detail.tool_calls.iter().map(|c| c.tool.as_str()).collect();
    assert_eq!(tools, ["delete_pin", "get_user_account"]);
    let page = b.page(&connection_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<th>Tool calls</th>"));
    assert!(page.body.contains(r#"data-field="tool-call-count">2<"#));
    assert!(page.body.contains("Recent agent tool calls"));
    assert!(
        page.body
            .contains(r#"data-tool="delete_pin" data-outcome="not_found""#)
    );
    assert!(
        !page
            .body
            .contains(r#"data-tool="list_connections" data-outcome"#)
    );
    assert!(!page.body.contains(&key.key));
    app.stop().await;
}

#[tokio::test]
async fn a_connection_without_tool_calls_says_so() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Agents Inc", "owner@agents.example").await;
    let env = development(&owner).await;
    let (ws_id, env_id) = env.ids();
    let [bob]: [ConnectionId; 1] =
        domain::testing::insert_connections(&app.state().db, &ws_id, &env_id, &["bob"])
            .await
            .try_into()
            .unwrap();
    let page = owner
        .browser
        .page(&env.path(&format!("connections/{bob}")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Recent agent tool calls"));
    assert!(page.body.contains(r#"data-field="no-tool-calls""#));
    app.stop().await;
}

#[tokio::test]
async fn viewers_read_the_agents_page_and_other_workspaces_find_nothing() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Agents Inc", "owner@agents.example").await;
    let env = development(&owner).await;
    let key = create(&owner.browser, &env, "Support bot", &["agent"], "alice")
        .await
        .unwrap();
    let (viewer, _) = join(
        &app,
        &owner.browser,
        &env.ws,
        "viewer@agents.example",
        "viewer",
    )
    .await;

    let view = agents(&viewer, &env).await.unwrap();
    assert!(!view.can_configure);
    assert_eq!(view.keys.len(), 1);
    let page = viewer.page(&env.path("agents")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("{}/mcp", app.base)));
    assert!(page.body.contains("<code>alice</code>"));
    assert!(!page.body.contains(r#"data-field="new-agent-key""#));
    assert!(page.body.contains("Admins and owners create agent keys."));
    assert!(!page.body.contains(&key.key));

    let other = provision(&app, "Other Co", "owner@other.example").await;
    assert_eq!(
        agents(&other.browser, &env).await.unwrap_err(),
        AppError::NotFound
    );
    let page = other.browser.page(&env.path("agents")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
    assert!(!page.body.contains("Support bot") && !page.body.contains("Agents Inc"));
    // Their own Development has none of ours.
    let theirs = agents(&other.browser, &development(&other).await)
        .await
        .unwrap();
    assert!(theirs.keys.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_bound_key_is_made_without_javascript_and_bad_end_users_are_refused() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Agents Inc", "owner@agents.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let from = env.path("api-keys?new=agent");
    let form = |end_user: &'static str| {
        vec![
            ("workspace", env.ws.clone()),
            ("environment_id", env.id.clone()),
            ("name", "Support bot".to_owned()),
            ("permissions[]", "agent".to_owned()),
            ("expires_in_days", String::new()),
            ("rate_limit", String::new()),
            ("end_user_id", end_user.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let from = from.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.plain_post("api-keys/create", &from, &pairs).await
        }
    };

    let answer = post(form("  customer-42 ")).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = answer.location().to_owned();
    assert!(!location.contains("__err="), "{location}");
    let shown = b.page(&location).await;
    assert!(shown.body.contains(r#"data-field="issued-key-text""#));
    assert!(
        shown
            .body
            .contains(r#"data-field="key-end-user"><code>customer-42</code>"#)
    );
    let listed = list(b, &env).await.unwrap();
    let [key] = listed.keys.as_slice() else {
        panic!("{listed:?}")
    };
    assert_eq!(key.end_user_id.as_deref(), Some("customer-42"), "trimmed");
    let view = agents(b, &env).await.unwrap();
    assert_eq!(view.keys[0].end_user_id.as_deref(), Some("customer-42"));

    // Refused at the field, the form kept; nothing is made.
    let long = "u".repeat(201);
    let cases: [(String, &str); 3] = [
        ("bad\tid".to_owned(), "must not contain control characters"),
        (
            "line\nbreak".to_owned(),
            "must not contain control characters",
        ),
        (long.clone(), "at most 200 characters"),
    ];
    for (end_user, said) in &cases {
        let mut fields = form("");
        fields.last_mut().unwrap().1 = end_user.clone();
        let answer = post(fields).await;
        let location = answer.location().to_owned();
        assert!(location.contains("__err="), "{end_user:?}: {location}");
        let page = b.page(&location).await;
        assert!(page.body.contains(said), "{end_user:?}");
        let field = tag_with_id(&page.body, "key-end-user");
        assert!(field.contains(r#"aria-invalid="true""#), "{field}");
        assert!(
            page.body.contains(r#"value="Support bot""#),
            "the name is kept"
        );
        assert!(
            tag_with_id(&page.body, "key-permission-agent").contains("checked"),
            "the permission is kept"
        );
    }
    // The same refusal for the page's script names the field.
    let err = create(b, &env, "Support bot", &["agent"], &long)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("end_user_id"), "{err:?}");
    assert_eq!(
        list(b, &env).await.unwrap().keys.len(),
        1,
        "nothing more was made"
    );

    // A refused form keeps what was typed into the field.
    let answer = post({
        let mut fields = form("kept-user");
        fields[2].1 = String::new();
        fields
    })
    .await;
    let page = b.page(answer.location()).await;
    assert!(page.body.contains("Name is required"));
    assert!(tag_with_id(&page.body, "key-end-user").contains(r#"value="kept-user""#));
    app.stop().await;
}
