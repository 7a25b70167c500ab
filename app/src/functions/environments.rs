//! A workspace's environments (admins and owners change them) and what each
//! one offers: the Integrations list.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{EnvironmentView, IntegrationsView};

#[server(endpoint = "environments/add")]
pub async fn add_environment(
    workspace: String,
    environment_name: String,
) -> Result<EnvironmentView, AppError> {
    use domain::accounts::{EnvironmentName, environments};
    let (state, actor) = super::context::actor(&workspace).await?;
    let name = EnvironmentName::parse(&environment_name)?;
    let row = environments::add(&state.db, &actor, &name, &super::request::request_meta()).await?;
    let added = super::views::environment_view(row);
    super::flash::tell(&[added_notice(&added.name)]).await?;
    Ok(added)
}

/// What the page says once an environment is added.
pub fn added_notice(name: &str) -> String {
    format!("Environment “{name}” added.")
}

/// Renames an environment; its address (slug) follows the new name.
#[server(endpoint = "environments/rename")]
pub async fn rename_environment(
    workspace: String,
    environment_id: String,
    environment_name: String,
) -> Result<EnvironmentView, AppError> {
    use domain::accounts::{EnvironmentId, EnvironmentName, environments};
    let (state, actor) = super::context::actor(&workspace).await?;
    let id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let name = EnvironmentName::parse(&environment_name)
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    let row = environments::rename(
        &state.db,
        &actor,
        &id,
        &name,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    Ok(super::views::environment_view(row))
}

/// Deletes an environment once its name is typed again (`confirm_name`).
#[server(endpoint = "environments/delete")]
pub async fn delete_environment(
    workspace: String,
    environment_id: String,
    confirm_name: String,
    #[server(default)] reauth_password: Option<String>,
) -> Result<(), AppError> {
    use domain::accounts::{EnvironmentId, environments};
    let (state, actor) = super::context::actor(&workspace).await?;
    let id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    if actor.role().can_configure() {
        super::reauth::confirm_recent(reauth_password.as_deref())
            .await
            .map_err(|e| e.for_row(id.as_str()))?;
    }
    environments::delete(
        &state.db,
        &actor,
        &id,
        &confirm_name,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    Ok(())
}

/// The integrations available in one environment, with their state there.
#[server(endpoint = "environments/integrations")]
pub async fn load_integrations(
    workspace: String,
    environment: String,
) -> Result<IntegrationsView, AppError> {
    use crate::models::IntegrationCard;
    use domain::pinterest::settings;
    let (state, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&state, &actor, &environment).await?;
    let pinterest = settings::find(&state.db, &actor, &env.id).await?;
    let counts = domain::connections::portal::counts_for(&state.db, &actor, &env.id).await?;
    Ok(IntegrationsView {
        environment: super::views::environment_view(env),
        integrations: vec![IntegrationCard {
            key: "pinterest".into(),
            name: "Pinterest".into(),
            description: "Let your users connect their Pinterest accounts, so your application and agents can read and manage their boards, pins and account data.".into(),
            state: super::views::integration_state(pinterest.as_ref()),
            connections: super::views::counts_view(&counts),
        }],
    })
}
