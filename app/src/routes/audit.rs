//! The workspace's audit log: who changed what, when and from where.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_query_map};

use crate::errors::AppError;
use crate::functions::audit::load_audit;
use crate::models::{AuditEntryView, AuditView, FilterOption, format_utc};
use crate::routes::percent_encode;
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};

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
    view! {
        <Title text="Audit log · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Audit view/> }.into_any(),
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
fn Audit(view: AuditView) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let selected = move |name: &str| query.read_untracked().get(name).unwrap_or_default();
    let older = view.next.clone().map(|cursor| {
        let mut pairs: Vec<(String, String)> = ["environment", "actor", "action"]
            .into_iter()
            .filter_map(|k| {
                let v = selected(k);
                (!v.is_empty()).then(|| (k.to_owned(), v))
            })
            .collect();
        pairs.push(("after".into(), cursor));
        let qs = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("{}?{qs}", location.pathname.get_untracked())
    });
    let paged = !selected("after").is_empty();
    let first_page = {
        let mut pairs = Vec::new();
        for k in ["environment", "actor", "action"] {
            let v = selected(k);
            if !v.is_empty() {
                pairs.push(format!("{k}={}", percent_encode(&v)));
            }
        }
        format!("{}?{}", location.pathname.get_untracked(), pairs.join("&"))
    };
    let entries = view.entries.clone();
    let rows = entries
        .into_iter()
        .map(|e| view! { <EntryRow e/> })
        .collect_view();
    let empty = view.entries.is_empty();
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
            {if empty {
                view! { <p class="muted">"No events match these filters."</p> }.into_any()
            } else {
                view! {
                    <table class="table audit-table">
                        <thead>
                            <tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Environment"</th><th>"From"</th></tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {paged.then(|| view! { <a href=first_page.clone()>"← Newest"</a> })}
                {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </nav>
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
        <tr data-action=action>
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
