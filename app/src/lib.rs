//! The pinbridge portal: Leptos UI, server functions (feature `ssr`, over the
//! `domain` crate) and the wire models both sides share.
// Deeply nested views make deep types; release builds need the headroom.
#![recursion_limit = "256"]

pub mod assets;
pub mod components;
pub mod errors;
pub mod functions;
pub mod models;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use components::{Layout, PublicFrame};
use routes::{
    AccountPage, AgentsPage, ApiKeysPage, ApiReferencePage, AuditPage, BrandingPage, ComparePage,
    ConnectionPage, ConnectionsPage, DashboardPage, EnvironmentsPage, ErrorPage, InstallationPage,
    IntegrationsPage, InvitationPage, MembersPage, NotFound, PinterestPage, PreferencesPage,
    PromotePage, SetupPage, SignInCodePage, SignInPage, WebhookPage, WebhooksPage, WorkspaceFrame,
    WorkspaceIndex, WorkspacesPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // Islands: only `#[island]` components hydrate. Everything else renders as
    // plain HTML, with no hydration markers and no page data serialized into
    // the page for a client that will never read it (an island turns
    // hydration back on inside itself).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // Setup and invitation links carry their token in the address:
                // never send it to another site as a referrer.
                <meta name="referrer" content="same-origin"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options/>
                // The stylesheet and the hydration script, by their hashed names.
                <assets::Hydration/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="pinbridge"/>
        <Router>
            <Layout>
                <ErrorBoundary fallback=|errors| view! { <PublicFrame><ErrorPage errors/></PublicFrame> }>
                    // Pages render completely on the server (`SsrMode::Async`), so
                    // they read and work the same without JavaScript.
                    <Routes fallback=|| view! { <PublicFrame><NotFound/></PublicFrame> }>
                        // Signed out, `/` goes to sign-in; signed in, to the first
                        // workspace (see `route_guard`). This renders only for an
                        // operator without a workspace.
                        <Route path=path!("") view=WorkspacesPage ssr=SsrMode::Async/>
                        <Route path=path!("sign-in") view=SignInPage ssr=SsrMode::Async/>
                        <Route path=path!("sign-in/code") view=SignInCodePage ssr=SsrMode::Async/>
                        <Route path=path!("setup") view=SetupPage ssr=SsrMode::Async/>
                        <Route path=path!("invitations/accept") view=InvitationPage ssr=SsrMode::Async/>
                        <Route path=path!("preferences") view=PreferencesPage ssr=SsrMode::Async/>
                        <Route path=path!("account") view=AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("workspaces") view=WorkspacesPage ssr=SsrMode::Async/>
                        <ParentRoute path=path!("w/:ws") view=WorkspaceFrame ssr=SsrMode::Async>
                            <Route path=path!("") view=WorkspaceIndex ssr=SsrMode::Async/>
                            // The environment's home: its dashboard.
                            <Route path=path!("e/:env") view=DashboardPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/integrations") view=IntegrationsPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/integrations/pinterest") view=PinterestPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/connections") view=ConnectionsPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/connections/:id") view=ConnectionPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/api-keys") view=ApiKeysPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/webhooks") view=WebhooksPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/webhooks/:id") view=WebhookPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/agents") view=AgentsPage ssr=SsrMode::Async/>
                            <Route path=path!("e/:env/api-reference") view=ApiReferencePage ssr=SsrMode::Async/>
                            <Route path=path!("environments") view=EnvironmentsPage ssr=SsrMode::Async/>
                            <Route path=path!("environments/compare") view=ComparePage ssr=SsrMode::Async/>
                            <Route path=path!("environments/promote") view=PromotePage ssr=SsrMode::Async/>
                            <Route path=path!("members") view=MembersPage ssr=SsrMode::Async/>
                            <Route path=path!("branding") view=BrandingPage ssr=SsrMode::Async/>
                            <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async/>
                            <Route path=path!("installation") view=InstallationPage ssr=SsrMode::Async/>
                        </ParentRoute>
                    </Routes>
                </ErrorBoundary>
            </Layout>
        </Router>
    }
}
