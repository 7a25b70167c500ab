//! [Environment] → Connections: the end users' Pinterest connections, with counts
//! per state, filter, search and paging; a form for new connect links; "Check
//! all"; the allowed return origins. And one connection's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{
    CopyButton, FieldError, FormError, ProbeChart, TextField, ToolCallsTable, bump_on_success,
    described_by, field_message, invalid, last_error, reset_on_success,
};
use crate::errors::AppError;
use crate::functions::connections::{
    CheckAllConnections, CheckConnection, CreateConnectLink, DisconnectConnection,
    RefreshConnection, SaveReturnOrigins, load_connection, load_connections,
};
use crate::models::{
    API_KEY_VARIABLE, ApiCallsView, ConnectionDetailView, ConnectionsPageView, IssuedConnectLink,
    curl_command, format_latency, format_utc, state_class,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::Health;

#[derive(Clone, Copy)]
struct ListActions {
    link: ServerAction<CreateConnectLink>,
    origins: ServerAction<SaveReturnOrigins>,
    check_all: ServerAction<CheckAllConnections>,
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let query = use_query_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let filter = Memo::new(move |_| {
        let q = query.read();
        let given = |name: &str| q.get(name).filter(|v| !v.is_empty());
        (
            (given("state"), given("q")),
            (given("page"), given("after"), given("before")),
        )
    });
    let actions = ListActions {
        link: ServerAction::new(),
        origins: ServerAction::new(),
        check_all: ServerAction::new(),
    };
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.origins, changed);
    bump_on_success(actions.check_all, changed);
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                environment.get(),
                filter.get(),
                changed.get(),
            )
        },
        |(ws, env, ((state, search), (page, after, before)), _)| {
            load_connections(ws, env, state, search, page, after, before)
        },
    );
    // While a "Check all" runs, reload its progress every second (with JavaScript).
    Effect::new(move |_| {
        if let Some(Ok(view)) = data.get()
            && view.check_all.as_ref().is_some_and(|c| !c.finished())
        {
            set_timeout(
                move || changed.update(|n| *n += 1),
                std::time::Duration::from_secs(1),
            );
        }
    });
    view! {
        <Title text="Connections · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Connections view workspace=ctx.workspace.get_untracked() actions/> }.into_any(),
                    Err(AppError::Invalid { message, .. }) => {
                        let base = format!(
                            "/w/{}/e/{}/connections",
                            ctx.workspace.get_untracked(),
                            environment.get_untracked()
                        );
                        view! { <ListRefused message base/> }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A list address its filter, search or page link made unreadable (a state
/// that does not exist, a search too long, a garbled or forged page link):
/// what is wrong, and the way back to the list.
#[component]
fn ListRefused(message: String, base: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    view! {
        <section class="page page-message">
            <h1>"Connections"</h1>
            <p class="error" role="alert" data-field="list-refused">{message}</p>
            <p><a class="button" href=base>"Show the newest connections"</a></p>
        </section>
    }
}

/// Where a page link of the list points: the cursor parameter and its value.
type At<'a> = Option<(&'a str, &'a str)>;

fn list_href(base: &str, state: Option<Health>, search: &str, at: At<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = state {
        parts.push(format!("state={s}"));
    }
    if !search.is_empty() {
        let encoded: String = search
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        parts.push(format!("q={encoded}"));
    }
    if let Some((name, value)) = at {
        parts.push(format!("{name}={}", crate::routes::percent_encode(value)));
    }
    if parts.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

#[component]
fn Connections(
    view: ConnectionsPageView,
    workspace: String,
    actions: ListActions,
) -> impl IntoView {
    let base = format!("/w/{workspace}/e/{}/connections", view.environment.slug);
    let pinterest = format!(
        "/w/{workspace}/e/{}/integrations/pinterest",
        view.environment.slug
    );
    let env_id = view.environment.id.clone();
    let (ws_check, env_check) = (workspace.clone(), env_id.clone());
    let (ws_link, env_link) = (workspace.clone(), env_id.clone());
    let filter_state = view.filter_state;
    let search = view.search.clone();
    let chips = {
        let mut all = vec![(None, "All".to_owned(), view.counts.total())];
        all.extend(
            Health::ALL
                .into_iter()
                .map(|h| (Some(h), h.label().to_owned(), view.counts.get(h))),
        );
        all.into_iter()
            .map(|(state, label, n)| {
                let current = state == filter_state;
                view! {
                    <a class="chip" class:chip-current=current href=list_href(&base, state, "", None)
                        aria-current=current.then_some("page") data-state=state.map_or("all", Health::as_str)>
                        {label} " " <strong>{n}</strong>
                    </a>
                }
            })
            .collect_view()
    };
    // Newest first; the links carry the first or last connection shown.
    let newest = view
        .newer
        .is_some()
        .then(|| list_href(&base, filter_state, &search, None));
    let newer = view
        .newer
        .as_deref()
        .map(|c| list_href(&base, filter_state, &search, Some(("before", c))));
    let older = view
        .older
        .as_deref()
        .map(|c| list_href(&base, filter_state, &search, Some(("after", c))));
    let oldest = view
        .older
        .is_some()
        .then(|| list_href(&base, filter_state, &search, Some(("page", "last"))));
    let matching = view.matching.describe();
    let stopped = view.search_stopped.map(|read| {
        view! {
            <p class="muted small" role="status" data-field="search-stopped">
                "This search read " {read} " connections without filling the page: "
                "Older (or Newer) searches on from the last one it read. A longer search text is quicker."
            </p>
        }
    });
    let rows = view
        .rows
        .iter()
        .map(|r| {
            let href = format!("{base}/{}", r.id);
            view! {
                <tr data-connection=r.id.clone() data-state=r.state.as_str()>
                    <td>
                        <a href=href>{r.display_name.clone().unwrap_or_else(|| r.end_user_id.clone())}</a>
                        {r.display_name.as_ref().map(|_| view! { <br/><span class="muted small">{r.end_user_id.clone()}</span> })}
                    </td>
                    <td>"@" {r.username.clone()} {r.account_changed.then(|| view! { " " <span class="status status-warn">"account changed"</span> })}</td>
                    <td><span class=state_class(r.state)>{r.state.label()}</span><br/><span class="muted small">{r.reason.clone()}</span></td>
                    <td class="small">{format_utc(r.since)}</td>
                    <td class="small">{r.last_probe_at.map(format_utc).unwrap_or_else(|| "never".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = view.rows.is_empty();
    let notices = view
        .notices
        .iter()
        .map(|n| view! { <p class="notice" role="status">{n.clone()}</p> })
        .collect_view();
    let progress = view.check_all.clone().map(|c| {
        let running = !c.finished();
        view! {
            <p class="small muted check-progress" role="status" data-field="check-all-progress">
                {if running { "Checking: " } else { "Last check all: " }}
                {c.done} " of " {c.total} " checked · started by " {c.started_by.clone()} " at " {format_utc(c.started_at)}
            </p>
            // No timed refresh (it would move a screen reader back to the top
            // every few seconds): the operator reloads when they want to see more.
            {running.then(|| view! { <a class="small" href="">"See the progress"</a> })}
        }
    });
    view! {
        <section class="page connections-page">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Connections"</span>
            </nav>
            <h1>"Connections"</h1>
            <p class="lead">
                "End users who connected their Pinterest account in " {view.environment.name.clone()}
                ". pinbridge keeps their tokens fresh and checks their health."
            </p>
            {notices}
            {(!view.integration_ready).then(|| view! {
                <p class="warning" role="note">
                    "Pinterest is not configured or is disabled in this environment, so no new connections can be made. "
                    <a href=pinterest.clone()>"Pinterest settings"</a>
                </p>
            })}
            <nav class="chips" aria-label="Filter by state">{chips}</nav>
            {(view.can_configure && view.integration_ready).then(|| view! {
                <NewLink workspace=ws_link.clone() environment_id=env_link.clone() action=actions.link issued=view.issued_link.clone()/>
            })}
            <div class="card list-card">
                <div class="list-toolbar">
                {view.can_configure.then(|| view! {
                    <ActionForm action=actions.check_all attr:class="inline-form">
                        <input type="hidden" name="workspace" value=ws_check.clone()/>
                        <input type="hidden" name="environment_id" value=env_check.clone()/>
                        <button type="submit" class="button button-secondary">"Check all"</button>
                    </ActionForm>
                })}
                {progress}
                </div>
                <FormError error=last_error(actions.check_all) fields=&[]/>
                <form method="get" action=base.clone() class="filters">
                    <div class="field">
                        <label for="connections-state">"State"</label>
                        <select id="connections-state" name="state">
                            <option value="" selected=view.filter_state.is_none()>"Any"</option>
                            {Health::ALL.into_iter().map(|h| view! {
                                <option value=h.as_str() selected=view.filter_state == Some(h)>{h.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="connections-search">"Search"</label>
                        <input id="connections-search" name="q" type="search" value=view.search.clone()
                            placeholder="End user or @username" maxlength="100"/>
                    </div>
                    <button type="submit" class="button button-secondary">"Filter"</button>
                </form>
                {if empty {
                    view! { <p class="muted" data-field="no-connections">"No connections match."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                            <table class="table connections-table">
                                <thead><tr><th>"End user"</th><th>"Pinterest account"</th><th>"State"</th><th>"Since"</th><th>"Last check"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
                {stopped}
                <nav class="pager" aria-label="Pages">
                    <span class="muted small" data-field="matching">{matching} " · newest first"</span>
                    {newest.map(|h| view! { <a href=h>"Newest"</a> })}
                    {newer.map(|h| view! { <a href=h rel="prev">"Newer"</a> })}
                    {older.map(|h| view! { <a href=h rel="next">"Older"</a> })}
                    {oldest.map(|h| view! { <a href=h>"Oldest"</a> })}
                </nav>
            </div>
            {view.can_configure.then(|| view! {
                <Origins workspace=workspace.clone() environment_id=env_id.clone() action=actions.origins origins=view.return_origins.clone()/>
            })}
        </section>
    }
}

#[component]
fn NewLink(
    workspace: String,
    environment_id: String,
    action: ServerAction<CreateConnectLink>,
    issued: Option<IssuedConnectLink>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(action, form);
    let error = last_error(action);
    let shown = move || {
        action
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| issued.clone())
            .map(|l| {
                // Sent uncompressed (BREACH: see server/src/compression.rs).
                crate::assets::shows_a_secret();
                view! {
                    <div class="card issued" role="status" data-field="connect-link">
                        <p>"Connect link for " <strong>{l.end_user_id.clone()}</strong>
                           ", valid until " {format_utc(l.expires_at)} ". It is shown only now: send it to the end user."</p>
                        <div class="copy-field">
                            <code data-field="connect-link-url">{l.url.clone()}</code>
                            <CopyButton text=l.url.clone() label="Copy connect link"/>
                        </div>
                    </div>
                }
            })
    };
    view! {
        <details class="card" open=true>
            <summary><h2 class="inline">"New connect link"</h2></summary>
            <p class="hint">"A single-use link for one end user, valid for 30 minutes."</p>
            <ActionForm action node_ref=form attr:class="form" attr:novalidate=true>
                <input type="hidden" name="workspace" value=workspace/>
                <input type="hidden" name="environment_id" value=environment_id/>
                <TextField label="End user id" name="end_user_id" id="link-end-user" maxlength=200
                    hint="Your product's id for this person; connecting again later updates their connection." error/>
                <TextField label="Display name (optional)" name="display_name" id="link-display-name" maxlength=100 error/>
                <TextField label="Return URL (optional)" name="return_url" id="link-return-url" kind="url" maxlength=2000
                    hint="Where to send them afterwards; its origin must be in the allowed return origins below." error/>
                <FormError error fields=&["end_user_id", "display_name", "return_url"]/>
                <button type="submit" class="button">"Create link"</button>
            </ActionForm>
            {shown}
        </details>
    }
}

#[component]
fn Origins(
    workspace: String,
    environment_id: String,
    action: ServerAction<SaveReturnOrigins>,
    origins: Vec<String>,
) -> impl IntoView {
    let error = last_error(action);
    let message = field_message(error, "origins");
    view! {
        <div class="card">
            <h2>"Allowed return origins"</h2>
            <p class="hint">"A connect link may send its end user back only to these origins (scheme, host and port, one per line), for example https://app.example.com."</p>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="workspace" value=workspace/>
                <input type="hidden" name="environment_id" value=environment_id/>
                <div class="field" class:field-invalid=move || message.read().is_some()>
                    <label for="return-origins">"Origins"</label>
                    <textarea id="return-origins" name="origins" rows="3" aria-invalid=invalid(message)
                        aria-describedby=described_by(None, "return-origins-error".into(), message)
                    >{origins.join("\n")}</textarea>
                    <FieldError id="return-origins-error" message/>
                </div>
                <FormError error fields=&["origins"]/>
                <button type="submit" class="button button-secondary">"Save origins"</button>
            </ActionForm>
        </div>
    }
}

#[derive(Clone, Copy)]
struct DetailActions {
    check: ServerAction<CheckConnection>,
    refresh: ServerAction<RefreshConnection>,
    disconnect: ServerAction<DisconnectConnection>,
}

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let connection = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let actions = DetailActions {
        check: ServerAction::new(),
        refresh: ServerAction::new(),
        disconnect: ServerAction::new(),
    };
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.check, changed);
    bump_on_success(actions.refresh, changed);
    bump_on_success(actions.disconnect, changed);
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                environment.get(),
                connection.get(),
                changed.get(),
            )
        },
        |(ws, env, id, _)| load_connection(ws, env, id),
    );
    view! {
        <Title text="Connection · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Connection view workspace=ctx.workspace.get_untracked() actions/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Connection(
    view: ConnectionDetailView,
    workspace: String,
    actions: DetailActions,
) -> impl IntoView {
    let list = format!("/w/{workspace}/e/{}/connections", view.environment.slug);
    let keys = format!("/w/{workspace}/e/{}/api-keys", view.environment.slug);
    let r = view.row.clone();
    let revoked = r.state == Health::Revoked;
    let latest = move || {
        let mut all = Vec::new();
        for value in [
            actions.check.value().get(),
            actions.refresh.value().get(),
            actions.disconnect.value().get(),
        ]
        .into_iter()
        .flatten()
        {
            match value {
                Ok(n) => all.push(view! { <p class="notice" role="status">{n}</p> }.into_any()),
                Err(e) => {
                    all.push(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any())
                }
            }
        }
        all
    };
    let flash = view
        .notices
        .iter()
        .map(|n| view! { <p class="notice" role="status">{n.clone()}</p> })
        .collect_view();
    let scopes = view
        .scopes
        .iter()
        .map(|s| {
            let (class, word) = match (s.required, s.granted) {
                (true, true) => ("status status-ok", "granted"),
                (true, false) => ("status status-bad", "required, not granted"),
                (false, true) => ("status status-off", "granted, not required"),
                (false, false) => ("status status-off", ""),
            };
            view! { <li data-scope=s.name.clone()><code>{s.name.clone()}</code> " " <span class=class>{word}</span></li> }
        })
        .collect_view();
    let probes = view
        .probes
        .iter()
        .map(|p| {
            view! {
                <tr data-outcome=p.outcome.as_str()>
                    <td class="small">{format_utc(p.at)}</td>
                    <td class="small">{p.outcome.label()}</td>
                    <td class="small">{p.trigger.label()}</td>
                    <td class="small">{format_latency(p.latency_ms)}</td>
                    <td class="small">{p.http_status.map(|s| s.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="small">{p.error_code.map(|c| format!("code {c}: ")).unwrap_or_default()}{p.error_message.clone().unwrap_or_default()}</td>
                    <td class="small">{p.username.clone().map(|u| format!("@{u}")).unwrap_or_default()}{p.account_changed.then_some(" (different account)")}</td>
                </tr>
            }
        })
        .collect_view();
    let time = |t: Option<i64>| t.map(format_utc).unwrap_or_else(|| "–".into());
    let hidden = move || {
        let (ws, id) = (workspace.clone(), r.id.clone());
        move || {
            view! {
                <input type="hidden" name="workspace" value=ws.clone()/>
                <input type="hidden" name="connection" value=id.clone()/>
            }
        }
    };
    let (check_hidden, refresh_hidden, disconnect_hidden) = (hidden(), hidden(), hidden());
    view! {
        <section class="page connection-page" data-state=view.row.state.as_str()>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <a href=list>{view.environment.name.clone()} " · Connections"</a>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">{view.row.end_user_id.clone()}</span>
            </nav>
            <header class="integration-hero">
                <div class="integration-title">
                    <p class="eyebrow">"Connection"</p>
                    <h1>{view.row.display_name.clone().unwrap_or_else(|| view.row.end_user_id.clone())}</h1>
                </div>
                <span class=state_class(view.row.state) data-field="state">{view.row.state.label()}</span>
            </header>
            {flash}
            {latest}
            {view.account_mismatch.clone().map(|m| view! { <p class="warning" role="alert">{m}</p> })}
            <div class="cards">
                <div class="card">
                    <h2>"State"</h2>
                    <dl class="facts">
                        <dt>"State"</dt><dd>{view.row.state.label()} " since " {format_utc(view.row.since)}</dd>
                        <dt>"Reason"</dt><dd data-field="reason">{view.row.reason.clone()}</dd>
                        <dt>"Last check"</dt><dd>{time(view.row.last_probe_at)}</dd>
                        <dt>"Next check"</dt><dd>{time(view.next_probe_at)}</dd>
                    </dl>
                    {(view.can_configure && !revoked).then(|| view! {
                        <div class="row-actions">
                            <ActionForm action=actions.check attr:class="inline-form">
                                {check_hidden()}
                                <button type="submit" class="button">"Check now"</button>
                            </ActionForm>
                            <ActionForm action=actions.refresh attr:class="inline-form">
                                {refresh_hidden()}
                                <button type="submit" class="button button-secondary">"Refresh now"</button>
                            </ActionForm>
                        </div>
                    })}
                </div>
                <div class="card">
                    <h2>"Pinterest account"</h2>
                    <dl class="facts">
                        <dt>"Username"</dt><dd data-field="username">"@" {view.row.username.clone()}</dd>
                        <dt>"Account id"</dt><dd><code>{view.account_id.clone()}</code></dd>
                        <dt>"Type"</dt><dd>{view.row.account_type.clone()}</dd>
                        <dt>"End user id"</dt><dd><code>{view.row.end_user_id.clone()}</code></dd>
                        <dt>"Connected"</dt><dd>{format_utc(view.created_at)}</dd>
                        <dt>"Last authorized"</dt><dd>{format_utc(view.authorized_at)}</dd>
                    </dl>
                </div>
                <div class="card">
                    <h2>"Tokens"</h2>
                    <dl class="facts">
                        <dt>"Access token expires"</dt><dd>{time(view.access_expires_at)}</dd>
                        <dt>"Refresh token expires"</dt><dd>{time(view.refresh_expires_at)}</dd>
                        <dt>"Last refresh"</dt><dd>{time(view.last_refresh_at)} " (" {view.refresh_count} " so far)"</dd>
                        <dt>"Next refresh"</dt><dd>{time(view.next_refresh_at)}</dd>
                        {view.last_refresh_error.clone().map(|e| view! { <dt>"Last refresh error"</dt><dd>{e}</dd> })}
                    </dl>
                </div>
                <div class="card">
                    <h2>"Scopes: required and granted"</h2>
                    <ul class="scope-compare">{scopes}</ul>
                </div>
            </div>
            <div class="card card-wide">
                <h2>"Health checks"</h2>
                {if view.probes.is_empty() {
                    view! { <p class="muted">"No health checks yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="chart"><ProbeChart probes=view.probes.clone()/></div>
                        <p class="hint">
                            "Oldest on the left. Bar height is latency (the slowest took "
                            {format_latency(view.probes.iter().map(|p| p.latency_ms).max().unwrap_or(0))}
                            "); green: Pinterest answered, amber: Pinterest unavailable, red: refused."
                        </p>
                        <div class="table-scroll">
                            <table class="table probes-table">
                                <thead><tr><th>"When"</th><th>"Outcome"</th><th>"Why"</th><th>"Latency"</th><th>"HTTP"</th><th>"Pinterest said"</th><th>"Account seen"</th></tr></thead>
                                <tbody>{probes}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </div>
            <ApiUsage connection=view.row.id.clone() api_base=view.api_base.clone()
                keys=keys
                calls=view.api_calls.clone()/>
            <div class="card card-wide" data-field="tool-calls">
                <h2>"Recent agent tool calls"</h2>
                <ToolCallsTable calls=view.tool_calls.clone()/>
            </div>
            {(view.can_configure && !revoked).then(|| view! {
                <details class="danger-zone">
                    <summary>"Disconnect…"</summary>
                    <p class="small">"Deletes pinbridge's tokens for this connection. Pinterest offers no way to revoke a user's token for an app; the end user can remove the app in their Pinterest settings. They can connect again with a new link."</p>
                    <ActionForm action=actions.disconnect attr:class="inline-form">
                        {disconnect_hidden()}
                        <button type="submit" class="button button-danger">"Disconnect"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

/// "Use from your application": the connection's id and the API calls that
/// use it, ready to copy, and what each API key did with it.
#[component]
fn ApiUsage(
    connection: String,
    api_base: String,
    /// The environment's API keys page.
    keys: String,
    calls: Vec<ApiCallsView>,
) -> impl IntoView {
    let token = curl_command(
        "POST",
        &format!("{api_base}/v1/connections/{connection}/access-token"),
        true,
        None,
    );
    let proxy = curl_command(
        "GET",
        &format!("{api_base}/v1/connections/{connection}/pinterest/user_account"),
        true,
        None,
    );
    let table = if calls.is_empty() {
        view! { <p class="muted" data-field="no-api-calls">"No API calls yet."</p> }.into_any()
    } else {
        let rows = calls
            .into_iter()
            .map(|c| {
                view! {
                    <tr data-key=c.key_id>
                        <td>{c.name}</td>
                        <td><code>{c.visible}</code></td>
                        <td>{c.token_calls}</td>
                        <td>{c.proxy_calls}</td>
                        <td data-field="tool-call-count">{c.tool_calls}</td>
                        <td class="small">{format_utc(c.last_at)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="table api-calls-table">
                    <thead><tr><th>"API key"</th><th>"Key"</th><th>"Token calls"</th><th>"Proxy calls"</th><th>"Tool calls"</th><th>"Last call"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <div class="card card-wide api-usage" data-field="api-usage">
            <h2>"Use from your application"</h2>
            <dl class="facts">
                <dt>"Connection id"</dt>
                <dd>
                    <div class="copy-field">
                        <code data-field="connection-id">{connection.clone()}</code>
                        <CopyButton text=connection label="Copy connection id"/>
                    </div>
                </dd>
            </dl>
            <p class="hint">
                "With a key of this environment in " <code>{API_KEY_VARIABLE}</code>
                " (from " <a href=keys>"API keys"</a> "):"
            </p>
            <h3>"Get its Pinterest access token"</h3>
            <pre class="curl" tabindex="0" data-field="curl-access-token"><code>{token.clone()}</code></pre>
            <CopyButton text=token label="Copy the access token command"/>
            <h3>"Call Pinterest through pinbridge"</h3>
            <pre class="curl" tabindex="0" data-field="curl-proxy"><code>{proxy.clone()}</code></pre>
            <CopyButton text=proxy label="Copy the proxy command"/>
            <h3>"Calls from API keys"</h3>
            {table}
        </div>
    }
}
