//! The Pinterest REST API under `/v5`: user account, boards, Pins, Pin search.

mod auth;
mod boards;
pub(crate) mod input;
mod pins;
mod search;
mod user_account;

use axum::Router;
use axum::routing::get;

use super::state::SimState;

pub fn routes() -> Router<SimState> {
    Router::new()
        .route("/v5/user_account", get(user_account::get))
        .route("/v5/boards", get(boards::list).post(boards::create))
        .route(
            "/v5/boards/{board_id}",
            get(boards::get)
                .patch(boards::update)
                .delete(boards::delete),
        )
        .route("/v5/boards/{board_id}/pins", get(boards::list_pins))
        .route("/v5/pins", get(pins::list).post(pins::create))
        .route(
            "/v5/pins/{pin_id}",
            get(pins::get).patch(pins::update).delete(pins::delete),
        )
        .route("/v5/search/pins", get(search::pins))
}
