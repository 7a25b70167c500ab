//! The MCP server handler: lists `domain::agent`'s tools and hands each call
//! to `domain::agent::call` with the request's caller. A tool's failure is a
//! tool result with `isError` (the agent reads it); only what is not a tool
//! call at all (an unknown tool, no caller) is a JSON-RPC error.

use std::sync::{Arc, OnceLock};

use domain::Services;
use domain::agent::{self, Tool};
use domain::api::ApiCaller;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

/// What the server tells an agent when it connects.
const INSTRUCTIONS: &str = "Pinterest for the end users of this pinbridge environment. Each tool acts for one end user's connected Pinterest account: call list_connections to see which accounts this key may use (and their state), then pass connection_id or end_user_id to the other tools (a key bound to one end user needs neither). Lists page with Pinterest's bookmark: pass the bookmark of a result to get the next page. A tool error says what to do next (reconnect, missing scope, retry later).";

#[derive(Clone)]
pub struct PinterestTools {
    services: Services,
}

impl PinterestTools {
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

/// A tool as MCP lists it.
fn describe(tool: Tool) -> rmcp::model::Tool {
    let hints = tool.hints();
    rmcp::model::Tool::new(
        tool.name(),
        tool.description(),
        Arc::new(tool.input_schema()),
    )
    .with_title(tool.title())
    .with_raw_output_schema(Arc::new(tool.output_schema()))
    .with_annotations(
        ToolAnnotations::with_title(tool.title())
            .read_only(hints.read_only)
            .destructive(hints.destructive)
            .idempotent(hints.idempotent)
            .open_world(tool.open_world()),
    )
}

fn listed() -> &'static [rmcp::model::Tool] {
    static TOOLS: OnceLock<Vec<rmcp::model::Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| Tool::ALL.into_iter().map(describe).collect())
}

impl ServerHandler for PinterestTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("pinbridge", env!("CARGO_PKG_VERSION"))
                    .with_title("pinbridge: Pinterest for agents"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(listed().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        listed().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(tool) = Tool::parse(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "Unknown tool \u{201c}{}\u{201d}: tools/list gives the tools.",
                    request.name.chars().take(64).collect::<String>()
                ),
                None,
            ));
        };
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let Some(caller) = parts.and_then(|p| p.extensions.get::<ApiCaller>()) else {
            return Err(ErrorData::internal_error("no authenticated caller", None));
        };
        let meta = parts.map(crate::api::request_meta).unwrap_or_default();
        let arguments = request.arguments.unwrap_or_default();
        let result = match agent::call(&self.services, caller, tool, arguments, &meta).await {
            Ok(value) => CallToolResult::structured(value),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.message)]),
        };
        Ok(result.into())
    }
}
