//! The workspace's audit log: who changed what, when and from where; links
//! that download every matching event (CSV, JSON lines); and, for owners,
//! the workspace keys that read the whole log over the API.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::{
    CopyButton, FormError, RowError, TextField, bump_on_success, last_error, reset_on_success,
};
use crate::errors::AppError;
use crate::functions::audit::{
    CreateWorkspaceKey, RevokeWorkspaceKey, load_audit, load_workspace_keys,
};
use crate::functions::flash::typed_value;
use crate::models::{
    AuditEntryView, AuditView, FilterOption, IssuedApiKey, WorkspaceKeyView, WorkspaceKeysView,
    coarse_ago, format_utc,
};
use crate::routes::percent_encode;
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};

/// The page's filters, which its page links and export links carry.
const FILTERS: [&str; 3] = ["environment", "actor", "action"];
const NEW_KEY_FIELDS: &[&str] = &["name"];

#[derive(Clone, Copy)]
struct KeyActions {
    create: ServerAction<CreateWorkspaceKey>,
    revoke: ServerAction<RevokeWorkspaceKey>,
}

type KeysResource = Resource<Result<Option<WorkspaceKeysView>, AppError>>;

#[component]
pub fn AuditPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                param("environment"),
                param("actor"),
                param("action"),
                param("after"),
            )
        },
        |(ws, environment, actor, action, after)| load_audit(ws, environment, actor, action, after),
    );
    let actions = KeyActions {
        create: ServerAction::new(),
        revoke: ServerAction::new(),
    };
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.create, changed);
    bump_on_success(actions.revoke, changed);
    // With JavaScript, the key made last stays shown (the list reloads around it).
    let shown = RwSignal::new(None::<IssuedApiKey>);
    Effect::new(move |_| {
        if let Some(Ok(key)) = actions.create.value().get() {
            shown.set(Some(key));
        }
    });
    let keys: KeysResource = Resource::new(
        move || (ctx.workspace.get(), changed.get()),
        |(ws, _)| load_workspace_keys(ws),
    );
    view! {
        <Title text="Audit log · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <Audit view workspace=ctx.workspace.get_untracked() keys actions shown/>
                    }.into_any(),
                    // A filter or page link that cannot be read: what is wrong,
                    // and the way back to the log.
                    Err(AppError::Invalid { message, .. }) => view! {
                        <LogRefused message workspace=ctx.workspace.get_untracked()/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A filter or page link of the log that cannot be read (an unknown action,
/// a garbled or forged cursor): what is wrong, and the way back (HTTP 422).
#[component]
fn LogRefused(message: String, workspace: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    view! {
        <section class="page page-message">
            <h1>"Audit log"</h1>
            <p class="error" role="alert" data-field="log-refused">{message}</p>
            <p><a class="button" href=format!("/w/{workspace}/audit")>"Show the newest events"</a></p>
        </section>
    }
}

#[component]
fn Audit(
    view: AuditView,
    workspace: String,
    keys: KeysResource,
    actions: KeyActions,
    shown: RwSignal<Option<IssuedApiKey>>,
) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let selected = move |name: &str| query.read_untracked().get(name).unwrap_or_default();
    // The filters set, as `name=value` pairs for a link.
    let filter_pairs = move || {
        FILTERS
            .into_iter()
            .filter_map(|k| {
                let v = selected(k);
                (!v.is_empty()).then(|| format!("{k}={}", percent_encode(&v)))
            })
            .collect::<Vec<_>>()
    };
    let older = view.next.clone().map(|cursor| {
        let mut pairs = filter_pairs();
        pairs.push(format!("after={}", percent_encode(&cursor)));
        format!("{}?{}", location.pathname.get_untracked(), pairs.join("&"))
    });
    let paged = !selected("after").is_empty();
    let first_page = format!(
        "{}?{}",
        location.pathname.get_untracked(),
        filter_pairs().join("&")
    );
    // Every event the filters match, not only this page's.
    let export = |format: &str| {
        let mut pairs = vec![format!("format={format}")];
        pairs.extend(filter_pairs());
        format!("/w/{workspace}/audit/export?{}", pairs.join("&"))
    };
    let (csv, jsonl) = (export("csv"), export("jsonl"));
    let entries = view.entries.clone();
    let rows = entries
        .into_iter()
        .map(|e| view! { <EntryRow e/> })
        .collect_view();
    let empty = view.entries.is_empty();
    let card_workspace = workspace.clone();
    view! {
        <section class="page page-wide">
            <h1>"Audit log"</h1>
            <p class="lead">
                "Every change in this workspace, with who made it, when and from where. "
                "Secrets never appear here."
            </p>
            <Form method="GET" action="" attr:class="filters">
                <Select label="Environment" name="environment" options=view.environments.clone() current=selected("environment")/>
                <Select label="Actor" name="actor" options=view.actors.clone() current=selected("actor")/>
                <Select label="Action" name="action" options=view.actions.clone() current=selected("action")/>
                <button type="submit" class="button button-secondary">"Filter"</button>
                <a href=location.pathname.get_untracked() class="small">"Clear filters"</a>
            </Form>
            <p class="export-links" data-field="export">
                <span class="small muted">"Download every event these filters match: "</span>
                <a href=csv class="button button-secondary" data-field="export-csv">"Export CSV"</a>
                " "
                <a href=jsonl class="button button-secondary" data-field="export-jsonl">"Export JSON lines"</a>
            </p>
            {if empty {
                view! { <p class="muted">"No events match these filters."</p> }.into_any()
            } else {
                view! {
                    // Long user agents and details scroll inside the page, not past
                    // it; a scrolling region is a tab stop, so keys can scroll it.
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Audit events">
                        <table class="table audit-table">
                            <thead>
                                <tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Environment"</th><th>"From"</th></tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {paged.then(|| view! { <a href=first_page.clone()>"← Newest"</a> })}
                {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </nav>
            // Owners only: the card's loader answers nothing to other roles.
            <Transition fallback=|| ()>
                {move || {
                    let workspace = card_workspace.clone();
                    Suspend::new(async move {
                        match keys.await {
                            Ok(Some(view)) => view! {
                                <WorkspaceKeys view workspace actions shown/>
                            }.into_any(),
                            Ok(None) => ().into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Select(
    label: &'static str,
    name: &'static str,
    options: Vec<FilterOption>,
    current: String,
) -> impl IntoView {
    let id = format!("filter-{name}");
    let all = current.is_empty();
    view! {
        <div class="field field-inline">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="" selected=all>"All"</option>
                {options.into_iter().map(|o| {
                    let here = o.value == current;
                    view! { <option value=o.value selected=here>{o.label}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn EntryRow(e: AuditEntryView) -> impl IntoView {
    let detail = (!e.detail.is_empty()).then(|| {
        let text = e
            .detail
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(" · ");
        view! { <br/><span class="muted small">{text}</span> }
    });
    let action = e.action.as_str();
    view! {
        <tr data-action=action data-id=e.id.clone()>
            <td class="nowrap small">{format_utc(e.at)}</td>
            <td>{e.actor}</td>
            <td><code>{action}</code></td>
            <td>{e.target}{detail}</td>
            <td>{e.environment.unwrap_or_else(|| "—".into())}</td>
            <td class="small">
                {e.ip.unwrap_or_else(|| "—".into())}<br/>
                <span class="muted user-agent" title=e.user_agent.clone()>{e.user_agent.clone().unwrap_or_default()}</span>
            </td>
        </tr>
    }
}

/// "Workspace audit keys" (owners): keys for security tooling that reads the
/// whole log over the API; a new key's text shown once.
#[component]
fn WorkspaceKeys(
    view: WorkspaceKeysView,
    workspace: String,
    actions: KeyActions,
    shown: RwSignal<Option<IssuedApiKey>>,
) -> impl IntoView {
    let flashed = view.issued.clone();
    let issued = move || {
        shown
            .get()
            .or_else(|| flashed.clone())
            .map(|key| view! { <IssuedWorkspaceKey key/> })
    };
    let notices = view
        .notices
        .iter()
        .map(|n| view! { <p class="notice" role="status">{n.clone()}</p> })
        .collect_view();
    // With JavaScript, what "Revoke" said (a refusal shows at its row).
    let latest = move || {
        actions
            .revoke
            .value()
            .get()
            .and_then(Result::ok)
            .map(|n| view! { <p class="notice" role="status">{n}</p> })
    };
    let now = view.now;
    let empty = view.keys.is_empty();
    let rows = view
        .keys
        .iter()
        .cloned()
        .map(|key| {
            view! { <WorkspaceKeyRow key workspace=workspace.clone() now revoke=actions.revoke/> }
        })
        .collect_view();
    view! {
        <section class="card workspace-keys" aria-labelledby="workspace-keys-heading" data-field="workspace-keys">
            <h2 id="workspace-keys-heading">"Workspace audit keys"</h2>
            <p class="small">
                "A workspace key reads this workspace's whole audit log, every environment's events "
                "and the workspace's own, at " <code>"GET /v1/audit-events"</code>
                ", for security tooling such as a SIEM. It can do nothing else. Only owners see and manage these keys."
            </p>
            {notices}
            {latest}
            {issued}
            <NewWorkspaceKey workspace=workspace.clone() action=actions.create/>
            <FormError error=last_error(actions.revoke) fields=&[]/>
            {if empty {
                view! { <p class="muted" data-field="no-workspace-keys">"No workspace keys yet."</p> }.into_any()
            } else {
                view! { <div class="rows">{rows}</div> }.into_any()
            }}
        </section>
    }
}

/// A workspace key just made: its text, once, to copy.
#[component]
fn IssuedWorkspaceKey(key: IssuedApiKey) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    view! {
        <div class="card issued issued-key" role="status" data-field="issued-workspace-key" data-key=key.id.clone()>
            <h3>"Workspace key \u{201c}" {key.name.clone()} "\u{201d} created"</h3>
            <div class="copy-field">
                <code class="key-text" data-field="issued-workspace-key-text">{key.key.clone()}</code>
                <CopyButton text=key.key.clone() label="Copy workspace key"/>
            </div>
            <p><strong>"Copy it now: it will not be shown again."</strong>
               " pinbridge keeps only a hash of it. Your tool sends it as "
               <code>"Authorization: Bearer pinbridge_ws_…"</code> "."</p>
        </div>
    }
}

#[component]
fn NewWorkspaceKey(workspace: String, action: ServerAction<CreateWorkspaceKey>) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(action, form);
    let error = last_error(action);
    view! {
        <ActionForm action node_ref=form attr:class="form" attr:novalidate=true attr:id="new-workspace-key">
            <FormError error fields=NEW_KEY_FIELDS/>
            <input type="hidden" name="workspace" value=workspace/>
            <TextField label="Name" name="name" id="workspace-key-name" maxlength=100
                value=typed_value(CreateWorkspaceKey::PATH, "name")
                hint="What reads the log, e.g. “SIEM export”: 1 to 100 characters." error/>
            <button type="submit" class="button">"Create workspace key"</button>
        </ActionForm>
    }
}

/// One workspace key: never its text; "Revoke" while it works.
#[component]
fn WorkspaceKeyRow(
    key: WorkspaceKeyView,
    workspace: String,
    now: i64,
    revoke: ServerAction<RevokeWorkspaceKey>,
) -> impl IntoView {
    let id = key.id.clone();
    let last_used = key
        .last_used_at
        .map_or_else(|| "never".to_owned(), |at| coarse_ago(now, at));
    let last_used_exact = key.last_used_at.map(format_utc);
    let (state, class, label) = if key.usable() {
        ("active", "status status-ok", "Active")
    } else {
        ("revoked", "status status-off", "Revoked")
    };
    let revoked = key.revoked_at.map(|at| {
        let by = key.revoked_by.clone().unwrap_or_default();
        view! { <p class="small muted" data-field="key-state-detail">"Revoked at " {format_utc(at)} " by " {by} "."</p> }
    });
    let (visible, name) = (key.visible(), key.name.clone());
    let manage = key.usable().then(move || {
        let error = last_error(revoke);
        let row_key = format!("@{id}");
        let open =
            move || error.with(|e| e.as_ref().is_some_and(|e| e.for_field(&row_key).is_some()));
        view! {
            <details class="danger-zone" open=open>
                <summary>"Revoke…"</summary>
                <p class="small">"Requests with " <code>{visible}</code> " are refused from now on. This cannot be undone."</p>
                <ActionForm action=revoke attr:class="inline-form">
                    <input type="hidden" name="workspace" value=workspace/>
                    <input type="hidden" name="key_id" value=id.clone()/>
                    <button type="submit" class="button button-danger">"Revoke \u{201c}" {name} "\u{201d}"</button>
                    <RowError error row=id.clone()/>
                </ActionForm>
            </details>
        }
    });
    view! {
        <article class="row-card workspace-key" data-key=key.id.clone() data-state=state>
            <header class="row-head">
                <h3>{key.name.clone()}</h3>
                <code data-field="key-visible">{key.visible()}</code>
                <span class=class data-field="key-state">{label}</span>
            </header>
            {revoked}
            <dl class="facts key-facts">
                <dt>"Created"</dt><dd>{format_utc(key.created_at)} " by " {key.created_by.clone()}</dd>
                <dt>"Last used"</dt><dd title=last_used_exact data-field="key-last-used">{last_used}</dd>
            </dl>
            {manage}
        </article>
    }
}
