//! What the Agents page shows, as sent to the browser: where AI agents reach
//! pinbridge's MCP gateway, the keys they may use (their visible part only),
//! the tools, and the latest tool calls (which tool, how it ended; never its
//! arguments or what Pinterest answered).

use domain::shared::ToolOutcome;
use serde::{Deserialize, Serialize};

use super::{ApiKeyView, EnvironmentView};

/// What a tool may do to the end user's Pinterest account, from its hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToolAccess {
    /// Only reads.
    Reads,
    /// Adds things (a board, a pin).
    Changes,
    /// Overwrites or deletes things.
    Destructive,
}

impl ToolAccess {
    pub fn label(self) -> &'static str {
        match self {
            Self::Reads => "read-only",
            Self::Changes => "changes",
            Self::Destructive => "destructive",
        }
    }

    /// The badge class.
    pub fn class(self) -> &'static str {
        match self {
            Self::Reads => "status status-ok",
            Self::Changes => "status status-warn",
            Self::Destructive => "status status-bad",
        }
    }
}

/// One tool of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolView {
    /// What agents call it by (`create_pin`).
    pub name: String,
    pub title: String,
    pub access: ToolAccess,
}

/// One recorded tool call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallView {
    pub tool: String,
    pub outcome: ToolOutcome,
    pub latency_ms: i64,
    pub at: i64,
    pub key_id: String,
    pub key_name: String,
    /// The key's visible part (`prefix…last4`).
    pub key_visible: String,
    /// The connection it acted for (none for `list_connections`, or when the
    /// target was not found).
    pub connection_id: Option<String>,
    /// That connection's end user, while the connection exists.
    pub end_user_id: Option<String>,
}

/// The status badge class of an outcome: done, or not.
pub fn outcome_class(outcome: ToolOutcome) -> &'static str {
    match outcome {
        ToolOutcome::Ok => "status status-ok",
        _ => "status status-bad",
    }
}

/// The Agents page of one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsPageView {
    pub environment: EnvironmentView,
    /// Whether the member may create keys (the "New agent key" link).
    pub can_configure: bool,
    pub mcp_url: String,
    /// An `mcpServers` entry to paste into an MCP client's settings.
    pub client_config: String,
    /// A curl command that lists the tools.
    pub curl_list_tools: String,
    /// The usable keys holding the `agent` permission, newest first.
    pub keys: Vec<ApiKeyView>,
    pub tools: Vec<ToolView>,
    /// Newest first.
    pub calls: Vec<ToolCallView>,
    /// The server's clock when the page was made ("last used" is relative to it).
    pub now: i64,
    pub assistants: AssistantsView,
}

/// How end users sign in when a hosted assistant connects (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSignInView {
    pub issuer: String,
    pub client_id: String,
    pub user_claim: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// An assistant an end user let in through OAuth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedAssistantView {
    pub grant_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub end_user_id: String,
    /// The scopes in words.
    pub scope: Vec<String>,
    pub first_at: i64,
    pub last_used_at: Option<i64>,
}

/// The Agents page's part for hosted assistants (OAuth sign-in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantsView {
    /// The environment's MCP URL, which assistants are given.
    pub mcp_url: String,
    /// What operators register at their provider as pinbridge's redirect URI.
    pub redirect_uri: String,
    pub sign_in: Option<AgentSignInView>,
    pub authorized: Vec<AuthorizedAssistantView>,
    /// Notices a plain form post left (saved, tested, revoked).
    pub notices: Vec<String>,
}
