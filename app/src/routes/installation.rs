//! The installation page: the redirect URI to register with Pinterest, the
//! Pinterest endpoints in use, and how this installation is set up.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::CopyButton;
use crate::functions::portal::load_portal_info;
use crate::models::PortalInfo;
use crate::routes::workspace_frame::with_workspace;

#[component]
pub fn InstallationPage() -> impl IntoView {
    let info = Resource::new(|| (), |_| load_portal_info());
    // A workspace page like the others: another workspace's address is not found.
    let page = move |_| {
        view! {
            <section class="page">
                <h1>"Installation"</h1>
                <p class="lead">
                    "pinbridge connects your product's users to Pinterest: you register one Pinterest app, "
                    "your users authorize their accounts here, and your application and agents use their "
                    "boards and pins through pinbridge, which keeps every token fresh and encrypted."
                </p>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        info.await.map(|info| view! { <InstallationCards info/> })
                    })}
                </Suspense>
            </section>
        }
    };
    view! {
        <Title text="Installation · pinbridge"/>
        {with_workspace(page)}
    }
}

#[component]
fn InstallationCards(info: PortalInfo) -> impl IntoView {
    let PortalInfo {
        version,
        public_url,
        redirect_uri,
        redirect_uri_warning,
        pinterest_oauth_url,
        pinterest_api_url,
        pinterest_sandbox_api_url,
        database,
        encryption_keys,
        primary_key_id,
    } = info;
    view! {
        <div class="cards">
            <article class="card card-wide">
                <h2>"Redirect URI for your Pinterest app"</h2>
                <p>
                    "Add this exact address under " <strong>"Redirect URIs"</strong>
                    " in your app on Pinterest's developer portal."
                </p>
                <div class="copy-field">
                    <code id="redirect-uri">{redirect_uri.clone()}</code>
                    <CopyButton text=redirect_uri label="Copy redirect URI"/>
                </div>
                {redirect_uri_warning.map(|w| view! { <p class="warning" role="note">{w}</p> })}
            </article>
            <article class="card">
                <h2>"Pinterest endpoints"</h2>
                <dl class="facts">
                    <dt>"Authorization"</dt><dd><code>{pinterest_oauth_url}</code></dd>
                    <dt>"API"</dt><dd><code>{pinterest_api_url}</code></dd>
                    <dt>"Sandbox API"</dt><dd><code>{pinterest_sandbox_api_url}</code></dd>
                </dl>
            </article>
            <article class="card">
                <h2>"This installation"</h2>
                <dl class="facts">
                    <dt>"Version"</dt><dd>{version}</dd>
                    <dt>"Public URL"</dt><dd><code>{public_url}</code></dd>
                    <dt>"Database"</dt><dd>{database}</dd>
                    <dt>"Encryption keys"</dt>
                    <dd>{encryption_keys} " (sealing with " <code>{primary_key_id}</code> ")"</dd>
                </dl>
            </article>
        </div>
    }
}
