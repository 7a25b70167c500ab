//! [Environment] → Agents: how AI agents use the environment's connections
//! through the MCP gateway (`/mcp`). Every member reads it; the keys agents
//! use are made on the API keys page, by admins and owners.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::AgentsPageView;

/// The Agents page: the endpoint and ready-to-paste client settings, the
/// usable keys with the `agent` permission, the tools, and the latest calls.
#[server(endpoint = "agents/view")]
pub async fn load_agents(
    workspace: String,
    environment: String,
) -> Result<AgentsPageView, AppError> {
    use super::views::{api_key_view, environment_view, tool_call_view, tool_view};
    use domain::agent::{self, Tool};
    use domain::api::keys;
    use domain::shared::ApiPermission;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let now = domain::db::now_ms();
    let keys = keys::list(&app.db, &actor, &env.id)
        .await?
        .iter()
        .map(|row| api_key_view(row, now))
        .filter(|key| key.state.usable() && key.permissions.contains(&ApiPermission::Agent))
        .collect();
    let calls = agent::recent_calls(&app, actor.workspace_id(), &env.id).await?;
    let public_url = &app.config.public_url;
    Ok(AgentsPageView {
        can_configure: actor.role().can_configure(),
        mcp_url: agent::mcp_url(public_url),
        client_config: agent::client_config(public_url),
        curl_list_tools: agent::curl_list_tools(public_url),
        keys,
        tools: Tool::ALL.into_iter().map(tool_view).collect(),
        calls: calls.iter().map(tool_call_view).collect(),
        now,
        environment: environment_view(env),
    })
}
