//! [Environment] → Overview (`/w/{ws}/e/{env}`), the environment's home: how
//! its connections are doing. Headline numbers, the connections that need
//! attention (each linked to its page), connections per state over 30 days,
//! and the last 24 hours of refreshes, health checks, Pinterest's latency,
//! API calls and agent tool calls. The charts are SVG drawn on the server
//! (`components::charts`), each with a summary, a legend and its numbers.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{Bar, Fill, LatencyChart, LatencyPoint, Series, StackedBars};
use crate::functions::dashboard::load_dashboard;
use crate::models::{DashboardView, DayView, HourView, format_utc, state_class};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::Health;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get()),
        |(ws, env)| load_dashboard(ws, env),
    );
    view! {
        <Title text="Overview · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Dashboard view workspace=ctx.workspace.get_untracked()/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `17:00` of an instant.
fn clock(ms: i64) -> String {
    format_utc(ms).get(11..16).unwrap_or_default().to_owned()
}

/// `11-28` of an instant.
fn month_day(ms: i64) -> String {
    format_utc(ms).get(5..10).unwrap_or_default().to_owned()
}

/// "1 refresh", "3 refreshes".
fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The busiest hour, in words, if any hour saw anything.
fn busiest(hours: &[HourView], of: impl Fn(&HourView) -> i64) -> String {
    hours
        .iter()
        .filter(|h| of(h) > 0)
        .max_by_key(|h| (of(h), h.hour))
        .map(|h| format!(" The busiest hour, {} UTC, had {}.", clock(h.hour), of(h)))
        .unwrap_or_default()
}

fn hour_bars(hours: &[HourView], values: impl Fn(&HourView) -> Vec<i64>) -> Vec<Bar> {
    hours
        .iter()
        .map(|h| Bar {
            label: clock(h.hour),
            title: format_utc(h.hour),
            values: Some(values(h)),
        })
        .collect()
}

fn ok_failed(ok: &'static str, failed: &'static str) -> Vec<Series> {
    vec![
        Series {
            key: "ok",
            name: ok,
            fill: Fill::Solid,
            flagged: false,
        },
        Series {
            key: "failed",
            name: failed,
            fill: Fill::Hatch,
            flagged: true,
        },
    ]
}

/// How each state is drawn in the state chart (its badge has its name).
fn state_series() -> Vec<Series> {
    Health::ALL
        .into_iter()
        .map(|h| {
            let (key, fill) = match h {
                Health::Active => ("active", Fill::Solid),
                Health::Degraded => ("degraded", Fill::Dots),
                Health::NeedsReauth => ("needs_reauth", Fill::Hatch),
                Health::InsufficientScope => ("insufficient_scope", Fill::Cross),
                Health::Revoked => ("revoked", Fill::Lines),
            };
            Series {
                key,
                name: h.label(),
                fill,
                flagged: false,
            }
        })
        .collect()
}

/// "2 active, 1 needs re-authorization" (states with none left out).
fn state_words(day: &DayView) -> String {
    let Some(counts) = &day.counts else {
        return "not counted".to_owned();
    };
    let parts: Vec<String> = counts
        .by_state
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.label().to_lowercase()))
        .collect();
    if parts.is_empty() {
        "no connections".to_owned()
    } else {
        parts.join(", ")
    }
}

#[component]
fn Dashboard(view: DashboardView, workspace: String) -> impl IntoView {
    let base = format!("/w/{workspace}/e/{}", view.environment.slug);
    let connections = format!("{base}/connections");
    let totals = view.totals.clone();
    let latest = view.latest_counts().cloned();
    view! {
        <section class="page dashboard-page">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Overview"</span>
            </nav>
            <h1>"Overview"</h1>
            <p class="lead">
                "How the Pinterest connections in " {view.environment.name.clone()}
                " are doing: the last 30 days of their states and the last 24 hours of activity. Times are UTC."
            </p>
            <Tiles totals=totals.clone() latest=latest.clone() attention_total=view.attention_total
                capped=view.attention_capped connections=connections.clone()/>
            <Attention view=view.clone() connections=connections.clone()/>
            <StatesCard days=view.days.clone() latest=latest/>
            <div class="cards">
                <RefreshesCard hours=view.hours.clone() totals=totals.clone()/>
                <ProbesCard hours=view.hours.clone() totals=totals.clone()/>
                <LatencyCard hours=view.hours.clone() totals=totals.clone()/>
                <CallsCard hours=view.hours.clone() totals=totals base=base/>
            </div>
        </section>
    }
}

/// The headline numbers.
#[component]
fn Tiles(
    totals: HourView,
    latest: Option<DayView>,
    attention_total: i64,
    capped: bool,
    connections: String,
) -> impl IntoView {
    let (connected, active) =
        latest
            .as_ref()
            .and_then(|d| d.counts.as_ref())
            .map_or((None, 0), |c| {
                (
                    Some(c.total() - c.get(Health::Revoked)),
                    c.get(Health::Active),
                )
            });
    let probes_failed = totals.probes_failed();
    let latency = totals.latency;
    view! {
        <div class="tiles">
            <a class="tile" href=connections data-field="tile-connections">
                <span class="tile-label">"Connections"</span>
                <strong class="tile-value">{connected.map_or_else(|| "–".to_owned(), |n| n.to_string())}</strong>
                <span class="tile-note">{if connected.is_some() { format!("{active} active") } else { "not counted yet".to_owned() }}</span>
            </a>
            <a class="tile" class:tile-alert={attention_total > 0} href="#attention" data-field="tile-attention">
                <span class="tile-label">"Need attention"</span>
                <strong class="tile-value">{attention_total}{capped.then_some("+")}</strong>
                <span class="tile-note">{if attention_total > 0 { "the end user must act" } else { "nothing to do" }}</span>
            </a>
            <div class="tile" class:tile-alert={totals.refreshes_failed > 0} data-field="tile-refreshes">
                <span class="tile-label">"Refreshes, 24 h"</span>
                <strong class="tile-value">{totals.refreshes_ok}</strong>
                <span class="tile-note">{format!("{} failed", totals.refreshes_failed)}</span>
            </div>
            <div class="tile" class:tile-alert={probes_failed > 0} data-field="tile-probes">
                <span class="tile-label">"Health checks, 24 h"</span>
                <strong class="tile-value">{totals.probes_ok}</strong>
                <span class="tile-note">{format!("{probes_failed} found a problem")}</span>
            </div>
            <div class="tile" data-field="tile-latency">
                <span class="tile-label">"Pinterest latency, 24 h"</span>
                <strong class="tile-value">{latency.map_or_else(|| "–".to_owned(), |l| format!("≤ {} ms", l.p95_ms))}</strong>
                <span class="tile-note">{latency.map_or_else(|| "no calls".to_owned(), |l| format!("95th percentile; average {} ms", l.average_ms))}</span>
            </div>
            <div class="tile" class:tile-alert={totals.api_failed + totals.tools_failed > 0} data-field="tile-calls">
                <span class="tile-label">"API and tool calls, 24 h"</span>
                <strong class="tile-value">{totals.api_ok + totals.tools_ok}</strong>
                <span class="tile-note">{format!("{} failed", totals.api_failed + totals.tools_failed)}</span>
            </div>
        </div>
    }
}

/// The connections that need attention, each linked to its page.
#[component]
fn Attention(view: DashboardView, connections: String) -> impl IntoView {
    let rows = view
        .attention
        .iter()
        .map(|a| {
            let href = format!("{connections}/{}", a.id);
            let who = a.display_name.clone().unwrap_or_else(|| a.end_user_id.clone());
            // A connection that saw another account may be active: say so.
            let problem = if a.state == Health::Active || a.state == Health::Degraded {
                None
            } else {
                Some(view! { <span class=state_class(a.state)>{a.state.label()}</span> })
            };
            view! {
                <tr data-connection=a.id.clone() data-state=a.state.as_str()>
                    <td>
                        <a href=href>{who}</a>
                        {a.display_name.as_ref().map(|_| view! { <br/><span class="muted small">{a.end_user_id.clone()}</span> })}
                    </td>
                    <td>"@" {a.username.clone()}</td>
                    <td>
                        {problem}
                        {a.account_changed.then(|| view! { " " <span class="status status-warn">"Account changed"</span> })}
                        <br/><span class="muted small">{a.reason.clone()}</span>
                    </td>
                    <td class="small">{format_utc(a.since)}</td>
                </tr>
            }
        })
        .collect_view();
    let listed = view.attention.len() as i64;
    let more = view.attention_total > listed;
    let total_words = if view.attention_capped {
        format!("{} or more", view.attention_total)
    } else {
        view.attention_total.to_string()
    };
    let filter = |state: Health| format!("{connections}?state={}", state.as_str());
    view! {
        <div class="card card-wide attention" id="attention" data-field="attention">
            <h2>"Needs attention"</h2>
            {if view.attention.is_empty() {
                view! {
                    <p class="muted" data-field="no-attention">
                        "Nothing needs attention: no connection needs re-authorization, lacks a scope or shows another Pinterest account."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="hint">
                        "Connections only their end user can repair, by connecting again (send them a new connect link), newest trouble first."
                    </p>
                    <div class="table-scroll">
                        <table class="table attention-table">
                            <thead><tr><th scope="col">"End user"</th><th scope="col">"Pinterest account"</th><th scope="col">"Problem"</th><th scope="col">"Since"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    {more.then(|| view! {
                        <p class="small" data-field="attention-more">
                            {format!("The {listed} most recent of {total_words}. All of them: ")}
                            <a href=filter(Health::NeedsReauth)>"needing re-authorization"</a>
                            ", "
                            <a href=filter(Health::InsufficientScope)>"missing scopes"</a>
                            " (on Connections, where a changed account is marked too)."
                        </p>
                    })}
                }
                    .into_any()
            }}
        </div>
    }
}

/// Connections per state, a bar per day.
#[component]
fn StatesCard(days: Vec<DayView>, latest: Option<DayView>) -> impl IntoView {
    let Some(latest) = latest else {
        return view! {
            <div class="card card-wide" data-field="states">
                <h2>"Connections by state, last 30 days"</h2>
                <p class="muted" data-field="no-states">
                    "Not counted yet: pinbridge counts the connections once a minute."
                </p>
            </div>
        }
        .into_any();
    };
    let counted_at = latest.counted_at.map(format_utc).unwrap_or_default();
    let summary = format!(
        "Connections by state over the last 30 days, one bar a day. Last counted {counted_at}: {}.",
        state_words(&latest)
    );
    let bars = days
        .iter()
        .map(|d| Bar {
            label: month_day(d.day),
            title: format_utc(d.day).get(..10).unwrap_or_default().to_owned(),
            values: d
                .counts
                .as_ref()
                .map(|c| Health::ALL.into_iter().map(|h| c.get(h)).collect()),
        })
        .collect::<Vec<_>>();
    let changed = latest.account_changed;
    view! {
        <div class="card card-wide" data-field="states">
            <h2>"Connections by state, last 30 days"</h2>
            <StackedBars id="states" summary caption="Connections by state per day".to_owned()
                axis_name="Day (UTC)" series=state_series() bars label_every=5/>
            <p class="hint">
                "Each day shows its last count; pinbridge counts once a minute (last at " {counted_at} ")."
                {(changed > 0).then(|| format!(" {} show another Pinterest account than the one connected.", count(changed, "connection", "connections")))}
            </p>
        </div>
    }
    .into_any()
}

#[component]
fn RefreshesCard(hours: Vec<HourView>, totals: HourView) -> impl IntoView {
    let chart = if totals.refreshes_ok + totals.refreshes_failed == 0 {
        view! { <p class="muted" data-field="no-refreshes">"No refreshes in the last 24 hours."</p> }.into_any()
    } else {
        let summary = format!(
            "Token refreshes per hour over the last 24 hours: {} succeeded, {} failed.{}",
            totals.refreshes_ok,
            totals.refreshes_failed,
            busiest(&hours, |h| h.refreshes_ok + h.refreshes_failed)
        );
        view! {
            <StackedBars id="refreshes" summary caption="Token refreshes per hour".to_owned()
                axis_name="Hour (UTC)" series=ok_failed("succeeded", "failed")
                bars=hour_bars(&hours, |h| vec![h.refreshes_ok, h.refreshes_failed]) label_every=4/>
        }
        .into_any()
    };
    view! {
        <div class="card" data-field="refreshes">
            <h2>"Token refreshes per hour"</h2>
            {chart}
            <p class="hint">"Failed: Pinterest refused the refresh token, or did not answer (retried later)."</p>
        </div>
    }
}

#[component]
fn ProbesCard(hours: Vec<HourView>, totals: HourView) -> impl IntoView {
    let all = totals.probes_ok + totals.probes_failed() + totals.probes_skipped;
    let chart = if all == 0 {
        view! { <p class="muted" data-field="no-probes">"No health checks in the last 24 hours."</p> }.into_any()
    } else {
        let summary = format!(
            "Health checks per hour over the last 24 hours: {} ok, {} refused by Pinterest, {} with Pinterest unavailable, {} skipped.{}",
            totals.probes_ok,
            totals.probes_unauthorized + totals.probes_missing_scope,
            totals.probes_transient,
            totals.probes_skipped,
            busiest(&hours, |h| h.probes_ok
                + h.probes_failed()
                + h.probes_skipped)
        );
        let series = vec![
            Series {
                key: "ok",
                name: "ok",
                fill: Fill::Solid,
                flagged: false,
            },
            Series {
                key: "failed",
                name: "refused",
                fill: Fill::Hatch,
                flagged: true,
            },
            Series {
                key: "warn",
                name: "Pinterest unavailable",
                fill: Fill::Dots,
                flagged: true,
            },
            Series {
                key: "off",
                name: "skipped",
                fill: Fill::Lines,
                flagged: false,
            },
        ];
        let bars = hour_bars(&hours, |h| {
            vec![
                h.probes_ok,
                h.probes_unauthorized + h.probes_missing_scope,
                h.probes_transient,
                h.probes_skipped,
            ]
        });
        view! {
            <StackedBars id="probes" summary caption="Health checks per hour".to_owned()
                axis_name="Hour (UTC)" series bars label_every=4/>
        }
        .into_any()
    };
    view! {
        <div class="card" data-field="probes">
            <h2>"Health checks per hour"</h2>
            {chart}
            <p class="hint">"Refused: the token or a scope; skipped: Pinterest not configured or disabled here."</p>
        </div>
    }
}

#[component]
fn LatencyCard(hours: Vec<HourView>, totals: HourView) -> impl IntoView {
    let chart = match totals.latency {
        None => view! { <p class="muted" data-field="no-latency">"No calls to Pinterest in the last 24 hours."</p> }.into_any(),
        Some(l) => {
            let summary = format!(
                "Pinterest's latency per hour over the last 24 hours, in {}: average {} ms, 95th percentile at most {} ms, slowest {} ms.",
                count(l.calls, "call", "calls"),
                l.average_ms,
                l.p95_ms,
                l.max_ms
            );
            let points = hours
                .iter()
                .map(|h| LatencyPoint {
                    label: clock(h.hour),
                    title: format_utc(h.hour),
                    calls: h.latency.map_or(0, |l| l.calls),
                    average_ms: h.latency.map(|l| l.average_ms),
                    p95_ms: h.latency.map(|l| l.p95_ms),
                    max_ms: h.latency.map(|l| l.max_ms),
                })
                .collect::<Vec<_>>();
            view! {
                <LatencyChart id="latency" summary caption="Pinterest's latency per hour".to_owned()
                    points label_every=4/>
            }
            .into_any()
        }
    };
    view! {
        <div class="card" data-field="latency">
            <h2>"Pinterest latency"</h2>
            {chart}
            <p class="hint">"How long Pinterest took to answer pinbridge's refreshes and health checks."</p>
        </div>
    }
}

#[component]
fn CallsCard(hours: Vec<HourView>, totals: HourView, base: String) -> impl IntoView {
    let api = if totals.api_ok + totals.api_failed == 0 {
        view! { <p class="muted" data-field="no-api-calls">"No API calls in the last 24 hours."</p> }.into_any()
    } else {
        let summary = format!(
            "API calls per hour over the last 24 hours: {} answered with success, {} with an error.{}",
            totals.api_ok,
            totals.api_failed,
            busiest(&hours, |h| h.api_ok + h.api_failed)
        );
        view! {
            <StackedBars id="api" summary caption="API calls per hour".to_owned()
                axis_name="Hour (UTC)" series=ok_failed("succeeded", "error")
                bars=hour_bars(&hours, |h| vec![h.api_ok, h.api_failed]) label_every=4/>
        }
        .into_any()
    };
    let tools = if totals.tools_ok + totals.tools_failed == 0 {
        view! { <p class="muted" data-field="no-tool-calls">"No agent tool calls in the last 24 hours."</p> }.into_any()
    } else {
        let summary = format!(
            "Agent tool calls per hour over the last 24 hours: {} done, {} ended in an error.{}",
            totals.tools_ok,
            totals.tools_failed,
            busiest(&hours, |h| h.tools_ok + h.tools_failed)
        );
        view! {
            <StackedBars id="tools" summary caption="Agent tool calls per hour".to_owned()
                axis_name="Hour (UTC)" series=ok_failed("done", "error")
                bars=hour_bars(&hours, |h| vec![h.tools_ok, h.tools_failed]) label_every=4/>
        }
        .into_any()
    };
    view! {
        <div class="card" data-field="calls">
            <h2>"API and agent calls"</h2>
            <h3>"API calls per hour"</h3>
            {api}
            <h3>"Agent tool calls per hour"</h3>
            {tools}
            <p class="hint">
                "Requests to " <code>"/v1"</code> " with this environment's " <a href=format!("{base}/api-keys")>"API keys"</a>
                " (an error: any answer of 400 or more), and MCP tool calls of its " <a href=format!("{base}/agents")>"agents"</a> "."
            </p>
        </div>
    }
}
