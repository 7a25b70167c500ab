//! The frame of every workspace page: the header with the workspace and
//! environment switchers and the operator's menu, and the navigation. The
//! address carries both: `/w/{workspace}/…` and `/w/{workspace}/e/{environment}/…`.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::{use_location, use_params_map};

use crate::components::Brand;
use crate::errors::AppError;
use crate::functions::auth::SignOut;
use crate::functions::workspaces::load_workspace;
use crate::models::WorkspaceView;
use crate::routes::NotFound;

/// What the frame shares with the page inside it.
#[derive(Clone, Copy)]
pub struct WorkspaceCtx {
    /// The workspace id from the address.
    pub workspace: Memo<String>,
    pub view: Resource<Result<WorkspaceView, AppError>>,
    /// Bumped by a page after it changed what the frame shows (environments).
    pub refresh: RwSignal<u32>,
}

impl WorkspaceCtx {
    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// `/w/{workspace}{rest}`.
    pub fn href(&self, rest: &str) -> String {
        format!("/w/{}{rest}", self.workspace.get())
    }
}

/// The environment slug and the page under it, from `/w/{ws}/e/{slug}/{page…}`
/// (the page is empty on the environment's home, its dashboard).
fn environment_in_path(path: &str) -> Option<(String, String)> {
    let mut parts = path.trim_start_matches('/').splitn(5, '/');
    let (Some("w"), Some(_), Some("e"), Some(slug)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let page = parts.next().unwrap_or("");
    let page = if page.starts_with("connections/") {
        // One connection belongs to one environment: switching shows the list.
        "connections"
    } else {
        page
    };
    Some((slug.to_owned(), page.to_owned()))
}

#[component]
pub fn WorkspaceFrame() -> impl IntoView {
    let params = use_params_map();
    let workspace = Memo::new(move |_| params.read().get("ws").unwrap_or_default());
    let refresh = RwSignal::new(0u32);
    let view = Resource::new(
        move || (workspace.get(), refresh.get()),
        |(ws, _)| load_workspace(ws),
    );
    provide_context(WorkspaceCtx {
        workspace,
        view,
        refresh,
    });
    let sign_out = ServerAction::<SignOut>::new();

    view! {
        <header class="topbar">
            <Brand/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    view.await.ok().map(|w| view! { <Switchers w sign_out/> })
                })}
            </Transition>
        </header>
        <div class="frame">
            <nav class="sidenav" aria-label="Main">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        view.await.ok().map(|w| view! { <SideNav w/> })
                    })}
                </Transition>
            </nav>
            <main id="main" class="main" tabindex="-1">
                <Outlet/>
            </main>
        </div>
    }
}

/// Renders `page` with the workspace once it is loaded, and the matching error
/// page (404 for a workspace that is not the operator's) when it cannot be.
pub fn with_workspace<V: IntoView + 'static>(
    page: impl Fn(WorkspaceView) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match ctx.view.await {
                        Ok(w) => Either::Left(page(w)),
                        Err(e) => Either::Right(view! { <LoadError error=e/> }),
                    }
                })
            }}
        </Transition>
    }
}

/// What a page shows when its data cannot be loaded.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    match error {
        AppError::NotFound => Either::Left(view! { <NotFound/> }),
        other => {
            let signed_out = other == AppError::Unauthenticated;
            Either::Right(view! {
                <section class="page page-message">
                    <h1>"This page cannot be shown"</h1>
                    <p class="error" role="alert">{other.to_string()}</p>
                    {signed_out.then(|| view! { <p><a class="button" href="/sign-in">"Sign in"</a></p> })}
                </section>
            })
        }
    }
}

#[component]
fn Switchers(w: WorkspaceView, sign_out: ServerAction<SignOut>) -> impl IntoView {
    let location = use_location();
    let current = Memo::new(move |_| environment_in_path(&location.pathname.get()));
    // Menus close when the address changes (client-side navigation keeps the page).
    let closed = move || {
        location.pathname.track();
        false
    };
    let ws_id = w.id.clone();
    let envs = w.environments.clone();
    let env_label = {
        let envs = envs.clone();
        move || {
            current
                .get()
                .and_then(|(slug, _)| envs.iter().find(|e| e.slug == slug).map(|e| e.name.clone()))
                .unwrap_or_else(|| "Choose…".to_owned())
        }
    };
    let env_links = move || {
        // The same page in the other environment; from elsewhere, its home.
        let page = current.get().map(|(_, p)| p).unwrap_or_default();
        let selected = current.get().map(|(slug, _)| slug);
        envs.iter()
            .map(|e| {
                let href = environment_href(&ws_id, &e.slug, &page);
                let here = selected.as_deref() == Some(e.slug.as_str());
                view! {
                    <li>
                        <a href=href aria-current=here.then_some("true")>{e.name.clone()}</a>
                    </li>
                }
            })
            .collect_view()
    };
    let workspaces = w
        .workspaces
        .iter()
        .map(|s| {
            let here = s.id == w.id;
            view! {
                <li>
                    <a href=format!("/w/{}", s.id) aria-current=here.then_some("true")>
                        {s.name.clone()}
                        <span class="badge">{s.role.label()}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="switchers">
            <details class="menu" prop:open=closed>
                <summary>
                    <span class="menu-label">"Workspace"</span>
                    <strong>{w.name.clone()}</strong>
                </summary>
                <ul class="menu-list">
                    {workspaces}
                    <li class="menu-divider"><a href="/workspaces">"All workspaces / create…"</a></li>
                </ul>
            </details>
            <details class="menu" prop:open=closed>
                <summary>
                    <span class="menu-label">"Environment"</span>
                    <strong class="environment-name">{env_label}</strong>
                </summary>
                <ul class="menu-list">{env_links}</ul>
            </details>
        </div>
        <div class="topbar-spacer"></div>
        <details class="menu menu-right" prop:open=closed>
            <summary aria-label="Account">
                <span class="avatar" aria-hidden="true">{initial(&w.operator.display_name)}</span>
                <span class="operator-name">{w.operator.display_name.clone()}</span>
            </summary>
            <div class="menu-list">
                <p class="menu-note">
                    {w.operator.email.clone()}<br/>
                    <span class="badge">{w.role.label()}</span>" in " {w.name.clone()}
                </p>
                <a href="/account">"Account and sessions"</a>
                <a href="/preferences">"Preferences"</a>
                <ActionForm action=sign_out attr:class="menu-form">
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// `/w/{ws}/e/{slug}/{page}`, or the environment's home for an empty page.
fn environment_href(ws: &str, slug: &str, page: &str) -> String {
    if page.is_empty() {
        format!("/w/{ws}/e/{slug}")
    } else {
        format!("/w/{ws}/e/{slug}/{page}")
    }
}

fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

#[component]
fn SideNav(w: WorkspaceView) -> impl IntoView {
    let location = use_location();
    let envs = w.environments.clone();
    let ws = w.id.clone();
    // Webhooks are for those who configure: viewers are not shown the way there.
    let configures = w.role.can_configure();
    // The environment in the address, else the first one.
    let env = Memo::new(move |_| {
        let slug = environment_in_path(&location.pathname.get()).map(|(slug, _)| slug);
        slug.and_then(|s| envs.iter().find(|e| e.slug == s).cloned())
            .or_else(|| envs.first().cloned())
    });
    let env_section = {
        let ws = ws.clone();
        move || {
            env.get().map(|e| {
                let ws = ws.clone();
                view! {
                    <p class="nav-heading">{e.name.clone()}</p>
                    <ul>
                        <li><A href=format!("/w/{ws}/e/{}", e.slug) exact=true>"Overview"</A></li>
                        <li><A href=format!("/w/{ws}/e/{}/integrations", e.slug)>"Integrations"</A></li>
                        <li><A href=format!("/w/{ws}/e/{}/connections", e.slug)>"Connections"</A></li>
                        <li><A href=format!("/w/{ws}/e/{}/api-keys", e.slug)>"API keys"</A></li>
                        {configures.then(|| view! {
                            <li><A href=format!("/w/{ws}/e/{}/webhooks", e.slug)>"Webhooks"</A></li>
                        })}
                        <li><A href=format!("/w/{ws}/e/{}/agents", e.slug)>"Agents"</A></li>
                        <li><A href=format!("/w/{ws}/e/{}/api-reference", e.slug)>"API reference"</A></li>
                    </ul>
                }
            })
        }
    };
    view! {
        {env_section}
        <p class="nav-heading">"Workspace"</p>
        <ul>
            <li><A href=format!("/w/{ws}/environments")>"Environments"</A></li>
            <li><A href=format!("/w/{ws}/members")>"Members"</A></li>
            <li><A href=format!("/w/{ws}/branding")>"Branding"</A></li>
            <li><A href=format!("/w/{ws}/audit")>"Audit log"</A></li>
            <li><A href=format!("/w/{ws}/installation")>"Installation"</A></li>
        </ul>
    }
}

/// `/w/{ws}`: the first environment's integrations.
#[component]
pub fn WorkspaceIndex() -> impl IntoView {
    with_workspace(|w| match w.environments.first() {
        Some(env) => {
            let to = format!("/w/{}/e/{}/integrations", w.id, env.slug);
            view! { <Redirect path=to/> }.into_any()
        }
        None => {
            let to = format!("/w/{}/environments", w.id);
            view! { <Redirect path=to/> }.into_any()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{environment_href, environment_in_path};

    #[test]
    fn switching_environment_keeps_the_page_or_goes_home() {
        assert_eq!(
            environment_href("ws", "prod", "connections"),
            "/w/ws/e/prod/connections"
        );
        assert_eq!(environment_href("ws", "prod", ""), "/w/ws/e/prod");
    }

    #[test]
    fn finds_the_environment_in_the_address() {
        assert_eq!(
            environment_in_path("/w/abc/e/production/integrations"),
            Some(("production".into(), "integrations".into()))
        );
        assert_eq!(
            environment_in_path("/w/abc/e/production/connections/0190-abc"),
            Some(("production".into(), "connections".into()))
        );
        assert_eq!(
            environment_in_path("/w/abc/e/dev"),
            Some(("dev".into(), "".into()))
        );
        assert_eq!(
            environment_in_path("/w/abc/e/dev/"),
            Some(("dev".into(), "".into()))
        );
        assert_eq!(
            environment_in_path("/w/abc/e/dev/integrations/pinterest"),
            Some(("dev".into(), "integrations/pinterest".into()))
        );
        assert_eq!(environment_in_path("/w/abc/members"), None);
    }
}
