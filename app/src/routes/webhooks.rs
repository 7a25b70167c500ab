//! [Environment] → Webhooks: the endpoints pinbridge posts connection events
//! to (admins and owners only), and one endpoint's page with its settings,
//! secret rotation, a test event and the delivery log. A signing secret is
//! shown once, when it is made.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::components::{
    CopyButton, FieldError, FormError, RowError, TextField, bump_on_success, described_by,
    field_message, invalid, last_error, reset_on_success,
};
use crate::errors::AppError;
use crate::functions::flash::{typed_value, typed_values};
use crate::functions::webhooks::{
    CreateWebhook, DeleteWebhook, RedeliverWebhook, ReplayWebhookFailures, RotateWebhookSecret,
    SendWebhookTest, UpdateWebhook, load_webhook, load_webhooks,
};
use crate::models::{
    DeliveryView, EndpointLimits, EndpointView, IssuedSecret, WebhookPageView, WebhooksPageView,
    delivery_class, format_input_utc, format_latency, format_utc,
};
use crate::routes::percent_encode;
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::{DeliveryStatus, WebhookEventType};

/// The event type checkboxes: several values under one name.
const EVENTS_INPUT: &str = "event_types[]";
/// Their error (`domain::webhooks::endpoints::EVENTS_FIELD`).
const EVENTS_FIELD: &str = "event_types";
/// The fields of the endpoint form (`domain::webhooks::endpoints::*_FIELD`).
const ENDPOINT_FIELDS: &[&str] = &["url", "description", EVENTS_FIELD];
/// The replay form's field (`domain::webhooks::endpoints::SINCE_FIELD`).
const SINCE_FIELD: &str = "since";
/// How much of a receiver's answer the log shows.
const EXCERPT_CHARS: usize = 300;

fn list_path(workspace: &str, environment: &str) -> String {
    format!("/w/{workspace}/e/{environment}/webhooks")
}

/// The Webhooks page: the environment's endpoints and "Add endpoint".
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let create = ServerAction::<CreateWebhook>::new();
    let changed = RwSignal::new(0u32);
    bump_on_success(create, changed);
    // With JavaScript, the secret made last stays shown (the list reloads around it).
    let shown = RwSignal::new(None::<IssuedSecret>);
    Effect::new(move |_| {
        if let Some(Ok(issued)) = create.value().get() {
            shown.set(Some(issued));
        }
    });
    // Another environment's secret is not shown here.
    Effect::new(move |previous: Option<String>| {
        let current = environment.get();
        if previous.is_some_and(|p| p != current) {
            shown.set(None);
        }
        current
    });
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get(), changed.get()),
        |(ws, env, _)| load_webhooks(ws, env),
    );
    view! {
        <Title text="Webhooks · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <Webhooks view workspace=ctx.workspace.get_untracked() create shown/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Webhooks(
    view: WebhooksPageView,
    workspace: String,
    create: ServerAction<CreateWebhook>,
    shown: RwSignal<Option<IssuedSecret>>,
) -> impl IntoView {
    let base = list_path(&workspace, &view.environment.slug);
    let flashed = view.issued.clone();
    let issued = {
        let base = base.clone();
        move || {
            shown
                .get()
                .or_else(|| flashed.clone())
                .map(|issued| view! { <IssuedSecretCard issued base=base.clone()/> })
        }
    };
    let count = view.endpoints.len();
    let rows = view
        .endpoints
        .iter()
        .cloned()
        .map(|endpoint| view! { <EndpointRow endpoint base=base.clone()/> })
        .collect_view();
    view! {
        <section class="page webhooks-page">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Webhooks"</span>
            </nav>
            <h1>"Webhooks"</h1>
            <p class="lead">
                "pinbridge posts an event to your endpoints whenever a connection of "
                {view.environment.name.clone()}
                " is created, re-authorized, changes state or account, is disconnected or fails to refresh. "
                "Each request is signed the Standard Webhooks way ("
                <code>"webhook-id"</code> ", " <code>"webhook-timestamp"</code> ", " <code>"webhook-signature"</code>
                "); failed deliveries are retried for 24 hours."
            </p>
            <PrivateTargetsNote limits=view.limits/>
            <Notices notices=view.notices.clone()/>
            {issued}
            <h2>"Endpoints"</h2>
            {if count == 0 {
                view! { <p class="muted" data-field="no-endpoints">"No endpoints yet: add one below."</p> }.into_any()
            } else {
                view! { <div class="rows">{rows}</div> }.into_any()
            }}
            <NewEndpoint workspace environment_id=view.environment.id.clone() action=create
                limits=view.limits count/>
        </section>
    }
}

/// Said on both pages when the installation allows private targets.
#[component]
fn PrivateTargetsNote(limits: EndpointLimits) -> impl IntoView {
    limits.allow_private.then(|| {
        view! {
            <p class="warning" role="note" data-field="private-targets">
                <strong>"Private targets are allowed on this installation."</strong>
                " Endpoints may be loopback or private-network addresses, over plain http (such as "
                <code>"http://127.0.0.1:8080/hooks"</code>
                "). This is for development only: in production, pinbridge sends webhooks only to public https addresses."
            </p>
        }
    })
}

#[component]
fn Notices(notices: Vec<String>) -> impl IntoView {
    notices
        .into_iter()
        .map(|n| view! { <p class="notice" role="status">{n}</p> })
        .collect_view()
}

/// A secret just made: shown once, to copy.
#[component]
fn IssuedSecretCard(issued: IssuedSecret, base: String) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    let rotated = issued.previous_until.is_some();
    let heading = if rotated {
        "New signing secret"
    } else {
        "Endpoint added"
    };
    let endpoint = format!("{base}/{}", issued.endpoint_id);
    let previous = issued.previous_until.map(|until| {
        view! {
            <p data-field="previous-secret-until">
                "The old secret keeps signing beside it until " {format_utc(until)}
                " (24 hours), so receivers keep verifying while you deploy the new one."
            </p>
        }
    });
    view! {
        <div class="card issued issued-key issued-secret" role="status" data-field="issued-secret"
            data-endpoint=issued.endpoint_id.clone()>
            <h3>{heading}</h3>
            <p class="small">"Signing secret for " <a href=endpoint>{issued.url.clone()}</a></p>
            <div class="copy-field">
                <code class="key-text" data-field="issued-secret-text">{issued.secret.clone()}</code>
                <CopyButton text=issued.secret.clone() label="Copy signing secret"/>
            </div>
            <p><strong>"Copy it now: it will not be shown again."</strong>
               " Your receiver verifies each request's " <code>"webhook-signature"</code>
               " with it; store it in your application's secrets."</p>
            {previous}
        </div>
    }
}

/// One endpoint in the list.
#[component]
fn EndpointRow(endpoint: EndpointView, base: String) -> impl IntoView {
    let href = format!("{base}/{}", endpoint.id);
    let state = endpoint.state();
    let events = event_codes(&endpoint.event_types);
    let described = (!endpoint.description.is_empty()).then(|| {
        view! { <dt>"Description"</dt><dd data-field="endpoint-description">{endpoint.description.clone()}</dd> }
    });
    view! {
        <article class="row-card webhook-endpoint" data-endpoint=endpoint.id.clone() data-state=state.as_str()>
            <header class="row-head">
                <h2><a href=href.clone() data-field="endpoint-link">{endpoint.title()}</a></h2>
                <span class=state.class() data-field="endpoint-state">{state.label()}</span>
            </header>
            <EndpointProblems endpoint=endpoint.clone()/>
            <dl class="facts">
                <dt>"URL"</dt><dd><code data-field="endpoint-url">{endpoint.url.clone()}</code></dd>
                {described}
                <dt>"Events"</dt><dd data-field="endpoint-events">{events}</dd>
                <dt>"Deliveries"</dt><dd><DeliveryCounts endpoint=endpoint.clone() href/></dd>
            </dl>
        </article>
    }
}

/// Pending and failed deliveries, each a link to that part of the log.
#[component]
fn DeliveryCounts(endpoint: EndpointView, href: String) -> impl IntoView {
    let pending_href = format!("{href}?status=pending");
    let failed_href = format!("{href}?status=failed");
    let failed_class = if endpoint.failed > 0 {
        "count count-bad"
    } else {
        "count"
    };
    view! {
        <span class="delivery-counts">
            <a href=pending_href class="count" data-field="endpoint-pending">
                <strong>{endpoint.pending}</strong> " pending"
            </a>
            " · "
            <a href=failed_href class=failed_class data-field="endpoint-failed">
                <strong>{endpoint.failed}</strong> " failed"
            </a>
        </span>
    }
}

/// Why pinbridge switched an endpoint off, or why it is flagged.
#[component]
fn EndpointProblems(endpoint: EndpointView) -> impl IntoView {
    let disabled = match (&endpoint.disabled_reason, endpoint.enabled) {
        (Some(reason), false) => Some(view! {
            <p class="warning" data-field="endpoint-disabled-reason">
                <strong>"Switched off by pinbridge: "</strong>{reason.clone()}
            </p>
        }),
        _ => None,
    };
    let flagged = endpoint
        .flag_reason
        .clone()
        .filter(|_| endpoint.flagged_at.is_some())
        .map(|reason| {
            view! {
                <p class="error" data-field="endpoint-flag-reason">
                    <strong>"Deliveries are failing: "</strong>{reason}
                </p>
            }
        });
    view! { {disabled}{flagged} }
}

fn event_codes(types: &[WebhookEventType]) -> impl IntoView + use<> {
    types
        .iter()
        .map(|t| view! { <code title=t.label()>{t.as_str()}</code> " " })
        .collect_view()
}

/// The URL, description, event type and "enabled" fields, for adding an
/// endpoint and for changing one. After a refused plain post, what was typed.
#[component]
fn EndpointFields(
    /// The server function's path the form posts to.
    path: &'static str,
    /// Unique within the page.
    prefix: &'static str,
    /// The endpoint being changed; `None` for a new one.
    current: Option<EndpointView>,
    limits: EndpointLimits,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let typed_types = typed_values(path, EVENTS_INPUT);
    let refused = typed_types.is_some();
    let chosen = current
        .as_ref()
        .map(|c| c.event_types.clone())
        .unwrap_or_default();
    let enabled = if refused {
        typed_value(path, "enabled").is_some()
    } else {
        current.as_ref().is_none_or(|c| c.enabled)
    };
    let url = typed_value(path, "url").or_else(|| current.as_ref().map(|c| c.url.clone()));
    let description = typed_value(path, "description")
        .or_else(|| current.as_ref().map(|c| c.description.clone()));
    let events_error = field_message(error, EVENTS_FIELD);
    let boxes = WebhookEventType::SUBSCRIBABLE
        .into_iter()
        .map(|t| {
            let id = format!("{prefix}-event-{}", t.as_str().replace('.', "-"));
            let checked = typed_types
                .as_ref()
                .map_or(chosen.contains(&t), |typed| typed.iter().any(|v| v == t.as_str()));
            view! {
                <li class="permission">
                    <input type="checkbox" id=id.clone() name=EVENTS_INPUT value=t.as_str() checked=checked/>
                    <label for=id>
                        <code>{t.as_str()}</code>
                        <span class="scope-description">{t.label()}</span>
                    </label>
                </li>
            }
        })
        .collect_view();
    let url_hint = if limits.allow_private {
        "Where pinbridge posts events: https://, or http:// to a loopback or private address on this installation."
    } else {
        "Where pinbridge posts events: an https:// address on the public internet."
    };
    let events_hint = format!("{prefix}-events-hint");
    let events_error_id = format!("{prefix}-events-error");
    let enabled_id = format!("{prefix}-enabled");
    view! {
        <TextField label="URL" name="url" id=format!("{prefix}-url") maxlength=2000 value=url
            hint=url_hint error/>
        <TextField label="Description (optional)" name="description" id=format!("{prefix}-description")
            value=description
            hint=format!("What receives the events, e.g. “Billing backend”: at most {} characters.", limits.description_max)
            error/>
        <fieldset class="permission-list" class:field-invalid=move || events_error.read().is_some()
            aria-invalid=invalid(events_error)
            aria-describedby=described_by(Some(events_hint.clone()), events_error_id.clone(), events_error)>
            <legend>"Events to send"</legend>
            <p class="hint" id=events_hint.clone()>"Choose at least one."</p>
            <ul>{boxes}</ul>
            <FieldError id=events_error_id.clone() message=events_error/>
        </fieldset>
        <div class="field field-check">
            <input type="checkbox" id=enabled_id.clone() name="enabled" value="on" checked=enabled/>
            <label for=enabled_id>"Enabled: send events to it"</label>
        </div>
    }
}

#[component]
fn NewEndpoint(
    workspace: String,
    environment_id: String,
    action: ServerAction<CreateWebhook>,
    limits: EndpointLimits,
    count: usize,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(action, form);
    let error = last_error(action);
    let used = format!(
        "{count} of {} endpoints this environment may have.",
        limits.endpoints_max
    );
    view! {
        <div class="card new-endpoint">
            <h2>"Add an endpoint"</h2>
            <p class="hint" data-field="endpoint-count">{used}</p>
            <ActionForm action node_ref=form attr:class="form" attr:novalidate=true attr:id="new-webhook">
                <FormError error fields=ENDPOINT_FIELDS/>
                <input type="hidden" name="workspace" value=workspace/>
                <input type="hidden" name="environment_id" value=environment_id/>
                <EndpointFields path=CreateWebhook::PATH prefix="new-endpoint" current=None limits error/>
                <button type="submit" class="button">"Add endpoint"</button>
            </ActionForm>
        </div>
    }
}

#[derive(Clone, Copy)]
struct EndpointActions {
    update: ServerAction<UpdateWebhook>,
    delete: ServerAction<DeleteWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    test: ServerAction<SendWebhookTest>,
    redeliver: ServerAction<RedeliverWebhook>,
    replay: ServerAction<ReplayWebhookFailures>,
}

/// One endpoint's page: `/w/{ws}/e/{env}/webhooks/{id}?status=…&before=…`.
#[component]
pub fn WebhookPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let query = use_query_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let endpoint = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let actions = EndpointActions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
        rotate: ServerAction::new(),
        test: ServerAction::new(),
        redeliver: ServerAction::new(),
        replay: ServerAction::new(),
    };
    // Not after "Delete": the page is left for the list.
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.update, changed);
    bump_on_success(actions.rotate, changed);
    bump_on_success(actions.test, changed);
    bump_on_success(actions.redeliver, changed);
    bump_on_success(actions.replay, changed);
    let shown = RwSignal::new(None::<IssuedSecret>);
    Effect::new(move |_| {
        if let Some(Ok(issued)) = actions.rotate.value().get() {
            shown.set(Some(issued));
        }
    });
    Effect::new(move |previous: Option<String>| {
        let current = endpoint.get();
        if previous.is_some_and(|p| p != current) {
            shown.set(None);
        }
        current
    });
    let data = Resource::new(
        move || {
            (
                ctx.workspace.get(),
                environment.get(),
                endpoint.get(),
                param("status"),
                param("before"),
                changed.get(),
            )
        },
        |(ws, env, id, status, before, _)| load_webhook(ws, env, id, status, before),
    );
    view! {
        <Title text="Webhook endpoint · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <Webhook view workspace=ctx.workspace.get_untracked() actions shown/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Webhook(
    view: WebhookPageView,
    workspace: String,
    actions: EndpointActions,
    shown: RwSignal<Option<IssuedSecret>>,
) -> impl IntoView {
    let base = list_path(&workspace, &view.environment.slug);
    let e = view.endpoint.clone();
    let state = e.state();
    let flashed = view.issued.clone();
    let issued = {
        let base = base.clone();
        move || {
            shown
                .get()
                .or_else(|| flashed.clone())
                .map(|issued| view! { <IssuedSecretCard issued base=base.clone()/> })
        }
    };
    // With JavaScript, what the last change said.
    let latest = move || {
        [
            actions.update.value().get(),
            actions.test.value().get(),
            actions.redeliver.value().get(),
            actions.replay.value().get(),
        ]
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|n| view! { <p class="notice" role="status">{n}</p> })
        .collect_view()
    };
    let hidden = {
        let (ws, env, id) = (workspace.clone(), view.environment.id.clone(), e.id.clone());
        move || {
            view! {
                <input type="hidden" name="workspace" value=ws.clone()/>
                <input type="hidden" name="environment_id" value=env.clone()/>
                <input type="hidden" name="endpoint_id" value=id.clone()/>
            }
        }
    };
    let previous = e.previous_secret_until.map(|until| {
        view! { <dt>"Previous secret"</dt><dd data-field="previous-secret-until">"Still signs until " {format_utc(until)}</dd> }
    });
    let here = format!("{base}/{}", e.id);
    let (test_hidden, rotate_hidden, update_hidden, delete_hidden) =
        (hidden(), hidden(), hidden(), hidden());
    let (id, title, url, events, created) = (
        e.id.clone(),
        e.title(),
        e.url.clone(),
        event_codes(&e.event_types),
        format!("{} by {}", format_utc(e.created_at), e.created_by),
    );
    let update_error = last_error(actions.update);
    let delete_error = last_error(actions.delete);
    view! {
        <section class="page page-wide webhook-page" data-endpoint=id data-state=state.as_str()>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <A href=base.clone()>"Webhooks"</A>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">{title.clone()}</span>
            </nav>
            <div class="title-row">
                <h1>{title}</h1>
                <span class=state.class() data-field="endpoint-state">{state.label()}</span>
            </div>
            <PrivateTargetsNote limits=view.limits/>
            <Notices notices=view.notices.clone()/>
            {latest}
            {issued}
            <EndpointProblems endpoint=e.clone()/>
            <div class="card">
                <dl class="facts">
                    <dt>"URL"</dt><dd><code data-field="endpoint-url">{url.clone()}</code></dd>
                    <dt>"Events"</dt><dd data-field="endpoint-events">{events}</dd>
                    <dt>"Deliveries"</dt><dd><DeliveryCounts endpoint=e.clone() href=here/></dd>
                    <dt>"Added"</dt><dd>{created}</dd>
                    {previous}
                </dl>
                <div class="row-actions">
                    <ActionForm action=actions.test attr:class="inline-form">
                        {test_hidden}
                        <button type="submit" class="button button-secondary">"Send test event"</button>
                    </ActionForm>
                    <ActionForm action=actions.rotate attr:class="inline-form">
                        {rotate_hidden}
                        <button type="submit" class="button button-secondary">"Rotate secret"</button>
                        <p class="hint">"A new secret is shown once; the old one keeps signing beside it for 24 hours."</p>
                    </ActionForm>
                </div>
                <FormError error=last_error(actions.test) fields=&[]/>
                <FormError error=last_error(actions.rotate) fields=&[]/>
            </div>
            <DeliveryLog view=view.clone() hidden=hidden.clone() actions/>
            <div class="card">
                <h2>"Settings"</h2>
                <ActionForm action=actions.update attr:class="form" attr:novalidate=true attr:id="edit-webhook">
                    <FormError error=update_error fields=ENDPOINT_FIELDS/>
                    {update_hidden}
                    <EndpointFields path=UpdateWebhook::PATH prefix="endpoint" current=Some(e.clone())
                        limits=view.limits error=update_error/>
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
                <details class="danger-zone" open=move || delete_error.read().is_some()>
                    <summary>"Delete endpoint…"</summary>
                    <p class="small">"pinbridge stops sending to " <code>{url}</code>
                        " at once; its delivery log goes with it. This cannot be undone."</p>
                    <ActionForm action=actions.delete attr:class="inline-form">
                        {delete_hidden}
                        <button type="submit" class="button button-danger">"Delete this endpoint"</button>
                    </ActionForm>
                    <FormError error=delete_error fields=&[]/>
                </details>
            </div>
        </section>
    }
}

/// The delivery log: filter, a page of deliveries, paging, and "Replay failed since…".
#[component]
fn DeliveryLog<H, V>(view: WebhookPageView, hidden: H, actions: EndpointActions) -> impl IntoView
where
    H: Fn() -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let location = use_location();
    let status = view.status;
    let with_status = move |extra: Option<String>| {
        let mut pairs = Vec::new();
        if let Some(s) = status {
            pairs.push(format!("status={}", s.as_str()));
        }
        if let Some(cursor) = extra {
            pairs.push(format!("before={}", percent_encode(&cursor)));
        }
        if pairs.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{}", location.pathname.get_untracked(), pairs.join("&"))
        }
    };
    let newest = view.paged.then(|| with_status(None));
    let older = view.next.clone().map(|cursor| with_status(Some(cursor)));
    let options = DeliveryStatus::ALL
        .into_iter()
        .map(|s| view! { <option value=s.as_str() selected=status == Some(s)>{s.label()}</option> })
        .collect_view();
    let empty = view.deliveries.is_empty();
    let now = view.now;
    let rows = view
        .deliveries
        .iter()
        .cloned()
        .map(|d| view! { <DeliveryRow d now hidden=hidden.clone() action=actions.redeliver/> })
        .collect_view();
    let replay_error = last_error(actions.replay);
    let since = typed_value(ReplayWebhookFailures::PATH, SINCE_FIELD)
        .unwrap_or_else(|| format_input_utc(now - 86_400_000));
    view! {
        <div class="card delivery-log">
            <h2>"Delivery log"</h2>
            <Form method="GET" action="" attr:class="filters">
                <div class="field field-inline">
                    <label for="delivery-status">"Status"</label>
                    <select id="delivery-status" name="status">
                        <option value="" selected=status.is_none()>"All"</option>
                        {options}
                    </select>
                </div>
                <button type="submit" class="button button-secondary">"Filter"</button>
            </Form>
            <FormError error=last_error(actions.redeliver) fields=&[]/>
            {if empty {
                let what = match status {
                    None => "No deliveries yet: send a test event to see one.".to_owned(),
                    Some(s) => format!("No {} deliveries.", s.label().to_lowercase()),
                };
                view! { <p class="muted" data-field="no-deliveries">{what}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="table delivery-table">
                            <thead>
                                <tr>
                                    <th>"Event"</th><th>"Status"</th><th>"Attempts"</th>
                                    <th>"Last answer"</th><th>"Next retry"</th><th>"Response"</th><th></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {newest.map(|href| view! { <a href=href>"← Newest"</a> })}
                {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </nav>
            <h3>"Replay failed deliveries"</h3>
            <ActionForm action=actions.replay attr:class="inline-form" attr:novalidate=true attr:id="replay-webhook">
                {hidden()}
                <TextField label="Failed since (UTC)" name=SINCE_FIELD id="replay-since" kind="datetime-local"
                    value=Some(since) error=replay_error/>
                <button type="submit" class="button button-secondary">"Replay failed since…"</button>
                <FormError error=replay_error fields=&[SINCE_FIELD]/>
            </ActionForm>
            <p class="hint">"Every event whose delivery to this endpoint failed since then, and was not delivered after, is sent again, oldest first."</p>
        </div>
    }
}

#[component]
fn DeliveryRow<H, V>(
    d: DeliveryView,
    now: i64,
    hidden: H,
    action: ServerAction<RedeliverWebhook>,
) -> impl IntoView
where
    H: Fn() -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let answer = match (d.last_status, &d.last_error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "—".to_owned(),
    };
    let latency = d.last_latency_ms.map(format_latency);
    let last_at = d.last_attempt_at.map(format_utc);
    let retry = match d.status {
        DeliveryStatus::Pending if d.next_attempt_at <= now => "due now".to_owned(),
        DeliveryStatus::Pending => format_utc(d.next_attempt_at),
        _ => "—".to_owned(),
    };
    // The receiver's text: attacker-controlled, so only ever rendered as text.
    let excerpt = d.response_excerpt.as_deref().map(|text| {
        let text = text.trim();
        let short: String = text.chars().take(EXCERPT_CHARS).collect();
        let cut = short.len() < text.len();
        view! {
            <code class="excerpt" data-field="delivery-excerpt">{short}{cut.then_some("…")}</code>
        }
    });
    let redeliver = (d.status != DeliveryStatus::Pending).then(|| {
        let row = d.id.clone();
        let delivery = d.id.clone();
        let error = last_error(action);
        let fields = hidden();
        view! {
            <ActionForm action attr:class="inline-form">
                {fields}
                <input type="hidden" name="delivery_id" value=delivery/>
                <button type="submit" class="button button-quiet">"Redeliver"</button>
            </ActionForm>
            <RowError error row/>
        }
    });
    let connection = d
        .connection_id
        .clone()
        .map(|c| view! { <br/><span class="small muted">"connection " <code>{c}</code></span> });
    view! {
        <tr data-delivery=d.id.clone() data-status=d.status.as_str() data-event-type=d.event_type.as_str()>
            <td>
                <code data-field="delivery-type">{d.event_type.as_str()}</code><br/>
                <span class="small muted" data-field="delivery-event">{d.event_id.clone()}</span>
                {connection}
                <br/><span class="small muted">{format_utc(d.created_at)}</span>
            </td>
            <td><span class=delivery_class(d.status) data-field="delivery-status">{d.status.label()}</span></td>
            <td data-field="delivery-attempts">{d.attempts}</td>
            <td class="small">
                <span data-field="delivery-answer">{answer}</span>
                {latency.map(|l| view! { <br/><span class="muted" data-field="delivery-latency">{l}</span> })}
                {last_at.map(|t| view! { <br/><span class="muted">{t}</span> })}
            </td>
            <td class="small nowrap" data-field="delivery-next">{retry}</td>
            <td class="small">{excerpt}</td>
            <td class="row-actions">{redeliver}</td>
        </tr>
    }
}
