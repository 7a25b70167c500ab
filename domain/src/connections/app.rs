//! An environment's Pinterest app as the handshake, refresh and probes use it:
//! its credentials with the secret opened, its API and its required scopes.

use super::error::ConnectionError;
use crate::Services;
use crate::accounts::{EnvironmentId, WorkspaceId};
use crate::crypto::SecretString;
use crate::db::repo::pinterest_settings;
use crate::pinterest::client::AppCredentials;
use crate::pinterest::settings::open_secret;
use crate::pinterest::{ClientId, PinterestApi, ScopeSet};

/// An environment's Pinterest app, ready to call Pinterest with.
pub(crate) struct App {
    pub client_id: ClientId,
    pub secret: SecretString,
    pub api: PinterestApi,
    /// The scopes the environment requires now.
    pub scopes: ScopeSet,
}

impl App {
    /// What the token endpoint (at `token_url`) is called with.
    pub fn credentials<'a>(
        &'a self,
        services: &Services,
        token_url: &'a str,
    ) -> AppCredentials<'a> {
        AppCredentials {
            token_url,
            client_id: &self.client_id,
            secret: &self.secret,
            timeout: services.config.pinterest_timeout,
        }
    }
}

/// The environment's app, with its secret opened, or `None` while the
/// integration is disabled or not configured.
pub(crate) async fn enabled(
    services: &Services,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Option<App>, ConnectionError> {
    let Some(settings) =
        pinterest_settings::find(&services.db, workspace_id, environment_id).await?
    else {
        return Ok(None);
    };
    if !settings.enabled {
        return Ok(None);
    }
    Ok(Some(App {
        secret: open_secret(&services.keys, &settings)?,
        client_id: ClientId::from_stored(settings.client_id),
        api: settings.api,
        scopes: ScopeSet::from_stored(&settings.scopes),
    }))
}
