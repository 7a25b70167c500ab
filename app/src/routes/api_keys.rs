//! [Environment] → API keys: the keys applications call pinbridge's API with.
//! Every member sees the list (never a key's text); admins and owners create
//! keys (the text is shown once), rotate, revoke and limit them.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{
    CopyButton, FieldError, FormError, RowError, TextField, bump_on_success, described_by,
    field_message, invalid, last_error, reset_on_success,
};
use crate::errors::AppError;
use crate::functions::api_keys::{
    CreateApiKey, RevokeApiKey, RotateApiKey, SetApiKeyRateLimit, load_api_keys,
};
use crate::functions::flash::{typed_value, typed_values};
use crate::models::{
    API_KEY_VARIABLE, ApiKeyView, ApiKeysPageView, IssuedApiKey, KeyState, coarse_ago, format_utc,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::ApiPermission;

/// The permission checkboxes: several values under one name.
const PERMISSIONS_INPUT: &str = "permissions[]";
/// The error of the permission checkboxes (`domain::api::keys::PERMISSIONS_FIELD`).
const PERMISSIONS_FIELD: &str = "permissions";
/// The end user a key is bound to (`domain::api::keys::END_USER_FIELD`).
const END_USER_FIELD: &str = "end_user_id";
const NEW_KEY_FIELDS: &[&str] = &[
    "name",
    PERMISSIONS_FIELD,
    END_USER_FIELD,
    "expires_in_days",
    "rate_limit",
];
/// What "Expires" offers: days, or never.
const EXPIRY_CHOICES: [(&str, &str); 5] = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In 365 days"),
];
/// How long a rotated key keeps working, in seconds; the default is marked.
const GRACE_CHOICES: [(&str, &str, bool); 4] = [
    ("0", "Stops at once", false),
    ("3600", "For 1 hour", false),
    ("86400", "For 24 hours", true),
    ("604800", "For 7 days", false),
];

#[derive(Clone, Copy)]
struct KeyActions {
    create: ServerAction<CreateApiKey>,
    rotate: ServerAction<RotateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    limit: ServerAction<SetApiKeyRateLimit>,
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let query = use_query_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    // `?new=agent` (from the Agents page): the form comes with that permission chosen.
    let preset = Memo::new(move |_| {
        query
            .read()
            .get("new")
            .and_then(|name| ApiPermission::parse(&name))
    });
    let actions = KeyActions {
        create: ServerAction::new(),
        rotate: ServerAction::new(),
        revoke: ServerAction::new(),
        limit: ServerAction::new(),
    };
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.create, changed);
    bump_on_success(actions.rotate, changed);
    bump_on_success(actions.revoke, changed);
    bump_on_success(actions.limit, changed);
    // With JavaScript, the key made last stays shown (the list reloads around it).
    let shown = RwSignal::new(None::<IssuedApiKey>);
    Effect::new(move |_| {
        if let Some(Ok(key)) = actions.create.value().get() {
            shown.set(Some(key));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(key)) = actions.rotate.value().get() {
            shown.set(Some(key));
        }
    });
    // The page stays when the environment switcher changes the address: a
    // key of another environment is not shown here.
    Effect::new(move |previous: Option<String>| {
        let current = environment.get();
        if previous.is_some_and(|p| p != current) {
            shown.set(None);
        }
        current
    });
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get(), changed.get()),
        |(ws, env, _)| load_api_keys(ws, env),
    );
    view! {
        <Title text="API keys · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <ApiKeys view workspace=ctx.workspace.get_untracked() actions shown preset=preset.get_untracked()/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ApiKeys(
    view: ApiKeysPageView,
    workspace: String,
    actions: KeyActions,
    shown: RwSignal<Option<IssuedApiKey>>,
    /// A permission the form comes with already chosen.
    preset: Option<ApiPermission>,
) -> impl IntoView {
    let reference = format!("/w/{workspace}/e/{}/api-reference", view.environment.slug);
    let flashed = view.issued.clone();
    let issued = move || {
        shown
            .get()
            .or_else(|| flashed.clone())
            .map(|key| view! { <IssuedKey key/> })
    };
    let notices = view
        .notices
        .iter()
        .map(|n| view! { <p class="notice" role="status">{n.clone()}</p> })
        .collect_view();
    // With JavaScript, what "Revoke" and "Change limit" said (refusals show at their row).
    let latest = move || {
        [actions.revoke.value().get(), actions.limit.value().get()]
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|n| view! { <p class="notice" role="status">{n}</p> })
            .collect_view()
    };
    let can_configure = view.can_configure;
    let now = view.now;
    let empty = view.keys.is_empty();
    let rows = view
        .keys
        .iter()
        .cloned()
        .map(|key| {
            view! {
                <KeyRow key workspace=workspace.clone() environment_id=view.environment.id.clone()
                    can_configure now actions/>
            }
        })
        .collect_view();
    view! {
        <section class="page api-keys-page">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <span>{view.environment.name.clone()}</span>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"API keys"</span>
            </nav>
            <h1>"API keys"</h1>
            <p class="lead">
                "Your application calls pinbridge's API with a key of " {view.environment.name.clone()}
                ", sent as " <code>"Authorization: Bearer " {API_KEY_VARIABLE}</code>
                ". Each key has its own permissions and rate limit. "
                <a href=reference>"API reference"</a>
            </p>
            {notices}
            {latest}
            {issued}
            {if can_configure {
                view! {
                    <NewKey workspace=workspace.clone() environment_id=view.environment.id.clone()
                        action=actions.create default_rate_limit=view.default_rate_limit
                        rate_limit_max=view.rate_limit_max preset/>
                }.into_any()
            } else {
                view! { <p class="notice" role="note">"You can see the keys; admins and owners create and change them."</p> }.into_any()
            }}
            <h2>"Keys"</h2>
            <FormError error=last_error(actions.rotate) fields=&[]/>
            <FormError error=last_error(actions.revoke) fields=&[]/>
            <FormError error=last_error(actions.limit) fields=&[]/>
            {if empty {
                view! { <p class="muted" data-field="no-keys">"No API keys yet."</p> }.into_any()
            } else {
                view! { <div class="rows">{rows}</div> }.into_any()
            }}
        </section>
    }
}

/// A key just made: its text, once, to copy.
#[component]
fn IssuedKey(key: IssuedApiKey) -> impl IntoView {
    // Sent uncompressed (BREACH: see server/src/compression.rs).
    crate::assets::shows_a_secret();
    let heading = if key.replaces.is_some() {
        format!("New key for \u{201c}{}\u{201d}", key.name)
    } else {
        format!("API key \u{201c}{}\u{201d} created", key.name)
    };
    let replaced = key.replaces.clone().map(|old| {
        let when = if old.stopped_at_once {
            "stopped working now.".to_owned()
        } else {
            format!("keeps working until {}, then stops.", format_utc(old.works_until))
        };
        view! {
            <p data-field="old-key-until">"The key it replaces, " <code>{old.visible}</code> ", " {when}</p>
        }
    });
    view! {
        <div class="card issued issued-key" role="status" data-field="issued-key" data-key=key.id.clone()>
            <h3>{heading}</h3>
            <div class="copy-field">
                <code class="key-text" data-field="issued-key-text">{key.key.clone()}</code>
                <CopyButton text=key.key.clone() label="Copy API key"/>
            </div>
            <p><strong>"Copy it now: it will not be shown again."</strong>
               " pinbridge keeps only a hash of it. Store it in your application's secrets, for example as "
               <code>"PINBRIDGE_API_KEY"</code> "."</p>
            {replaced}
            {key.expires_at.map(|at| view! { <p class="small muted">"It expires " {format_utc(at)} "."</p> })}
        </div>
    }
}

#[component]
fn NewKey(
    workspace: String,
    environment_id: String,
    action: ServerAction<CreateApiKey>,
    default_rate_limit: i64,
    rate_limit_max: i64,
    preset: Option<ApiPermission>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(action, form);
    let error = last_error(action);
    let path = CreateApiKey::PATH;
    // After a refused plain post, what was chosen then.
    let typed_permissions = typed_values(path, PERMISSIONS_INPUT);
    let typed_expiry = typed_value(path, "expires_in_days").unwrap_or_default();
    let permissions_error = field_message(error, PERMISSIONS_FIELD);
    let expiry_error = field_message(error, "expires_in_days");
    let permissions = ApiPermission::ALL
        .into_iter()
        .map(|p| {
            let id = format!("key-permission-{}", p.as_str().replace(':', "-"));
            view! {
                <li class="permission">
                    <input type="checkbox" id=id.clone() name=PERMISSIONS_INPUT value=p.as_str()
                        checked=typed_permissions.as_ref().map_or(preset == Some(p), |typed| typed.iter().any(|t| t == p.as_str()))/>
                    <label for=id>
                        <code>{p.as_str()}</code>
                        <span class="scope-description">{p.summary()}</span>
                    </label>
                </li>
            }
        })
        .collect_view();
    let expiry_options = EXPIRY_CHOICES
        .into_iter()
        .map(|(value, label)| view! { <option value=value selected=typed_expiry == value>{label}</option> })
        .collect_view();
    view! {
        <div class="card new-key">
            <h2>"New API key"</h2>
            <ActionForm action node_ref=form attr:class="form" attr:novalidate=true attr:id="new-api-key">
                <FormError error fields=NEW_KEY_FIELDS/>
                <input type="hidden" name="workspace" value=workspace/>
                <input type="hidden" name="environment_id" value=environment_id/>
                <TextField label="Name" name="name" id="key-name" maxlength=100
                    value=typed_value(path, "name")
                    hint="What uses it, e.g. “Backend” or “Nightly sync”: 1 to 100 characters." error/>
                <fieldset class="permission-list" class:field-invalid=move || permissions_error.read().is_some()
                    aria-invalid=invalid(permissions_error)
                    aria-describedby=described_by(Some("key-permissions-hint".into()), "key-permissions-error".into(), permissions_error)>
                    <legend>"Permissions"</legend>
                    <p class="hint" id="key-permissions-hint">"Choose only what the application needs."</p>
                    <ul>{permissions}</ul>
                    <FieldError id="key-permissions-error" message=permissions_error/>
                </fieldset>
                <TextField label="Acts for one end user (optional)" name=END_USER_FIELD id="key-end-user" maxlength=200
                    value=typed_value(path, END_USER_FIELD)
                    hint="Leave empty to let the key act for any end user of this environment. A bound key reaches that end user's connection only — for an agent acting for one person."
                    error/>
                <div class="field" class:field-invalid=move || expiry_error.read().is_some()>
                    <label for="key-expires">"Expires"</label>
                    <select id="key-expires" name="expires_in_days" aria-invalid=invalid(expiry_error)
                        aria-describedby=described_by(None, "key-expires-error".into(), expiry_error)>
                        {expiry_options}
                    </select>
                    <FieldError id="key-expires-error" message=expiry_error/>
                </div>
                <TextField label="Rate limit (requests per minute)" name="rate_limit" id="key-rate-limit"
                    kind="number" value=Some(typed_value(path, "rate_limit").unwrap_or_else(|| default_rate_limit.to_string()))
                    hint=format!("1 to {rate_limit_max}. Requests beyond it within a minute are answered 429 Too Many Requests.")
                    error/>
                <button type="submit" class="button">"Create key"</button>
            </ActionForm>
        </div>
    }
}

/// The errors of a per-key form that belong to this key's row.
fn row_error<S>(action: ServerAction<S>, id: &str) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let suffix = format!("@{id}");
    let error = last_error(action);
    Signal::derive(move || {
        error
            .get()
            .filter(|e| e.field().is_some_and(|f| f.ends_with(&suffix)))
    })
}

/// What a key's state means, in a sentence.
fn state_detail(state: &KeyState) -> Option<String> {
    match state {
        KeyState::Active => None,
        KeyState::Retiring { until } => Some(format!(
            "Rotated: works until {}, then stops.",
            format_utc(*until)
        )),
        KeyState::Expired { at, rotated: true } => Some(format!(
            "Stopped at {} after its rotation.",
            format_utc(*at)
        )),
        KeyState::Expired { at, rotated: false } => {
            Some(format!("Expired at {}.", format_utc(*at)))
        }
        KeyState::Revoked { at, by } => Some(format!("Revoked at {} by {by}.", format_utc(*at))),
    }
}

#[component]
fn KeyRow(
    key: ApiKeyView,
    workspace: String,
    environment_id: String,
    can_configure: bool,
    now: i64,
    actions: KeyActions,
) -> impl IntoView {
    let id = key.id.clone();
    let permissions = key
        .permissions
        .iter()
        .map(|p| view! { <code title=p.summary()>{p.as_str()}</code> " " })
        .collect_view();
    let expires = key
        .expires_at
        .map_or_else(|| "never".to_owned(), format_utc);
    let last_used = key
        .last_used_at
        .map_or_else(|| "never".to_owned(), |at| coarse_ago(now, at));
    let last_used_exact = key.last_used_at.map(format_utc);
    let manage = (can_configure && key.state.usable()).then(|| {
        view! {
            <KeyForms key=key.clone() workspace environment_id actions/>
        }
    });
    view! {
        <article class="row-card api-key" data-key=id.clone() data-state=key.state.as_str()>
            <header class="row-head">
                <h2>{key.name.clone()}</h2>
                <code data-field="key-visible">{key.visible()}</code>
                <span class=key.state.class() data-field="key-state">{key.state.label()}</span>
            </header>
            {state_detail(&key.state).map(|d| view! { <p class="small muted" data-field="key-state-detail">{d}</p> })}
            <dl class="facts key-facts">
                <dt>"Permissions"</dt><dd data-field="key-permissions">{permissions}</dd>
                {key.end_user_id.clone().map(|id| view! {
                    <dt>"End user"</dt><dd data-field="key-end-user"><code>{id}</code></dd>
                })}
                <dt>"Rate limit"</dt><dd data-field="key-rate-limit">{key.rate_limit} " requests per minute"</dd>
                <dt>"Created"</dt><dd>{format_utc(key.created_at)} " by " {key.created_by.clone()}</dd>
                <dt>"Expires"</dt><dd>{expires}</dd>
                <dt>"Last used"</dt><dd title=last_used_exact data-field="key-last-used">{last_used}</dd>
                <dt>"Requests"</dt><dd data-field="key-requests">{key.request_count}</dd>
            </dl>
            {manage}
        </article>
    }
}

/// "Change limit", "Rotate" and "Revoke" for one usable key.
#[component]
fn KeyForms(
    key: ApiKeyView,
    workspace: String,
    environment_id: String,
    actions: KeyActions,
) -> impl IntoView {
    let id = key.id.clone();
    let limit_error = row_error(actions.limit, &id);
    let rotate_error = row_error(actions.rotate, &id);
    let revoke_error = row_error(actions.revoke, &id);
    // Without JavaScript, a refused form comes back with what was typed.
    let typed = |action: &str, field: &str| {
        (typed_value(action, "key_id").as_deref() == Some(id.as_str()))
            .then(|| typed_value(action, field))
            .flatten()
    };
    let limit_value =
        typed(SetApiKeyRateLimit::PATH, "rate_limit").unwrap_or_else(|| key.rate_limit.to_string());
    let typed_grace = typed(RotateApiKey::PATH, "grace_secs");
    let grace_options = GRACE_CHOICES
        .into_iter()
        .map(|(value, label, default)| {
            let selected = typed_grace.as_deref().map_or(default, |t| t == value);
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    let grace_message = field_message(rotate_error, format!("grace_secs@{id}"));
    let hidden = {
        let (ws, env, id) = (workspace.clone(), environment_id.clone(), id.clone());
        move || {
            view! {
                <input type="hidden" name="workspace" value=ws.clone()/>
                <input type="hidden" name="environment_id" value=env.clone()/>
                <input type="hidden" name="key_id" value=id.clone()/>
            }
        }
    };
    let revoke_open = move || revoke_error.read().is_some();
    let (limit_hidden, rotate_hidden, revoke_hidden) = (hidden(), hidden(), hidden());
    let (limit_row, rotate_row, revoke_row) = (id.clone(), id.clone(), id.clone());
    let (limit_id, limit_key) = (format!("limit-{id}"), format!("rate_limit@{id}"));
    let rotate = (!key.rotated).then(|| {
        let (grace_id, grace_error_id) = (format!("grace-{id}"), format!("grace-{id}-error"));
        view! {
            <ActionForm action=actions.rotate attr:class="inline-form" attr:novalidate=true>
                {rotate_hidden}
                <div class="field" class:field-invalid=move || grace_message.read().is_some()>
                    <label for=grace_id.clone()>"The old key keeps working"</label>
                    <select id=grace_id name="grace_secs" aria-invalid=invalid(grace_message)
                        aria-describedby=described_by(None, grace_error_id.clone(), grace_message)>
                        {grace_options}
                    </select>
                    <FieldError id=grace_error_id.clone() message=grace_message/>
                </div>
                <button type="submit" class="button button-secondary">"Rotate"</button>
                <RowError error=rotate_error row=rotate_row/>
            </ActionForm>
        }
    });
    view! {
        <div class="row-actions">
            <ActionForm action=actions.limit attr:class="inline-form" attr:novalidate=true>
                {limit_hidden}
                <TextField label="Rate limit (requests per minute)" name="rate_limit" id=limit_id
                    error_key=limit_key kind="number" value=Some(limit_value)
                    error=limit_error/>
                <button type="submit" class="button button-secondary">"Change limit"</button>
                <RowError error=limit_error row=limit_row/>
            </ActionForm>
            {rotate}
            <details class="danger-zone" open=revoke_open>
                <summary>"Revoke…"</summary>
                <p class="small">"Requests with " <code>{key.visible()}</code> " are refused from now on. This cannot be undone; the application needs a new key."</p>
                <ActionForm action=actions.revoke attr:class="inline-form">
                    {revoke_hidden}
                    <button type="submit" class="button button-danger">"Revoke \u{201c}" {key.name.clone()} "\u{201d}"</button>
                    <RowError error=revoke_error row=revoke_row/>
                </ActionForm>
            </details>
        </div>
    }
}
