//! The pinbridge portal: Leptos UI, server functions, and (feature `ssr`) the
//! server-only domain behind them.

pub mod components;
pub mod errors;
pub mod functions;
pub mod models;
pub mod routes;

#[cfg(feature = "ssr")]
pub mod domain;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use components::Layout;
use routes::{ErrorPage, HomePage, NotFound, PreferencesPage};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
        <Stylesheet id="leptos" href="/pkg/pinbridge.css"/>
        <Title text="pinbridge"/>
        <Router>
            <Layout>
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                    // Pages render completely on the server (`SsrMode::Async`), so
                    // they read and work the same without JavaScript.
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                        <Route path=path!("preferences") view=PreferencesPage ssr=SsrMode::Async/>
                    </Routes>
                </ErrorBoundary>
            </Layout>
        </Router>
    }
}
