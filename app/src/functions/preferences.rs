//! Per-session portal preferences, kept in the database-backed session.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::Theme;

#[cfg(feature = "ssr")]
const THEME_KEY: &str = "theme";

/// Saves the operator's theme and answers with it, so the page can apply it at once.
#[server(endpoint = "preferences/theme")]
pub async fn set_theme(theme: Theme) -> Result<Theme, AppError> {
    let session = super::context::session().await?;
    session.insert(THEME_KEY, theme).await?;
    Ok(theme)
}

/// Middleware: loads the session's theme into the request's extensions, so the
/// server render can read it synchronously (see `App`).
#[cfg(feature = "ssr")]
pub async fn load_preferences(
    session: tower_sessions::Session,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let theme = match session.get::<Theme>(THEME_KEY).await {
        Ok(theme) => theme.unwrap_or_default(),
        Err(err) => {
            tracing::warn!(error = %err, "could not read preferences from the session");
            Theme::default()
        }
    };
    request.extensions_mut().insert(theme);
    next.run(request).await
}
