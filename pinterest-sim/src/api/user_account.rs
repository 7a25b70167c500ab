//! `GET /v5/user_account`.

use axum::Json;
use axum::extract::State;

use super::auth::{Caller, needs};
use crate::errors::ApiError;
use crate::state::SimState;
use crate::wire::{self, AccountJson};

pub async fn get(
    caller: Caller,
    State(state): State<SimState>,
) -> Result<Json<AccountJson>, ApiError> {
    caller.require(needs::USER_ACCOUNT_READ)?;
    let store = state.store();
    let user = store
        .user(caller.user_id)
        .ok_or_else(ApiError::authentication_failed)?;
    Ok(Json(wire::account(&store, user, state.public_url())))
}
