//! [Environment] → Agents: how AI agents use the environment's Pinterest
//! connections as MCP tools: the endpoint and client settings to copy, the
//! keys holding the `agent` permission (made on the API keys page), the tools,
//! and the latest tool calls. Every member reads it; nothing here changes.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{CopyButton, ToolCallsTable};
use crate::functions::agents::load_agents;
use crate::models::{AgentsPageView, ApiKeyView, ToolView, coarse_ago, format_utc};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::ApiPermission;

#[component]
pub fn AgentsPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get()),
        |(ws, env)| load_agents(ws, env),
    );
    view! {
        <Title text="Agents · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Agents view workspace=ctx.workspace.get_untracked()/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Agents(view: AgentsPageView, workspace: String) -> impl IntoView {
    let base = format!("/w/{workspace}/e/{}", view.environment.slug);
    // The API keys page's form, with `agent` already chosen.
    let new_key = format!(
        "{base}/api-keys?new={}#new-api-key",
        ApiPermission::Agent.as_str()
    );
    let AgentsPageView {
        environment,
        can_configure,
        mcp_url,
        client_config,
        curl_list_tools,
        keys,
        tools,
        calls,
        now,
    } = view;
    view! {
        <section class="page agents-page">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Agents"</span>
            </nav>
            <h1>"Agents"</h1>
            <p class="lead">"AI agents use this environment's Pinterest connections as MCP tools."</p>
            <div class="card" data-field="mcp-endpoint">
                <h2>"MCP endpoint"</h2>
                <div class="copy-field">
                    <code data-field="mcp-url">{mcp_url.clone()}</code>
                    <CopyButton text=mcp_url label="Copy MCP endpoint"/>
                </div>
                <p class="hint">
                    "Authenticate with an API key that has the " <code>"agent"</code> " permission: "
                    <code class="nowrap">"Authorization: Bearer YOUR_AGENT_KEY"</code>
                </p>
            </div>
            <div class="card agent-setup">
                <h2>"Client configuration"</h2>
                <p class="hint">"For your MCP client's settings; replace " <code>"YOUR_AGENT_KEY"</code> " with an agent key."</p>
                <pre class="curl" tabindex="0" data-field="client-config"><code>{client_config.clone()}</code></pre>
                <CopyButton text=client_config label="Copy the client configuration"/>
                <h3>"List the tools with curl"</h3>
                <pre class="curl" tabindex="0" data-field="curl-list-tools"><code>{curl_list_tools.clone()}</code></pre>
                <CopyButton text=curl_list_tools label="Copy the curl command"/>
            </div>
            <div class="card" data-field="agent-keys">
                <div class="card-head">
                    <h2>"Agent keys"</h2>
                    {can_configure.then(|| view! { <a class="button" href=new_key data-field="new-agent-key">"New agent key"</a> })}
                </div>
                <AgentKeys keys now/>
                {(!can_configure).then(|| view! { <p class="hint">"Admins and owners create agent keys."</p> })}
            </div>
            <div class="card" data-field="tools">
                <h2>"Tools"</h2>
                <Tools tools/>
            </div>
            <div class="card" data-field="tool-calls">
                <h2>"Recent tool calls"</h2>
                <ToolCallsTable calls connections=Some(format!("{base}/connections"))/>
            </div>
        </section>
    }
}

/// The usable keys with the `agent` permission: never their text.
#[component]
fn AgentKeys(keys: Vec<ApiKeyView>, now: i64) -> impl IntoView {
    if keys.is_empty() {
        return Either::Left(view! {
            <p class="muted" data-field="no-agent-keys">
                "No agent keys yet: an agent needs an API key with the " <code>"agent"</code> " permission."
            </p>
        });
    }
    let rows = keys
        .into_iter()
        .map(|key| {
            let visible = key.visible();
            let any = key.end_user_id.is_none();
            let end_user = key.end_user_id.map(|id| view! { <code>{id}</code> });
            let last_used = key
                .last_used_at
                .map_or_else(|| "never".to_owned(), |at| coarse_ago(now, at));
            view! {
                <tr data-key=key.id>
                    <td data-label="Name">{key.name}</td>
                    <td data-label="Key"><code data-field="key-visible">{visible}</code></td>
                    <td data-label="End user" data-field="key-end-user">
                        {end_user}{any.then(|| view! { <span class="muted">"Any end user"</span> })}
                    </td>
                    <td data-label="Last used" class="small" title=key.last_used_at.map(format_utc)>{last_used}</td>
                    <td data-label="Created" class="small nowrap">{format_utc(key.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="table stack-table agent-keys-table">
                <thead><tr><th>"Name"</th><th>"Key"</th><th>"End user"</th><th>"Last used"</th><th>"Created"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

/// The catalogue, compactly: what agents may call and what each may change.
#[component]
fn Tools(tools: Vec<ToolView>) -> impl IntoView {
    let items = tools
        .into_iter()
        .map(|t| {
            view! {
                <li data-tool=t.name.clone()>
                    <code>{t.name.clone()}</code>
                    <span class=t.access.class()>{t.access.label()}</span>
                    <span class="tool-title">{t.title}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="tool-list">{items}</ul> }
}
