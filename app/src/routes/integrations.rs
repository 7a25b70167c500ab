//! [Environment] → Integrations: what this environment can connect to.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::functions::environments::load_integrations;
use crate::models::{IntegrationCard, IntegrationState};
use crate::routes::workspace_frame::{LoadError, WorkspaceCtx};

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let ctx = WorkspaceCtx::get();
    let params = use_params_map();
    let environment = Memo::new(move |_| params.read().get("env").unwrap_or_default());
    let data = Resource::new(
        move || (ctx.workspace.get(), environment.get()),
        |(ws, env)| load_integrations(ws, env),
    );
    view! {
        <Title text="Integrations · pinbridge"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section class="page">
                            <p class="eyebrow">{view.environment.name.clone()}</p>
                            <h1>"Integrations"</h1>
                            <p class="lead">
                                "Each environment has its own settings and connections, so Development "
                                "can use a test app while Production serves your users."
                            </p>
                            <div class="cards">
                                {view.integrations.into_iter().map(|card| {
                                    let href = format!("/w/{}/e/{}/integrations/{}", ctx.workspace.get_untracked(), view.environment.slug, card.key);
                                    view! { <Card card href/> }
                                }).collect_view()}
                            </div>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Card(card: IntegrationCard, href: String) -> impl IntoView {
    let connections = card.connections.summary();
    let connections_href = href.replace("/integrations/pinterest", "/connections");
    view! {
        <article class="card integration-card" data-integration=card.key.clone()>
            <header class="integration-head">
                <span class="integration-logo" aria-hidden="true">"P"</span>
                <h2><a href=href.clone()>{card.name.clone()}</a></h2>
                <span class=card.state.class() data-state=card.state.label()>{card.state.label()}</span>
            </header>
            <p>{card.description}</p>
            <footer class="integration-foot">
                <a class="muted small" href=connections_href data-field="connections">{connections}</a>
                <a class="button button-secondary" href=href>
                    {if card.state == IntegrationState::NotConfigured { format!("Set up {}", card.name) } else { "Settings".to_owned() }}
                </a>
            </footer>
        </article>
    }
}
