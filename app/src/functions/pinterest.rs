//! [Environment] → Integrations → Pinterest: the environment's Pinterest app
//! settings. Members read them; admins and owners change them.
// A server function takes one argument per form field; the settings form has eight.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{PinterestPageView, PinterestSaved, PinterestSettingsView};

/// The page: setup guide facts, the redirect URI and the settings (never the secret).
#[server(endpoint = "pinterest/view")]
pub async fn load_pinterest(
    workspace: String,
    environment: String,
) -> Result<PinterestPageView, AppError> {
    use super::views::{
        counts_view, environment_view, integration_state, scope_groups, settings_view,
    };
    use domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&state, &actor, &environment).await?;
    let stored = settings::find(&state.db, &actor, &env.id).await?;
    let counts = domain::connections::portal::counts_for(&state.db, &actor, &env.id).await?;
    Ok(PinterestPageView {
        can_configure: actor.role().can_configure(),
        redirect_uri: state.config.redirect_uri(),
        redirect_warnings: state.config.redirect_uri_warnings(),
        production_api_url: state.config.pinterest_api_url.clone(),
        sandbox_api_url: state.config.pinterest_sandbox_api_url.clone(),
        scope_groups: scope_groups(stored.as_ref()),
        state: integration_state(stored.as_ref()),
        settings: stored.map(settings_view),
        connections: counts_view(&counts),
        notices: super::flash::notices(),
        environment: environment_view(env),
    })
}

/// Saves the form: App id, App secret key (empty keeps the stored one), scopes
/// and API. `version` is the settings' version the form was loaded with (0 when
/// nothing was configured); a save from an older version is refused.
#[server(endpoint = "pinterest/save")]
pub async fn save_pinterest(
    workspace: String,
    environment_id: String,
    version: i64,
    client_id: String,
    #[server(default)] client_secret: Option<String>,
    #[server(default)] scopes: Vec<String>,
    api: String,
    #[server(default)] reauth_password: Option<String>,
) -> Result<PinterestSaved, AppError> {
    use super::context::actor;
    use super::request::request_meta;
    use domain::accounts::EnvironmentId;
    use domain::pinterest::settings::{self, SaveOutcome, SaveRequest};
    use domain::pinterest::{ClientId, NewSecret, PinterestError, ScopeSet, parse_api};
    let (state, actor) = actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let request = SaveRequest {
        environment_id,
        expected_version: version,
        client_id: ClientId::parse(&client_id).map_err(PinterestError::from)?,
        secret: NewSecret::parse(client_secret.as_deref()).map_err(PinterestError::from)?,
        scopes: ScopeSet::parse_selection(&scopes).map_err(PinterestError::from)?,
        api: parse_api(&api).map_err(PinterestError::from)?,
    };
    // Replacing a stored secret (not setting the first one) needs a recent password.
    if client_secret
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
        && actor.role().can_configure()
        && settings::find(&state.db, &actor, &request.environment_id)
            .await?
            .is_some()
    {
        super::reauth::confirm_recent(reauth_password.as_deref()).await?;
    }
    let saved = settings::save(&state.db, &state.keys, &actor, request, &request_meta()).await?;
    let mut notices = vec![match saved.outcome {
        SaveOutcome::Created => {
            "Pinterest is configured in this environment. Next: Check credentials.".to_owned()
        }
        SaveOutcome::Updated {
            secret_replaced: true,
        } => "Saved. The App secret key was replaced; check the credentials again.".to_owned(),
        SaveOutcome::Updated {
            secret_replaced: false,
        } => "Saved.".to_owned(),
        SaveOutcome::Unchanged => "Nothing to save: these are the stored settings.".to_owned(),
    }];
    if saved.secret_trimmed {
        notices.push(
            "Spaces or line breaks around the App secret key were removed before it was stored."
                .to_owned(),
        );
    }
    super::flash::tell(&notices).await?;
    Ok(PinterestSaved {
        settings: super::views::settings_view(saved.settings),
        notices,
    })
}

/// Asks Pinterest whether it accepts the stored App id and secret; stores and
/// answers the result.
#[server(endpoint = "pinterest/check")]
pub async fn check_pinterest_credentials(
    workspace: String,
    environment_id: String,
) -> Result<PinterestSettingsView, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let checked = settings::check_credentials(
        &state,
        &actor,
        &environment_id,
        &super::request::request_meta(),
    )
    .await?;
    Ok(super::views::settings_view(checked))
}

/// Turns the integration on or off in the environment.
#[server(endpoint = "pinterest/enable")]
pub async fn set_pinterest_enabled(
    workspace: String,
    environment_id: String,
    enabled: bool,
) -> Result<PinterestSettingsView, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let changed = settings::set_enabled(
        &state.db,
        &actor,
        &environment_id,
        enabled,
        &super::request::request_meta(),
    )
    .await?;
    Ok(super::views::settings_view(changed))
}

/// Deletes the environment's Pinterest configuration once the environment's
/// name is typed again (`confirm_name`).
#[server(endpoint = "pinterest/delete")]
pub async fn delete_pinterest(
    workspace: String,
    environment_id: String,
    confirm_name: String,
    #[server(default)] reauth_password: Option<String>,
) -> Result<String, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    if actor.role().can_configure() {
        super::reauth::confirm_recent(reauth_password.as_deref()).await?;
    }
    let environment_name = settings::delete(
        &state.db,
        &actor,
        &environment_id,
        &confirm_name,
        &super::request::request_meta(),
    )
    .await?;
    let notice = format!(
        "The Pinterest configuration of {environment_name} was deleted: its App id, App secret key and scopes are gone."
    );
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}
