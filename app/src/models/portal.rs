use serde::{Deserialize, Serialize};

/// What the home page shows about this installation. Nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalInfo {
    pub version: String,
    pub public_url: String,
    pub redirect_uri: String,
    /// Why Pinterest would refuse this redirect URI in production, if it would.
    pub redirect_uri_warning: Option<String>,
    pub pinterest_oauth_url: String,
    pub pinterest_api_url: String,
    pub pinterest_sandbox_api_url: String,
    pub database: String,
    pub encryption_keys: u32,
    pub primary_key_id: String,
}
