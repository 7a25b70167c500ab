//! The table of agents' tool calls, on the Agents page (the environment's)
//! and on a connection's page (that connection's).

use leptos::either::Either;
use leptos::prelude::*;

use crate::models::{ToolCallView, format_latency, format_utc, outcome_class};

/// Newest first. `connections`: the environment's Connections page
/// (`/w/{ws}/e/{env}/connections`), to add the End user column linking to
/// each call's connection; `None` on a connection's own page.
#[component]
pub fn ToolCallsTable(
    calls: Vec<ToolCallView>,
    #[prop(optional_no_strip)] connections: Option<String>,
) -> impl IntoView {
    if calls.is_empty() {
        return Either::Left(
            view! { <p class="muted" data-field="no-tool-calls">"No tool calls yet."</p> },
        );
    }
    let with_end_user = connections.is_some();
    let rows = calls
        .into_iter()
        .map(|c| {
            // Calls that acted for no connection (`list_connections`, a target not found) have none.
            let end_user = connections.as_ref().map(|base| {
                let link = c.connection_id.as_ref().map(|id| {
                    let text = c.end_user_id.clone().unwrap_or_else(|| id.clone());
                    view! { <a href=format!("{base}/{id}")>{text}</a> }
                });
                let none = c
                    .connection_id
                    .is_none()
                    .then(|| view! { <span class="muted">"–"</span> });
                view! { <td data-label="End user" data-field="call-end-user">{link}{none}</td> }
            });
            let tool = c.tool;
            view! {
                <tr data-tool=tool.clone() data-outcome=c.outcome.as_str()>
                    <td data-label="When" class="small nowrap">{format_utc(c.at)}</td>
                    <td data-label="Tool"><code>{tool.clone()}</code></td>
                    <td data-label="Outcome">
                        <span class=outcome_class(c.outcome) data-field="call-outcome">{c.outcome.label()}</span>
                    </td>
                    <td data-label="Latency" class="small nowrap">{format_latency(c.latency_ms)}</td>
                    <td data-label="API key" data-key=c.key_id>
                        <span>{c.key_name}<br/><code class="small">{c.key_visible}</code></span>
                    </td>
                    {end_user}
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="table stack-table tool-calls-table">
                <thead>
                    <tr>
                        <th>"When"</th><th>"Tool"</th><th>"Outcome"</th><th>"Latency"</th><th>"API key"</th>
                        {with_end_user.then(|| view! { <th>"End user"</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}
