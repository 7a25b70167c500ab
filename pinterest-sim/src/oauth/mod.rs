//! Pinterest's OAuth: the browser leg at `/oauth/` and the token endpoint.

mod authorize;
mod consent_page;
mod token;

use axum::Router;
use axum::routing::{get, post};

use super::state::SimState;

pub use consent_page::escape as escape_html;

pub fn routes() -> Router<SimState> {
    Router::new()
        .route("/oauth/", get(authorize::show).post(authorize::decide))
        .route("/oauth", get(authorize::add_slash))
        .route("/v5/oauth/token", post(token::exchange))
}
