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

/// A tool as MCP lists it: for keys, or for an assistant signed in as one
/// end user (`signed_in`: no arguments naming a connection or end user).
fn describe(tool: Tool, signed_in: bool) -> rmcp::model::Tool {
    let hints = tool.hints();
    let (description, schema) = if signed_in {
        (tool.description_signed_in(), tool.input_schema_signed_in())
    } else {
        (tool.description(), tool.input_schema())
    };
    rmcp::model::Tool::new(tool.name(), description, Arc::new(schema))
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
    TOOLS.get_or_init(|| Tool::ALL.into_iter().map(|t| describe(t, false)).collect())
}

/// The tools a signed-in assistant sees: those its scope allows
/// (`read_only`: the ones that only read), without target arguments.
fn listed_signed_in(read_only: bool) -> &'static [rmcp::model::Tool] {
    static ALL: OnceLock<Vec<rmcp::model::Tool>> = OnceLock::new();
    static READING: OnceLock<Vec<rmcp::model::Tool>> = OnceLock::new();
    let make = |read_only: bool| {
        Tool::ALL
            .into_iter()
            .filter(|t| !read_only || t.hints().read_only)
            .map(|t| describe(t, true))
            .collect()
    };
    if read_only {
        READING.get_or_init(|| make(true))
    } else {
        ALL.get_or_init(|| make(false))
    }
}

/// The request's caller, as the gate left it.
fn caller_of(context: &RequestContext<RoleServer>) -> Option<&ApiCaller> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<ApiCaller>())
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = match caller_of(&context) {
            Some(caller) if caller.signed_in => listed_signed_in(caller.read_only),
            _ => listed(),
        };
        Ok(ListToolsResult::with_all_items(tools.to_vec()))
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
        let Some(caller) = caller_of(&context) else {
            return Err(ErrorData::internal_error("no authenticated caller", None));
        };
        let meta = context
            .extensions
            .get::<axum::http::request::Parts>()
            .map(crate::api::request_meta)
            .unwrap_or_default();
        let arguments = request.arguments.unwrap_or_default();
        let result = match agent::call(&self.services, caller, tool, arguments, &meta).await {
            Ok(value) => CallToolResult::structured(value),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.message)]),
        };
        Ok(result.into())
    }
}
