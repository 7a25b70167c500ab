//! Bearer authentication and per-endpoint scope checks for `/v5`.

use axum::extract::FromRequestParts;
use http::header;
use http::request::Parts;
use time::OffsetDateTime;

use crate::authorization::strip_scheme;
use crate::errors::ApiError;
use crate::model::{AccessTier, Board, Privacy};
use crate::request_log::LogSlot;
use crate::scope::{Scope, ScopeSet};
use crate::state::SimState;

/// The scopes each endpoint needs, from the `security` of its operation in `openapi.json`.
pub mod needs {
    use super::{Scope::*, ScopeSet};

    pub const USER_ACCOUNT_READ: &[super::Scope] = &[UserAccountsRead];
    pub const BOARDS_READ: &[super::Scope] = &[BoardsRead];
    pub const BOARDS_WRITE: &[super::Scope] = &[BoardsRead, BoardsWrite];
    pub const PINS_READ: &[super::Scope] = &[BoardsRead, PinsRead];
    pub const PINS_WRITE: &[super::Scope] = &[BoardsRead, BoardsWrite, PinsRead, PinsWrite];
    /// `search_user_pins/list` lists the secret scopes too, so tokens without them get 401.
    pub const SEARCH_PINS: &[super::Scope] =
        &[BoardsRead, BoardsReadSecret, PinsRead, PinsReadSecret];

    pub fn set(scopes: &[super::Scope]) -> ScopeSet {
        ScopeSet::of(scopes)
    }
}

/// The authenticated caller of a `/v5` endpoint.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: u64,
    pub scopes: ScopeSet,
    pub tier: AccessTier,
}

impl Caller {
    /// 401 code 3 unless the token holds every one of `scopes`.
    pub fn require(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        if self.scopes.contains_all(needs::set(scopes)) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope())
        }
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether this caller may see `board` at all: their own, and secret ones
    /// only with `boards:read_secret`.
    pub fn sees_board(&self, board: &Board) -> bool {
        board.owner == self.user_id
            && (board.privacy != Privacy::Secret || self.has(Scope::BoardsReadSecret))
    }

    /// Whether this caller may see the Pins of `board`.
    pub fn sees_pins_of(&self, board: &Board) -> bool {
        board.owner == self.user_id
            && (board.privacy != Privacy::Secret || self.has(Scope::PinsReadSecret))
    }
}

impl FromRequestParts<SimState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SimState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| strip_scheme(v, "Bearer"))
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::authentication_failed)?;
        let store = state.store();
        let grant = store
            .authenticate_bearer(token, OffsetDateTime::now_utc())
            .ok_or_else(ApiError::authentication_failed)?;
        if let Some(slot) = parts.extensions.get::<LogSlot>() {
            slot.note_client(&grant.app_id);
            if let Some(user) = store.user(grant.user_id) {
                slot.note_user(&user.username);
            }
        }
        let tier = store.app(&grant.app_id).map(|a| a.tier).unwrap_or_default();
        Ok(Caller {
            user_id: grant.user_id,
            scopes: grant.scopes,
            tier,
        })
    }
}
