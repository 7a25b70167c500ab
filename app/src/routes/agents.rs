//! [Environment] → Agents: how AI agents use the environment's Pinterest
//! connections as MCP tools: the endpoint and client settings to copy, the
//! keys holding the `agent` permission (made on the API keys page), hosted
//! assistants that sign in with OAuth (how end users sign in, and the
//! assistants they let in), the tools, and the latest tool calls. Every
//! member reads it; owners and admins change the sign-in and revoke.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use leptos::server_fn::ServerFn;

use crate::components::{
    CopyButton, FormError, RowError, TextField, ToolCallsTable, bump_on_success, last_error,
};
use crate::functions::agents::{
    RemoveAgentSignIn, RevokeAssistant, SaveAgentSignIn, TestAgentSignIn, load_agents,
};
use crate::functions::flash::typed_value;
use crate::models::{
    AgentsPageView, ApiKeyView, AssistantsView, AuthorizedAssistantView, ToolView, coarse_ago,
    format_utc,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::ApiPermission;

#[component]
pub fn AgentsPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let actions = AgentActions {
        save: ServerAction::new(),
        remove: ServerAction::new(),
        revoke: ServerAction::new(),
    };
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.save, changed);
    bump_on_success(actions.remove, changed);
    bump_on_success(actions.revoke, changed);
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get(), changed.get()),
        |(ws, env, _)| load_agents(ws, env),
    );
    view! {
        <Title text="Agents · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Agents view workspace=ctx.workspace.get_untracked() actions/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct AgentActions {
    save: ServerAction<SaveAgentSignIn>,
    remove: ServerAction<RemoveAgentSignIn>,
    revoke: ServerAction<RevokeAssistant>,
}

#[component]
fn Agents(view: AgentsPageView, workspace: String, actions: AgentActions) -> impl IntoView {
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
        assistants,
    } = view;
    let environment_id = environment.id.clone();
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
            <Assistants view=assistants workspace=workspace.clone() environment_id can_configure actions now/>
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

/// The sign-in form's fields (`domain::agent::sign_in`).
const SIGN_IN_FIELDS: &[&str] = &["issuer", "client_id", "client_secret", "user_claim"];

/// Hosted assistants: the MCP URL they are given, how end users sign in, and
/// the assistants end users let in.
#[component]
fn Assistants(
    view: AssistantsView,
    workspace: String,
    environment_id: String,
    can_configure: bool,
    actions: AgentActions,
    now: i64,
) -> impl IntoView {
    let AssistantsView {
        mcp_url,
        redirect_uri,
        sign_in,
        authorized,
        notices,
    } = view;
    let notices = notices
        .into_iter()
        .map(|n| view! { <p class="notice" role="status">{n}</p> })
        .collect_view();
    let configured = sign_in.as_ref().map(|s| {
        view! {
            <dl class="facts" data-field="sign-in-settings">
                <dt>"Provider"</dt><dd><code data-field="sign-in-issuer">{s.issuer.clone()}</code></dd>
                <dt>"Client id"</dt><dd><code>{s.client_id.clone()}</code></dd>
                <dt>"End user id claim"</dt><dd><code data-field="sign-in-claim">{s.user_claim.clone()}</code></dd>
                <dt>"Changed"</dt><dd class="small">{format!("{} by {}", format_utc(s.updated_at), s.updated_by)}</dd>
            </dl>
        }
    });
    let unconfigured = sign_in.is_none().then(|| {
        view! {
            <p class="warning" data-field="sign-in-missing">
                "Not set up yet: assistants that sign in are refused until an owner or admin saves the provider below."
            </p>
        }
    });
    let form = can_configure.then(|| {
        view! {
            <SignInForm
                workspace=workspace.clone()
                environment_id=environment_id.clone()
                current=sign_in.clone()
                action=actions.save
            />
        }
    });
    let test = (can_configure && sign_in.is_some()).then(|| {
        // A whole-page navigation (`rel="external"`): it ends at the provider.
        let href = format!(
            "{}?workspace={}&environment_id={}",
            TestAgentSignIn::PATH,
            crate::routes::percent_encode(&workspace),
            crate::routes::percent_encode(&environment_id)
        );
        let error = last_error(actions.remove);
        let ws = workspace.clone();
        let env = environment_id.clone();
        view! {
            <div class="actions" data-field="test-sign-in">
                <a class="button button-secondary" href=href rel="external">"Test sign-in"</a>
                <ActionForm action=actions.remove attr:class="inline-form">
                    <input type="hidden" name="workspace" value=ws/>
                    <input type="hidden" name="environment_id" value=env/>
                    <button type="submit" class="button button-danger">"Remove sign-in"</button>
                </ActionForm>
            </div>
            <FormError error fields=&[]/>
        }
    });
    view! {
        <div class="card" data-field="assistant-sign-in">
            <h2>"Hosted assistants"</h2>
            <p class="hint">
                "Assistants that support remote MCP servers with sign-in (the chat assistants' connectors) need no key: "
                "the end user adds this URL, signs in as who they are in your product, allows the assistant, and connects Pinterest if they have not yet. "
                "Its tools then act on that end user's boards only."
            </p>
            <div class="copy-field">
                <code data-field="assistant-mcp-url">{mcp_url.clone()}</code>
                <CopyButton text=mcp_url label="Copy the assistants' MCP URL"/>
            </div>
            {notices}
            <h3>"How end users sign in"</h3>
            <p class="hint">
                "pinbridge signs your end users in at your own OpenID Connect provider and reads their end user id from one claim of the ID token; it never sees their password. "
                "Register this redirect URI for pinbridge's client at the provider:"
            </p>
            <div class="copy-field">
                <code data-field="sign-in-redirect-uri">{redirect_uri.clone()}</code>
                <CopyButton text=redirect_uri label="Copy the redirect URI"/>
            </div>
            {unconfigured}
            {configured}
            {test}
            {form}
        </div>
        <div class="card" data-field="authorized-assistants">
            <h2>"Authorized assistants"</h2>
            <AuthorizedAssistants assistants=authorized workspace environment_id can_configure action=actions.revoke now/>
        </div>
    }
}

#[component]
fn SignInForm(
    workspace: String,
    environment_id: String,
    current: Option<crate::models::AgentSignInView>,
    action: ServerAction<SaveAgentSignIn>,
) -> impl IntoView {
    let error = last_error(action);
    let typed = |field: &str, current: Option<String>| {
        typed_value(SaveAgentSignIn::PATH, field).or(current)
    };
    let has_secret = current.is_some();
    let issuer = typed("issuer", current.as_ref().map(|c| c.issuer.clone()));
    let client_id = typed("client_id", current.as_ref().map(|c| c.client_id.clone()));
    let claim = typed("user_claim", current.as_ref().map(|c| c.user_claim.clone()))
        .or_else(|| Some("sub".to_owned()));
    let secret_hint = if has_secret {
        "Stored encrypted and never shown again; leave blank to keep it."
    } else {
        "Stored encrypted and never shown again."
    };
    view! {
        <ActionForm action attr:class="form" attr:novalidate=true attr:id="agent-sign-in">
            <FormError error fields=SIGN_IN_FIELDS/>
            <input type="hidden" name="workspace" value=workspace/>
            <input type="hidden" name="environment_id" value=environment_id/>
            <TextField label="Issuer URL" name="issuer" id="sign-in-issuer" kind="url" value=issuer
                hint="Your provider's issuer, as its /.well-known/openid-configuration names it (https)." maxlength=500 error/>
            <TextField label="Client id" name="client_id" id="sign-in-client-id" value=client_id maxlength=200 error/>
            <TextField label="Client secret" name="client_secret" id="sign-in-client-secret" kind="password"
                value=None hint=secret_hint autocomplete="new-password" maxlength=500 error/>
            <TextField label="End user id claim" name="user_claim" id="sign-in-claim" value=claim
                hint="The ID token claim that holds the person's id in your product: sub, email, preferred_username or a custom claim. It must match the end_user_id your connections use." maxlength=100 error/>
            <button type="submit" class="button">"Save sign-in"</button>
        </ActionForm>
    }
}

#[component]
fn AuthorizedAssistants(
    assistants: Vec<AuthorizedAssistantView>,
    workspace: String,
    environment_id: String,
    can_configure: bool,
    action: ServerAction<RevokeAssistant>,
    now: i64,
) -> impl IntoView {
    if assistants.is_empty() {
        return Either::Left(view! {
            <p class="muted" data-field="no-assistants">"No end user has let an assistant in yet."</p>
        });
    }
    let error = last_error(action);
    let rows = assistants
        .into_iter()
        .map(|a| {
            let last_used = a
                .last_used_at
                .map_or_else(|| "never".to_owned(), |at| coarse_ago(now, at));
            let uris = a
                .redirect_uris
                .iter()
                .map(|u| view! { <code class="small">{u.clone()}</code><br/> })
                .collect_view();
            let revoke = can_configure.then(|| {
                let label = format!("Revoke {} for {}", a.client_name, a.end_user_id);
                let grant = a.grant_id.clone();
                let row = a.grant_id.clone();
                let workspace = workspace.clone();
                let environment_id = environment_id.clone();
                view! {
                    <ActionForm action attr:class="inline-form">
                        <input type="hidden" name="workspace" value=workspace/>
                        <input type="hidden" name="environment_id" value=environment_id/>
                        <input type="hidden" name="grant_id" value=grant/>
                        <button type="submit" class="button button-danger" aria-label=label>"Revoke"</button>
                    </ActionForm>
                    <RowError error row/>
                }
            });
            view! {
                <tr data-grant=a.grant_id.clone()>
                    <td data-label="End user"><code data-field="assistant-end-user">{a.end_user_id.clone()}</code></td>
                    <td data-label="Assistant" data-field="assistant-name">{a.client_name.clone()}</td>
                    <td data-label="Redirect URIs">{uris}</td>
                    <td data-label="May" class="small">{a.scope.join("; ")}</td>
                    <td data-label="First allowed" class="small nowrap">{format_utc(a.first_at)}</td>
                    <td data-label="Last used" class="small" title=a.last_used_at.map(format_utc)>{last_used}</td>
                    <td data-label="">{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="table stack-table assistants-table">
                <thead><tr><th>"End user"</th><th>"Assistant"</th><th>"Redirect URIs"</th><th>"May"</th><th>"First allowed"</th><th>"Last used"</th><th><span class="visually-hidden">"Revoke"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}
