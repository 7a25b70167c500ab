//! Reaching the request's state from inside a server function.

use tower_sessions::Session;

use crate::domain::state::AppState;
use crate::errors::AppError;

pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(error = %err, "session layer missing");
        AppError::Internal
    })
}
