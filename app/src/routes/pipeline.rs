//! Environments as a pipeline: two environments side by side (every
//! difference in their integration configuration, equal items folded), and
//! the review and confirmation of a promotion from one to the other.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, TextField, last_error};
use crate::errors::AppError;
use crate::functions::flash::typed_value;
use crate::functions::pipeline::{
    CONFIRM_NAME, PromoteEnvironment, join_items, load_drift, load_plan, promoted_notice,
};
use crate::models::{DriftRowView, DriftSectionView, DriftView, PlanView, WorkspaceView};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx, with_workspace};

#[component]
pub fn ComparePage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || (ctx.workspace.get(), param("from"), param("to")),
        |(ws, from, to)| async move {
            if from.is_none() && to.is_none() {
                return Ok(None);
            }
            load_drift(ws, from, to).await.map(Some)
        },
    );
    let notices = crate::functions::flash::notices()
        .into_iter()
        .map(|n| view! { <p class="notice" role="status">{n}</p> })
        .collect_view();
    view! {
        <Title text="Compare environments · pinbridge"/>
        <section class="page page-wide">
            <h1>"Compare environments"</h1>
            <p class="lead">
                "Every piece of integration configuration that differs between two environments, "
                "side by side. Secrets are never shown: a secret appears as its fingerprint, so you "
                "can tell whether two environments hold the same one."
            </p>
            {notices}
            {with_workspace(move |w| view! { <Picker w/> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(Some(view)) => view! { <Drift view workspace=ctx.workspace.get_untracked()/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(AppError::Invalid { message, .. } | AppError::Refused(message)) => view! {
                            <p class="error" role="alert" data-field="compare-refused">{message}</p>
                        }.into_any(),
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Which two environments to compare (a GET form: the address says it).
#[component]
fn Picker(w: WorkspaceView) -> impl IntoView {
    let query = use_query_map();
    let current = move |name: &str| query.read_untracked().get(name).unwrap_or_default();
    let (from, to) = (current("from"), current("to"));
    // Without a choice yet: the first two environments, oldest first.
    let first = w
        .environments
        .first()
        .map(|e| e.slug.clone())
        .unwrap_or_default();
    let second = w
        .environments
        .get(1)
        .map(|e| e.slug.clone())
        .unwrap_or_default();
    let from = if from.is_empty() { first } else { from };
    let to = if to.is_empty() { second } else { to };
    let options = move |selected: String| {
        w.environments
            .iter()
            .map(|e| {
                let here = e.slug == selected;
                view! { <option value=e.slug.clone() selected=here>{e.name.clone()}</option> }
            })
            .collect_view()
    };
    let (from_options, to_options) = (options.clone()(from), options(to));
    view! {
        <Form method="GET" action="" attr:class="filters" attr:aria-label="Environments to compare">
            <div class="field field-inline">
                <label for="compare-from">"From"</label>
                <select id="compare-from" name="from">{from_options}</select>
            </div>
            <div class="field field-inline">
                <label for="compare-to">"To"</label>
                <select id="compare-to" name="to">{to_options}</select>
            </div>
            <button type="submit" class="button button-secondary">"Compare"</button>
        </Form>
    }
}

#[component]
fn Drift(view: DriftView, workspace: String) -> impl IntoView {
    let can_promote = view.can_promote && view.difference_count > 0;
    let summary = match view.difference_count {
        0 => format!(
            "{} and {} are configured alike.",
            view.from.name, view.to.name
        ),
        1 => "1 difference.".to_owned(),
        n => format!("{n} differences."),
    };
    let copyable = view
        .sections
        .iter()
        .flat_map(|s| s.differences.iter())
        .any(|r| r.not_copyable.is_none());
    let (from_name, to_name) = (view.from.name.clone(), view.to.name.clone());
    let sections = view
        .sections
        .into_iter()
        .filter(|s| !s.differences.is_empty() || !s.equal.is_empty())
        .map(|section| {
            view! {
                <Section section from=from_name.clone() to=to_name.clone() can_promote/>
            }
        })
        .collect_view();
    let hidden = (!view.hidden.is_empty()).then(|| view.hidden.join(", "));
    let note = (!view.can_promote).then(|| {
        view! {
            <p class="notice" role="note">
                "You can compare environments; owners and admins promote configuration."
                {hidden.map(|h| format!(" Not shown to your role: {h}."))}
            </p>
        }
    });
    view! {
        <p class="lead" data-field="drift-summary">{summary}</p>
        {note}
        <form method="get" action=format!("/w/{workspace}/environments/promote") class="drift">
            <input type="hidden" name="from" value=view.from.slug.clone()/>
            <input type="hidden" name="to" value=view.to.slug.clone()/>
            <input type="hidden" name="fv" value=view.from.version.clone()/>
            <input type="hidden" name="tv" value=view.to.version.clone()/>
            {sections}
            {(can_promote && copyable).then(|| view! {
                <p>
                    <button type="submit" class="button">"Review promotion…"</button>
                    <span class="muted small">" Choose what to copy from " {view.from.name.clone()} " to " {view.to.name.clone()} "; the next page shows exactly what will change."</span>
                </p>
            })}
        </form>
    }
}

#[component]
fn Section(
    section: DriftSectionView,
    from: String,
    to: String,
    can_promote: bool,
) -> impl IntoView {
    let head = {
        let (from, to) = (from.clone(), to.clone());
        move || {
            view! {
                <thead>
                    <tr>
                        {can_promote.then(|| view! { <th scope="col">"Copy"</th> })}
                        <th scope="col">"Item"</th>
                        <th scope="col">{from.clone()}</th>
                        <th scope="col">{to.clone()}</th>
                        <th scope="col">"Last change"</th>
                    </tr>
                </thead>
            }
        }
    };
    let differences = (!section.differences.is_empty()).then(|| {
        let rows = section
            .differences
            .into_iter()
            .map(|row| view! { <Item row can_promote/> })
            .collect_view();
        view! { <table class="table drift-table">{head()}<tbody>{rows}</tbody></table> }
    });
    let equal = (!section.equal.is_empty()).then(|| {
        let n = section.equal.len();
        let rows = section
            .equal
            .into_iter()
            .map(|row| view! { <Item row can_promote/> })
            .collect_view();
        let label = if n == 1 {
            "1 equal item".to_owned()
        } else {
            format!("{n} equal items")
        };
        view! {
            <details class="drift-equal">
                <summary>{label}</summary>
                <table class="table drift-table">{head()}<tbody>{rows}</tbody></table>
            </details>
        }
    });
    view! {
        <h2>{section.label}</h2>
        {differences}
        {equal}
    }
}

#[component]
fn Item(row: DriftRowView, can_promote: bool) -> impl IntoView {
    let value = |v: Option<String>| match v {
        Some(v) => view! { <code class="drift-value">{v}</code> }.into_any(),
        None => view! { <span class="muted">"not set"</span> }.into_any(),
    };
    let differs = row.provenance.is_some();
    let check = can_promote.then(|| {
        let label = format!("Copy {}", row.label);
        match (&row.not_copyable, differs) {
            (None, true) => view! {
                <td><input type="checkbox" name="item" value=row.key.clone() aria-label=label/></td>
            }
            .into_any(),
            _ => view! { <td></td> }.into_any(),
        }
    });
    let why = row
        .not_copyable
        .clone()
        .map(|why| view! { <br/><span class="muted small" data-field="not-copyable">"Not copied: " {why}</span> });
    view! {
        <tr data-item=row.key.clone() class=if differs { "drift-differs" } else { "drift-same" }>
            {check}
            <th scope="row">{row.label.clone()}{why}</th>
            <td>{value(row.from.clone())}</td>
            <td>{value(row.to.clone())}</td>
            <td class="small">{row.provenance.clone().unwrap_or_else(|| "Equal".into())}</td>
        </tr>
    }
}

#[component]
pub fn PromotePage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let items = move || join_items(&query.read().get_all("item").unwrap_or_default());
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                param("from"),
                param("to"),
                items(),
                param("fv"),
                param("tv"),
            )
        },
        |(ws, from, to, items, fv, tv)| load_plan(ws, from, to, items, fv, tv),
    );
    view! {
        <Title text="Promote configuration · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let ws = ctx.workspace.get_untracked();
                match data.await {
                    Ok(plan) => view! { <Plan plan workspace=ws items=items()/> }.into_any(),
                    Err(AppError::Invalid { message, .. } | AppError::Refused(message)) => {
                        let back = format!(
                            "/w/{ws}/environments/compare?from={}&to={}",
                            param("from").unwrap_or_default(),
                            param("to").unwrap_or_default()
                        );
                        view! {
                            <section class="page page-message">
                                <h1>"Promote configuration"</h1>
                                <p class="error" role="alert" data-field="plan-refused">{message}</p>
                                <p><a class="button" href=back>"Compare again"</a></p>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Plan(plan: PlanView, workspace: String, items: String) -> impl IntoView {
    let promote = ServerAction::<PromoteEnvironment>::new();
    let error = last_error(promote);
    let back = format!(
        "/w/{workspace}/environments/compare?from={}&to={}",
        plan.from.slug, plan.to.slug
    );
    let to_name = plan.to.name.clone();
    let changes = plan
        .changes
        .iter()
        .map(|c| {
            let value = |v: Option<String>, absent: &'static str| match v {
                Some(v) => view! { <code class="drift-value">{v}</code> }.into_any(),
                None => view! { <span class="muted">{absent}</span> }.into_any(),
            };
            view! {
                <tr data-item=c.key.clone()>
                    <td>{c.section.clone()}</td>
                    <th scope="row">{c.label.clone()}</th>
                    <td>{value(c.before.clone(), "not set")}</td>
                    <td>{value(c.after.clone(), "removed")}</td>
                </tr>
            }
        })
        .collect_view();
    let secrets = if plan.secrets_needed.is_empty() {
        view! {
            <p class="muted">"No secret is copied, and " {to_name.clone()} " needs no new one for these changes."</p>
        }
        .into_any()
    } else {
        let list = plan
            .secrets_needed
            .iter()
            .map(|s| view! { <li>{s.clone()}</li> })
            .collect_view();
        view! {
            <div class="notice" role="note" data-field="secrets-needed">
                <h2>"Secrets " {to_name.clone()} " still needs"</h2>
                <p>"Secrets are never copied between environments."</p>
                <ul>{list}</ul>
            </div>
        }
        .into_any()
    };
    let stale = plan.changed_since_compared.then(|| view! {
        <p class="notice" role="status" data-field="changed-since">
            "These environments changed since you compared them: this is what promoting will do now."
        </p>
    });
    let done = move || {
        promote.value().get().and_then(Result::ok).map(|view| {
            let needed = view
                .secrets_needed
                .iter()
                .map(|s| view! { <li>{s.clone()}</li> })
                .collect_view();
            view! {
                <div class="notice" role="status">
                    <p>{promoted_notice(&view)}</p>
                    <ul>{needed}</ul>
                    <p><a href=view.compare_url.clone()>"Compare again"</a></p>
                </div>
            }
        })
    };
    let (from_id, to_id) = (plan.from.id.clone(), plan.to.id.clone());
    let (from_version, to_version) = (plan.from.version.clone(), plan.to.version.clone());
    let target = plan.to.name.clone();
    let form = plan.can_promote.then(move || {
        let typed = typed_value(PromoteEnvironment::PATH, CONFIRM_NAME);
        let hint = format!(
            "Type “{target}” to confirm. Everything above is written in one step, or nothing is."
        );
        view! {
            <ActionForm action=promote attr:class="form" attr:novalidate=true>
                <FormError error=error fields=&[CONFIRM_NAME]/>
                <input type="hidden" name="workspace" value=workspace.clone()/>
                <input type="hidden" name="from" value=from_id/>
                <input type="hidden" name="to" value=to_id/>
                <input type="hidden" name="items" value=items/>
                <input type="hidden" name="from_version" value=from_version/>
                <input type="hidden" name="to_version" value=to_version/>
                <TextField label="Target environment" name=CONFIRM_NAME id="promote-confirm"
                    value=typed hint=hint maxlength=64 error=error/>
                <button type="submit" class="button">"Promote to " {target.clone()}</button>
            </ActionForm>
        }
    });
    view! {
        <section class="page page-wide">
            <h1>"Promote " {plan.from.name.clone()} " → " {plan.to.name.clone()}</h1>
            <p class="lead">"Exactly what will change in " {plan.to.name.clone()} ":"</p>
            {stale}
            <table class="table drift-table">
                <thead>
                    <tr>
                        <th scope="col">"Section"</th>
                        <th scope="col">"Item"</th>
                        <th scope="col">"Now in " {plan.to.name.clone()}</th>
                        <th scope="col">"After promotion"</th>
                    </tr>
                </thead>
                <tbody>{changes}</tbody>
            </table>
            {secrets}
            {done}
            {form}
            <p><a href=back>"← Back to the comparison"</a></p>
        </section>
    }
}
