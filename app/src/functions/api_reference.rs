//! [Environment] → API reference: the OpenAPI document the server generates,
//! read for people (`openapi`), with examples against this pinbridge.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::ApiReferenceView;

/// The OpenAPI document of pinbridge's API, as the server generates it. The
/// server provides it as context to pages and server functions.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct ApiDocument(pub std::sync::Arc<serde_json::Value>);

/// The reference for one environment (its examples use this pinbridge's
/// address; a key of the environment goes in `$PINBRIDGE_API_KEY`).
#[server(endpoint = "api-reference/view")]
pub async fn load_api_reference(
    workspace: String,
    environment: String,
) -> Result<ApiReferenceView, AppError> {
    use super::openapi;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let document = use_context::<ApiDocument>();
    if document.is_none() {
        tracing::warn!("no ApiDocument in the context: the API reference page is empty");
    }
    let public_url = &app.config.public_url;
    let base_url = document.as_ref().map_or_else(
        || public_url.trim_end_matches('/').to_owned(),
        |d| openapi::base_url(&d.0, public_url),
    );
    Ok(ApiReferenceView {
        document: document.map(|d| openapi::read(&d.0, &base_url)),
        base_url,
        environment: super::views::environment_view(env),
    })
}
