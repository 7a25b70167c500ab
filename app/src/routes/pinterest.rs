//! [Environment] → Integrations → Pinterest: the seed's setup guide, the
//! redirect URI to register, and the environment's Pinterest app settings.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{
    CopyButton, FieldError, FormError, ReauthField, TextField, bump_on_success, described_by,
    field_message, invalid, last_error, reset_on_success,
};
use crate::errors::{CONFIRM_FIELD, REAUTH_FIELD, SCOPES_FIELD};
use crate::functions::flash::{typed_value, typed_values};
use crate::functions::pinterest::{
    CheckPinterestCredentials, DeletePinterest, SavePinterest, SetPinterestEnabled, load_pinterest,
};
use crate::models::{
    CredentialCheckView, PinterestPageView, PinterestSettingsView, ScopeGroupView, check_class,
    format_latency, format_utc,
};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};
use domain::shared::PinterestApi;

const DEVELOPER_APPS: &str = "https://developers.pinterest.com/apps/";
const API_DOCS: &str = "https://developers.pinterest.com/docs/api/v5/";
const OAUTH_GUIDE: &str = "https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/";
/// The form field of the scope checkboxes: several values under one name.
const SCOPES_INPUT: &str = "scopes[]";

/// The page's four actions, created here so their errors survive a plain
/// (no-JavaScript) form post.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SavePinterest>,
    check: ServerAction<CheckPinterestCredentials>,
    enable: ServerAction<SetPinterestEnabled>,
    delete: ServerAction<DeletePinterest>,
}

#[component]
pub fn PinterestPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let actions = Actions {
        save: ServerAction::new(),
        check: ServerAction::new(),
        enable: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // Reload the settings after a change succeeded (not after a refusal: that
    // would redraw the form and lose what was typed).
    let changed = RwSignal::new(0u32);
    bump_on_success(actions.save, changed);
    bump_on_success(actions.check, changed);
    bump_on_success(actions.enable, changed);
    bump_on_success(actions.delete, changed);
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get(), changed.get()),
        |(ws, env, _)| load_pinterest(ws, env),
    );
    view! {
        <Title text="Pinterest · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Pinterest view workspace=ctx.workspace.get_untracked() actions/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Pinterest(view: PinterestPageView, workspace: String, actions: Actions) -> impl IntoView {
    let configured = view.settings.is_some();
    let integrations = format!("/w/{workspace}/e/{}/integrations", view.environment.slug);
    let saved_notices = move || {
        actions
            .save
            .value()
            .get()
            .and_then(Result::ok)
            .map(|saved| saved.notices)
            .unwrap_or_default()
    };
    let flash_notices = view.notices.clone();
    let notices = move || {
        let mut all = flash_notices.clone();
        all.extend(saved_notices());
        if let Some(Ok(deleted)) = actions.delete.value().get() {
            all.push(deleted);
        }
        all.into_iter()
            .map(|n| view! { <p class="notice" role="status">{n}</p> })
            .collect_view()
    };
    let PinterestPageView {
        environment,
        state,
        can_configure,
        redirect_uri,
        redirect_warnings,
        production_api_url,
        sandbox_api_url,
        scope_groups,
        settings,
        connections,
        ..
    } = view;
    let env_id = environment.id.clone();
    view! {
        <section class="page pinterest-page" data-configured=configured.to_string()>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <a href=integrations>{environment.name.clone()} " · Integrations"</a>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Pinterest"</span>
            </nav>
            <header class="integration-hero">
                <span class="integration-logo integration-logo-large" aria-hidden="true">"P"</span>
                <div class="integration-title">
                    <p class="eyebrow">{environment.name.clone()}</p>
                    <h1>"Pinterest"</h1>
                </div>
                <span class=state.class() data-state=state.label()>{state.label()}</span>
            </header>
            <p class="lead">
                "Let your users connect their Pinterest accounts so your application and agents can read "
                "and manage their boards, pins and account data. Each environment has its own Pinterest app settings."
            </p>
            {notices}
            {(!can_configure).then(|| view! {
                <p class="notice" role="note">"You can view these settings; admins and owners change them."</p>
            })}
            <SetupGuide configured redirect_uri=redirect_uri.clone()/>
            <RedirectUri redirect_uri warnings=redirect_warnings/>
            {settings.clone().map(|s| view! { <Summary s connections connections_href=format!("/w/{workspace}/e/{}/connections", environment.slug)/> })}
            {can_configure.then(|| view! {
                <SettingsForm
                    workspace=workspace.clone()
                    environment_id=env_id.clone()
                    settings=settings.clone()
                    scope_groups
                    production_api_url
                    sandbox_api_url
                    save=actions.save
                />
            })}
            {configured.then(|| view! {
                <CheckCard
                    workspace=workspace.clone()
                    environment_id=env_id.clone()
                    last_check=settings.as_ref().and_then(|s| s.last_check.clone())
                    can_configure
                    check=actions.check
                />
            })}
            {(configured && can_configure).then(|| view! {
                <Availability
                    workspace=workspace.clone()
                    environment_id=env_id.clone()
                    environment_name=environment.name.clone()
                    enabled=settings.as_ref().is_some_and(|s| s.enabled)
                    actions
                />
            })}
            <Resources/>
        </section>
    }
}

/// The seed's steps, collapsed once the environment is configured.
#[component]
fn SetupGuide(configured: bool, redirect_uri: String) -> impl IntoView {
    view! {
        <details class="card guide" open=!configured>
            <summary>
                <h2>"Set up your Pinterest app"</h2>
                <span class="muted small">
                    {if configured { "Done · open to review the steps" } else { "5 steps · about 5 minutes" }}
                </span>
            </summary>
            <p class="muted small">
                "You need a Pinterest account with developer access. Register an app once per environment "
                "(for example a test app for Development), then copy its credentials here."
            </p>
            <ol class="steps">
                <li>
                    <h3>"Open the developer portal"</h3>
                    <p>
                        "Go to " <a href=DEVELOPER_APPS target="_blank" rel="noopener noreferrer">"developers.pinterest.com/apps"</a>
                        " and sign in. The " <strong>"My apps"</strong> " page lists your apps; click "
                        <strong>"Connect app"</strong> " to register a new one."
                    </p>
                </li>
                <li>
                    <h3>"Register the app"</h3>
                    <p>
                        "Fill in the " <strong>"Connect App"</strong> " form: app name, company name, company "
                        "website, privacy policy link, app purpose, use cases and audience. Then complete "
                        "the reCAPTCHA and click " <strong>"Submit connect request"</strong> "."
                    </p>
                    <p class="warning small">
                        "The app name must not contain the word “Pinterest”, or Pinterest refuses the registration."
                    </p>
                </li>
                <li>
                    <h3>"Copy the App id and App secret key"</h3>
                    <p>
                        "Open the app from " <strong>"My apps"</strong> " and scroll to " <strong>"API keys"</strong>
                        ". The " <strong>"App id"</strong> " is the Client ID; click " <strong>"Show app secret key"</strong>
                        " for the Client Secret. Paste both into the form below."
                    </p>
                    <p class="muted small">"Treat the secret like a password: never share it or commit it to version control."</p>
                </li>
                <li>
                    <h3>"Add the redirect URI"</h3>
                    <p>
                        "In the app's " <strong>"Redirect URIs"</strong> " section, enter "
                        <code>{redirect_uri}</code> " and press " <strong>"Enter"</strong> " (or "
                        <strong>"Add redirect link"</strong> "). It must match exactly."
                    </p>
                </li>
                <li>
                    <h3>"Review the API scopes"</h3>
                    <p>
                        "The " <strong>"API scopes"</strong> " section shows what your app may ask for. Pinterest grants "
                        "scopes by your app's access tier; choose the ones you need below."
                    </p>
                </li>
            </ol>
        </details>
    }
}

#[component]
fn RedirectUri(redirect_uri: String, warnings: Vec<String>) -> impl IntoView {
    view! {
        <div class="card redirect-card">
            <h2>"Redirect URI"</h2>
            <p class="muted small">"Register this exact value with your Pinterest app (step 4). Pinterest compares it character by character."</p>
            <div class="copy-field">
                <code id="redirect-uri">{redirect_uri.clone()}</code>
                <CopyButton text=redirect_uri label="Copy redirect URI"/>
            </div>
            {warnings.into_iter().map(|w| view! { <p class="warning small" role="note">{w}</p> }).collect_view()}
        </div>
    }
}

/// The stored settings at a glance.
#[component]
fn Summary(
    s: PinterestSettingsView,
    connections: crate::models::ConnectionCounts,
    connections_href: String,
) -> impl IntoView {
    let api = s.api.label();
    view! {
        <div class="card summary-card">
            <h2>"Current settings"</h2>
            <dl class="facts">
                <dt>"App id"</dt>
                <dd><code data-field="client_id">{s.client_id.clone()}</code></dd>
                <dt>"App secret key"</dt>
                <dd>
                    <code class="fingerprint" data-field="secret_fingerprint">{s.secret_fingerprint.clone()}</code>
                    <span class="muted small">" set by " {s.secret_set_by.clone()} " on " {format_utc(s.secret_set_at)}</span>
                </dd>
                <dt>"Pinterest API"</dt>
                <dd>{api}</dd>
                <dt>"Scopes"</dt>
                <dd class="scope-list">{s.scopes.iter().map(|n| view! { <code>{n.clone()}</code> " " }).collect_view()}</dd>
                <dt>"Connections"</dt>
                <dd data-field="connections">
                    {connections.summary()} " · "
                    <a href=connections_href>"Connections"</a>
                </dd>
                <dt>"Last changed"</dt>
                <dd>{format_utc(s.updated_at)} " by " {s.updated_by.clone()}</dd>
            </dl>
        </div>
    }
}

#[component]
fn SettingsForm(
    workspace: String,
    environment_id: String,
    settings: Option<PinterestSettingsView>,
    scope_groups: Vec<ScopeGroupView>,
    production_api_url: String,
    sandbox_api_url: String,
    save: ServerAction<SavePinterest>,
) -> impl IntoView {
    let error = last_error(save);
    // After a save, the typed secret is cleared and its disclosure closed (the
    // page redraws from the stored settings, but a redraw keeps what the
    // browser holds in existing fields).
    let form = NodeRef::new();
    let replace = NodeRef::<leptos::html::Details>::new();
    reset_on_success(save, form);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_)))
            && let Some(details) = replace.get()
        {
            let _ = details.remove_attribute("open");
        }
    });
    let path = SavePinterest::PATH;
    let version = settings.as_ref().map_or(0, |s| s.version);
    let client_id =
        typed_value(path, "client_id").or_else(|| settings.as_ref().map(|s| s.client_id.clone()));
    // After a refused plain post, what was chosen then; otherwise what is stored.
    let typed_scopes = typed_values(path, SCOPES_INPUT);
    // A new configuration starts on Production.
    let api = typed_value(path, "api")
        .and_then(|typed| PinterestApi::parse(&typed))
        .or_else(|| settings.as_ref().map(|s| s.api))
        .unwrap_or(PinterestApi::Production);
    let secret_error =
        Signal::derive(move || error.get().and_then(|e| e.for_field("client_secret")));
    let scopes_error = field_message(error, SCOPES_FIELD);
    let api_error = field_message(error, "api");
    let secret_field = match settings.as_ref() {
        None => view! {
            <TextField label="App secret key" name="client_secret" id="pinterest-client-secret"
                kind="password" autocomplete="off" maxlength=128
                hint="Pinterest's “Client Secret”: click “Show app secret key” on your app's page. It is encrypted here and never shown again; only its last 4 characters are."
                error/>
        }
        .into_any(),
        Some(s) => {
            let open = secret_error.get_untracked().is_some();
            view! {
                <div class="field secret-stored">
                    <span class="label">"App secret key"</span>
                    <p class="secret-line">
                        <code class="fingerprint">{s.secret_fingerprint.clone()}</code>
                        <span class="muted small">"Set by " {s.secret_set_by.clone()} " on " {format_utc(s.secret_set_at)} ". It is never shown again."</span>
                    </p>
                    <details class="replace-secret" open=open node_ref=replace>
                        <summary>"Replace secret"</summary>
                        <TextField label="New App secret key" name="client_secret" id="pinterest-client-secret"
                            kind="password" autocomplete="off" maxlength=128
                            hint="Leave empty to keep the stored secret. Paste the new one from “Show app secret key”."
                            error/>
                    </details>
                </div>
            }
            .into_any()
        }
    };
    let groups = scope_groups
        .into_iter()
        .map(|group| {
            let scopes = group
                .scopes
                .into_iter()
                .map(|scope| {
                    let checked = scope.minimum
                        || typed_scopes
                            .as_ref()
                            .map_or(scope.selected, |typed| typed.contains(&scope.name));
                    let id = format!("scope-{}", scope.name.replace([':', '_'], "-"));
                    view! {
                        <li class="scope" class:scope-locked=scope.minimum>
                            <input type="checkbox" id=id.clone() name=SCOPES_INPUT value=scope.name.clone()
                                checked=checked disabled=scope.minimum/>
                            // A disabled box is not sent: the minimum travels in a hidden field.
                            {scope.minimum.then(|| view! { <input type="hidden" name=SCOPES_INPUT value=scope.name.clone()/> })}
                            <label for=id>
                                <code>{scope.name.clone()}</code>
                                <span class="scope-description">{scope.description}</span>
                            </label>
                            <span class="scope-tags">
                                {scope.minimum.then(|| view! { <span class="badge badge-required" title="Always requested">"Required"</span> })}
                                {scope.needs_app_access.then(|| view! { <span class="badge badge-access" title="Needs the matching access on your Pinterest app">"App access"</span> })}
                            </span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="scope-group">
                    <legend>{group.label}</legend>
                    <ul>{scopes}</ul>
                </fieldset>
            }
        })
        .collect_view();
    let api_production = api == PinterestApi::Production;
    view! {
        <ActionForm action=save node_ref=form attr:class="form form-wide settings-form" attr:novalidate=true attr:id="pinterest-settings">
            <h2>{if settings.is_some() { "App credentials and scopes" } else { "Connect your Pinterest app" }}</h2>
            <FormError error fields=&["client_id", "client_secret", SCOPES_FIELD, "api", REAUTH_FIELD]/>
            <input type="hidden" name="workspace" value=workspace/>
            <input type="hidden" name="environment_id" value=environment_id/>
            <input type="hidden" name="version" value=version.to_string()/>
            <TextField label="App id" name="client_id" id="pinterest-client-id" value=client_id
                maxlength=32 autocomplete="off"
                hint="Pinterest's “Client ID”: the number shown as “App id” under API keys (digits only)."
                error/>
            {secret_field}

            <fieldset class="api-choice" aria-invalid=invalid(api_error)
                aria-describedby=described_by(None, "pinterest-api-error".into(), api_error)>
                <legend>"Pinterest API"</legend>
                <label class="choice-card">
                    <input type="radio" name="api" value="production" checked=api_production/>
                    <span>
                        <strong>"Production"</strong> " " <code class="small">{production_api_url}</code>
                        <span class="hint">"For apps with Standard access."</span>
                    </span>
                </label>
                <label class="choice-card">
                    <input type="radio" name="api" value="sandbox" checked=!api_production/>
                    <span>
                        <strong>"Sandbox"</strong> " " <code class="small">{sandbox_api_url}</code>
                        <span class="hint">"Trial-access apps must use Sandbox to create pins: Pinterest refuses pins from Trial apps on Production."</span>
                    </span>
                </label>
                <FieldError id="pinterest-api-error" message=api_error/>
            </fieldset>

            <fieldset class="scopes" aria-invalid=invalid(scopes_error)
                aria-describedby=described_by(Some("scopes-notes".into()), "pinterest-scopes-error".into(), scopes_error)>
                <legend>"Scopes"</legend>
                <div id="scopes-notes" class="scope-notes">
                    <p class="hint">
                        <strong>"user_accounts:read, boards:read and pins:read are always requested"</strong>
                        ": pinbridge needs them to identify each connected account, check its health and "
                        "work with boards and pins."
                    </p>
                    <p class="warning small">
                        "Write and secret scopes (marked “App access”) work only if your Pinterest app has "
                        "been granted the matching access; otherwise Pinterest refuses them when your users connect."
                    </p>
                    <p class="hint">
                        <strong>"Trial access: "</strong>
                        "new apps start with Trial access, which makes pins created through the API visible "
                        "only to the account that created them. To lift this and get higher rate limits, "
                        "apply for Standard access with “Upgrade access” on your app's page."
                    </p>
                </div>
                <FieldError id="pinterest-scopes-error" message=scopes_error/>
                <div class="scope-groups">{groups}</div>
            </fieldset>
            <ReauthField error id="pinterest-save-reauth"/>
            <button type="submit" class="button">"Save"</button>
        </ActionForm>
    }
}

#[component]
fn CheckCard(
    workspace: String,
    environment_id: String,
    last_check: Option<CredentialCheckView>,
    can_configure: bool,
    check: ServerAction<CheckPinterestCredentials>,
) -> impl IntoView {
    let error = last_error(check);
    let pending = check.pending();
    let result = match last_check {
        None => view! { <p class="muted" data-check="never">"Not checked yet."</p> }.into_any(),
        Some(c) => {
            let details = [
                c.http_status.map(|s| format!("HTTP {s}")),
                c.latency_ms.map(format_latency),
                Some(format!("checked {} by {}", format_utc(c.at), c.by)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            view! {
                <div class="check-result" data-check=c.outcome.as_str()>
                    <p><span class=check_class(c.outcome)>{c.outcome.label()}</span> " " {c.summary}</p>
                    {c.message.map(|m| view! { <p class="small">"Pinterest's answer: " <q>{m}</q></p> })}
                    <p class="muted small">{details}</p>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="card check-card">
            <h2>"Check credentials"</h2>
            <p class="muted small">
                "Asks Pinterest's token endpoint whether it accepts this App id and App secret key. "
                "No user is involved and nothing changes on Pinterest."
            </p>
            {result}
            {can_configure.then(|| view! {
                <ActionForm action=check attr:class="inline-form">
                    <input type="hidden" name="workspace" value=workspace/>
                    <input type="hidden" name="environment_id" value=environment_id/>
                    <button type="submit" class="button button-secondary" disabled=move || pending.get()>
                        {move || if pending.get() { "Checking…" } else { "Check credentials" }}
                    </button>
                </ActionForm>
            })}
            <FormError error fields=&[]/>
        </div>
    }
}

#[component]
fn Availability(
    workspace: String,
    environment_id: String,
    environment_name: String,
    enabled: bool,
    actions: Actions,
) -> impl IntoView {
    let enable_error = last_error(actions.enable);
    let delete_error = last_error(actions.delete);
    let confirm = typed_value(DeletePinterest::PATH, CONFIRM_FIELD);
    let delete_open = delete_error.get_untracked().is_some();
    let (ws_enable, env_enable) = (workspace.clone(), environment_id.clone());
    view! {
        <div class="card availability-card">
            <h2>"Availability"</h2>
            <p>
                {if enabled {
                    format!("Pinterest is enabled in {environment_name}: your users can connect their accounts.")
                } else {
                    format!("Pinterest is disabled in {environment_name}: no new connections can be made. Settings and existing connections are kept.")
                }}
            </p>
            <ActionForm action=actions.enable attr:class="inline-form">
                <input type="hidden" name="workspace" value=ws_enable/>
                <input type="hidden" name="environment_id" value=env_enable/>
                <input type="hidden" name="enabled" value=(!enabled).to_string()/>
                <button type="submit" class="button button-secondary">
                    {if enabled { "Disable Pinterest" } else { "Enable Pinterest" }}
                </button>
            </ActionForm>
            <FormError error=enable_error fields=&[]/>
            <details class="danger-zone" open=delete_open>
                <summary>"Delete configuration…"</summary>
                <p class="small">
                    "Deletes this environment's App id, App secret key and scopes. Refused while the "
                    "environment has Pinterest connections."
                </p>
                <ActionForm action=actions.delete attr:class="inline-form" attr:novalidate=true>
                    <input type="hidden" name="workspace" value=workspace/>
                    <input type="hidden" name="environment_id" value=environment_id/>
                    <TextField label="Environment name" name=CONFIRM_FIELD id="pinterest-delete-confirm"
                        value=confirm autocomplete="off"
                        hint=format!("Type “{environment_name}” to confirm.")
                        error=delete_error/>
                    <ReauthField error=delete_error id="pinterest-delete-reauth"/>
                    <button type="submit" class="button button-danger">"Delete configuration"</button>
                </ActionForm>
                <FormError error=delete_error fields=&[CONFIRM_FIELD, REAUTH_FIELD]/>
            </details>
        </div>
    }
}

#[component]
fn Resources() -> impl IntoView {
    view! {
        <p class="muted small resources">
            "Pinterest's references: "
            <a href=API_DOCS target="_blank" rel="noopener noreferrer">"API documentation"</a> " · "
            <a href=OAUTH_GUIDE target="_blank" rel="noopener noreferrer">"OAuth guide"</a> " · "
            <a href=DEVELOPER_APPS target="_blank" rel="noopener noreferrer">"Developer portal"</a>
        </p>
    }
}
