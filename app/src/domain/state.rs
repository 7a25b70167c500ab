//! `AppState`: what every page, server function and route handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::accounts::Hasher;
use super::crypto::KeyRing;
use super::db::Db;

/// Non-secret settings the portal shows and uses to build URLs.
#[derive(Clone, Debug)]
pub struct PortalConfig {
    /// The externally visible base URL, without a trailing slash.
    pub public_url: String,
    pub pinterest_oauth_url: String,
    pub pinterest_api_url: String,
    pub pinterest_sandbox_api_url: String,
}

impl PortalConfig {
    /// The redirect URI operators register with Pinterest.
    pub fn redirect_uri(&self) -> String {
        format!("{}/integration-callback", self.public_url)
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub config: Arc<PortalConfig>,
    /// Operator passwords: argon2id with OWASP's parameters.
    pub hasher: Hasher,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
