//! [Environment] → Integrations → Pinterest: the environment's Pinterest app
//! settings. Members read them; admins and owners change them.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{PinterestPageView, PinterestSaved, PinterestSettingsView};

/// The page: setup guide facts, the redirect URI and the settings (never the secret).
#[server(endpoint = "pinterest/view")]
pub async fn load_pinterest(
    workspace: String,
    environment: String,
) -> Result<PinterestPageView, AppError> {
    use crate::domain::accounts::environments;
    use crate::domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let env = environments::find_by_slug(&state.db, &actor, &environment).await?;
    let stored = settings::find(&state.db, &actor, &env.id).await?;
    let counts = crate::domain::connections::portal::counts_for(&state.db, &actor, &env.id).await?;
    Ok(PinterestPageView {
        can_configure: actor.role().can_configure(),
        redirect_uri: state.config.redirect_uri(),
        redirect_warnings: state.config.redirect_uri_warnings(),
        production_api_url: state.config.pinterest_api_url.clone(),
        sandbox_api_url: state.config.pinterest_sandbox_api_url.clone(),
        scope_groups: ssr::scope_groups(stored.as_ref()),
        state: ssr::integration_state(stored.as_ref()),
        settings: stored.map(ssr::settings_view),
        connections: super::connections::ssr::counts_view(&counts),
        notices: super::flash::notices(),
        environment: super::workspaces::ssr::environment_view(env),
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
) -> Result<PinterestSaved, AppError> {
    use super::context::{actor, request_meta};
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::pinterest::settings::{self, SaveOutcome, SaveRequest};
    use crate::domain::pinterest::{ClientId, NewSecret, PinterestApi, PinterestError, ScopeSet};
    let (state, actor) = actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let request = SaveRequest {
        environment_id,
        expected_version: version,
        client_id: ClientId::parse(&client_id).map_err(PinterestError::from)?,
        secret: NewSecret::parse(client_secret.as_deref()).map_err(PinterestError::from)?,
        scopes: ScopeSet::parse_selection(&scopes).map_err(PinterestError::from)?,
        api: PinterestApi::parse(&api).map_err(PinterestError::from)?,
    };
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
    ssr::tell(&notices).await?;
    Ok(PinterestSaved {
        settings: ssr::settings_view(saved.settings),
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
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let checked = settings::check_credentials(
        &state,
        &actor,
        &environment_id,
        &super::context::request_meta(),
    )
    .await?;
    Ok(ssr::settings_view(checked))
}

/// Turns the integration on or off in the environment.
#[server(endpoint = "pinterest/enable")]
pub async fn set_pinterest_enabled(
    workspace: String,
    environment_id: String,
    enabled: bool,
) -> Result<PinterestSettingsView, AppError> {
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let changed = settings::set_enabled(
        &state.db,
        &actor,
        &environment_id,
        enabled,
        &super::context::request_meta(),
    )
    .await?;
    Ok(ssr::settings_view(changed))
}

/// Deletes the environment's Pinterest configuration once the environment's
/// name is typed again (`confirm_name`).
#[server(endpoint = "pinterest/delete")]
pub async fn delete_pinterest(
    workspace: String,
    environment_id: String,
    confirm_name: String,
) -> Result<String, AppError> {
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    // Connections are counted inside the delete's transaction.
    let connections = 0;
    let environment_name = settings::delete(
        &state.db,
        &actor,
        &environment_id,
        &confirm_name,
        connections,
        &super::context::request_meta(),
    )
    .await?;
    let notice = format!(
        "The Pinterest configuration of {environment_name} was deleted: its App id, App secret key and scopes are gone."
    );
    ssr::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::errors::AppError;
    use crate::functions::context::{is_plain_form_post, session};

    /// Without JavaScript the answer is a redirect: what to tell the person
    /// travels to the next page load in the flash.
    pub async fn tell(notices: &[String]) -> Result<(), AppError> {
        if is_plain_form_post() {
            let kept = notices.to_vec();
            super::super::flash::put(&session().await?, move |f| f.notices = kept).await?;
        }
        Ok(())
    }

    use crate::domain::pinterest::settings::PinterestSettings;
    use crate::domain::pinterest::{CheckOutcome, Scope, ScopeGroup};
    use crate::models::{
        CheckOutcomeView, CredentialCheckView, IntegrationState, PinterestSettingsView,
        ScopeGroupView, ScopeOptionView,
    };

    pub fn outcome_view(outcome: CheckOutcome) -> CheckOutcomeView {
        match outcome {
            CheckOutcome::Accepted => CheckOutcomeView::Accepted,
            CheckOutcome::Rejected => CheckOutcomeView::Rejected,
            CheckOutcome::Failed => CheckOutcomeView::Failed,
        }
    }

    pub fn settings_view(s: PinterestSettings) -> PinterestSettingsView {
        PinterestSettingsView {
            client_id: s.client_id.as_str().to_owned(),
            secret_fingerprint: s.secret.fingerprint,
            secret_set_by: s.secret.set_by,
            secret_set_at: s.secret.set_at,
            scopes: s.scopes.names().map(str::to_owned).collect(),
            api: s.api.as_str().to_owned(),
            enabled: s.enabled,
            version: s.version,
            updated_by: s.updated_by,
            updated_at: s.updated_at,
            last_check: s.last_check.map(|c| CredentialCheckView {
                outcome: outcome_view(c.outcome),
                at: c.at,
                by: c.by,
                http_status: c.http_status,
                latency_ms: c.latency_ms,
                summary: c.summary,
                message: c.message,
            }),
        }
    }

    /// The scope catalogue in its groups, marked with what is selected: the
    /// stored set, or the minimum before anything is stored.
    pub fn scope_groups(stored: Option<&PinterestSettings>) -> Vec<ScopeGroupView> {
        let selected = |scope: Scope| match stored {
            Some(s) => s.scopes.contains(scope) || scope.is_minimum(),
            None => scope.is_minimum(),
        };
        ScopeGroup::ALL
            .into_iter()
            .map(|group| ScopeGroupView {
                label: group.label().to_owned(),
                scopes: group
                    .scopes()
                    .map(|scope| ScopeOptionView {
                        name: scope.as_str().to_owned(),
                        description: scope.description().to_owned(),
                        minimum: scope.is_minimum(),
                        needs_app_access: scope.needs_app_access(),
                        selected: selected(scope),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The Integrations card's state for an environment's settings.
    pub fn integration_state(stored: Option<&PinterestSettings>) -> IntegrationState {
        match stored {
            None => IntegrationState::NotConfigured,
            Some(s) if !s.enabled => IntegrationState::Disabled,
            Some(s) => IntegrationState::Configured {
                check: s.last_check.as_ref().map(|c| outcome_view(c.outcome)),
            },
        }
    }
}
