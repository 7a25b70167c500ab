//! The agent gateway's domain: Pinterest as tools an AI agent calls through
//! MCP (`/mcp`). The MCP layer (`server::mcp`) only speaks the protocol: it
//! lists [`Tool::ALL`] with their schemas and hands each call to [`call`].
//!
//! A call acts for one connection, chosen by `connection_id` or
//! `end_user_id` ([`target`]), found by the key's workspace and environment
//! only, and for a key bound to one end user, that end user's only. Tokens
//! come from `tokens::fresh_token_of` (one refresh however many agents ask);
//! a 401 from Pinterest refreshes once and retries (the proxy's client).
//! Pinterest's errors become [`ToolError`]s that say what to do next.
//!
//! Every call is counted per key and connection and recorded
//! ([`ToolCallRecord`]: tool, connection, outcome, latency; never arguments
//! or tokens), in memory first and written with the API's usage.

mod catalogue;
mod error;
pub mod input;
pub mod oauth;
pub mod output;
mod pinterest;
pub mod sign_in;
mod target;

use std::time::Instant;

use serde_json::{Map, Value};

use crate::Services;
use crate::accounts::{ConnectionId, EnvironmentId, RequestMeta, WorkspaceId};
use crate::api::{ApiCaller, ApiError, CallKind};
use crate::db::repo::agent as rows;
use crate::db::{DbError, now_ms};
use crate::shared::{ApiPermission, ToolOutcome};

pub use catalogue::{Hints, Tool};
pub use error::ToolError;
pub use rows::{ToolCallRecord, ToolCallRow};

/// Tool calls are kept this long.
pub const CALLS_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;
/// An MCP session unused this long is forgotten.
pub const SESSION_IDLE_MS: i64 = 24 * 3600 * 1000;
/// Tool calls the Agents page shows.
pub const RECENT_CALLS: i64 = 50;

/// Runs one tool for the caller: its `structuredContent`, or why not.
/// Counted and recorded whatever the outcome.
pub async fn call(
    services: &Services,
    caller: &ApiCaller,
    tool: Tool,
    arguments: Map<String, Value>,
    meta: &RequestMeta,
) -> Result<Value, ToolError> {
    let started = Instant::now();
    let mut connection = None;
    let result = run(services, caller, tool, arguments, meta, &mut connection).await;
    if let Some(id) = &connection {
        services.api.count_call(id, &caller.key_id, CallKind::Tool);
    }
    services.api.record_tool_call(ToolCallRecord {
        id: uuid::Uuid::new_v4().to_string(),
        workspace_id: caller.workspace_id.clone(),
        environment_id: caller.environment_id.clone(),
        key_id: caller.key_id.clone(),
        connection_id: connection,
        tool: tool.name(),
        outcome: result
            .as_ref()
            .map_or_else(|e| e.outcome, |_| ToolOutcome::Ok),
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        at: now_ms(),
    });
    result
}

async fn run(
    services: &Services,
    caller: &ApiCaller,
    tool: Tool,
    mut arguments: Map<String, Value>,
    meta: &RequestMeta,
    connection: &mut Option<ConnectionId>,
) -> Result<Value, ToolError> {
    if !caller.permissions.contains(&ApiPermission::Agent) {
        // The MCP layer refuses such keys before any call; kept for callers
        // of this function that do not.
        return Err(ToolError::new(
            ToolOutcome::Invalid,
            ApiError::MissingPermission(ApiPermission::Agent).to_string(),
        ));
    }
    if caller.read_only && !tool.hints().read_only {
        return Err(ToolError::new(
            ToolOutcome::Refused,
            format!(
                "{} changes Pinterest, and the end user let this assistant read only. Ask them to connect the assistant again and allow changes ({}).",
                tool.name(),
                crate::shared::AgentScope::Write.as_str()
            ),
        ));
    }
    if tool == Tool::ListConnections {
        return target::list_connections(services, caller, arguments).await;
    }
    let which = target::take(&mut arguments)?;
    let row = target::resolve(services, caller, which, meta).await?;
    *connection = Some(row.id.clone());
    pinterest::run(services, caller, tool, row, arguments, meta).await
}

/// Deserialises a tool's arguments, saying which one is wrong and how.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    tool: Tool,
    arguments: Map<String, Value>,
) -> Result<T, ToolError> {
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        ToolError::invalid(format!(
            "The arguments of {} are wrong: {at}{inner}. See the tool's input schema.",
            tool.name()
        ))
    })
}

/// The environment's most recent tool calls (the Agents page).
pub async fn recent_calls(
    services: &Services,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<ToolCallRow>, DbError> {
    rows::recent(
        &services.db,
        workspace_id,
        rows::CallsOf::Environment(environment_id),
        RECENT_CALLS,
    )
    .await
}

/// One connection's most recent tool calls (its page).
pub async fn recent_calls_on(
    services: &Services,
    workspace_id: &WorkspaceId,
    connection_id: &ConnectionId,
) -> Result<Vec<ToolCallRow>, DbError> {
    rows::recent(
        &services.db,
        workspace_id,
        rows::CallsOf::Connection(connection_id),
        RECENT_CALLS,
    )
    .await
}

/// How often a process forgets old tool calls and idle sessions.
const PRUNE_EVERY_MS: i64 = 5 * 60 * 1000;

/// Forgets old tool calls and idle sessions, at most every
/// [`PRUNE_EVERY_MS`] per process (a delete is a write, even of nothing).
pub(crate) async fn prune(services: &Services, now: i64) -> Result<(), DbError> {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let last = LAST.load(std::sync::atomic::Ordering::Relaxed);
    if now - last < PRUNE_EVERY_MS {
        return Ok(());
    }
    LAST.store(now, std::sync::atomic::Ordering::Relaxed);
    rows::prune(&services.db, now - CALLS_KEPT_MS, now - SESSION_IDLE_MS).await?;
    oauth::prune(services, now).await
}

/// MCP sessions, stored so that any instance can continue one another began.
pub mod sessions {
    use super::*;

    /// Records that the caller's key opened session `id`.
    pub async fn open(services: &Services, id: &str, caller: &ApiCaller) -> Result<(), DbError> {
        rows::open_session(&services.db, id, &caller.key_id, now_ms()).await
    }

    /// Whether the caller's key may use session `id`: `None` when no such
    /// session is stored, `Some(false)` when another key opened it.
    pub async fn owned_by(
        services: &Services,
        id: &str,
        caller: &ApiCaller,
    ) -> Result<Option<bool>, DbError> {
        let Some(row) = rows::find_session(&services.db, id).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if now - row.last_seen_at > SESSION_IDLE_MS {
            return Ok(None);
        }
        // Seen at most once a minute: not a write per request.
        if now - row.last_seen_at > 60_000 {
            rows::touch_session(&services.db, id, now).await?;
        }
        Ok(Some(row.key_id.as_ref() == Some(&caller.key_id)))
    }

    pub async fn load(services: &Services, id: &str) -> Result<Option<String>, DbError> {
        Ok(rows::find_session(&services.db, id)
            .await?
            .filter(|row| now_ms() - row.last_seen_at <= SESSION_IDLE_MS)
            .and_then(|row| row.state))
    }

    pub async fn store(services: &Services, id: &str, state: &str) -> Result<(), DbError> {
        rows::store_session_state(&services.db, id, state, now_ms()).await
    }

    pub async fn delete(services: &Services, id: &str) -> Result<(), DbError> {
        rows::delete_session(&services.db, id).await
    }
}

/// The MCP endpoint's URL for this deployment.
pub fn mcp_url(public_url: &str) -> String {
    format!("{}/mcp", public_url.trim_end_matches('/'))
}

/// A generic `mcpServers` entry, as most MCP clients read it.
pub fn client_config(public_url: &str) -> String {
    let config = serde_json::json!({
        "mcpServers": {
            "pinterest": {
                "type": "http",
                "url": mcp_url(public_url),
                "headers": { "Authorization": "Bearer YOUR_AGENT_KEY" }
            }
        }
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// A curl command that lists the tools: one stateless request of protocol
/// 2026-07-28 (no handshake, no session).
pub fn curl_list_tools(public_url: &str) -> String {
    format!(
        "curl -s {url} \\\n  -H 'Authorization: Bearer YOUR_AGENT_KEY' \\\n  -H 'Content-Type: application/json' \\\n  -H 'Accept: application/json, text/event-stream' \\\n  -H 'MCP-Protocol-Version: 2026-07-28' \\\n  -H 'Mcp-Method: tools/list' \\\n  -d '{body}'",
        url = mcp_url(public_url),
        body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
    )
}
