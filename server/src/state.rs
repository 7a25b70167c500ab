//! The router's state: the domain's services, and Leptos' options for the pages.
//! Handlers take the part they need (`State<Services>`).

use axum::extract::FromRef;
use domain::Services;
use leptos::config::LeptosOptions;
use std::sync::Arc;

use crate::client_ip::TrustedProxies;

#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    pub leptos_options: LeptosOptions,
    /// Whose forwarding headers are believed (`PINBRIDGE_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Cancelled when the server stops: ends MCP sessions and their streams,
    /// which would otherwise hold the graceful shutdown open.
    pub mcp_shutdown: tokio_util::sync::CancellationToken,
    /// `/metrics` and the request counting, when configured.
    pub metrics: Option<crate::metrics::Metrics>,
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Self {
        state.services.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
