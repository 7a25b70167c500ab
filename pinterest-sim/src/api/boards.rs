//! `/v5/boards`: list, create, get, update, delete, and a board's Pins.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use time::OffsetDateTime;

use super::auth::{Caller, needs};
use super::input::{json_body, max_len, nullable, path_id};
use crate::errors::ApiError;
use crate::model::{Board, Privacy};
use crate::pagination::{bookmark, page_request};
use crate::query::QueryParams;
use crate::scope::Scope;
use crate::state::SimState;
use crate::store::{BoardPatch, Store};
use crate::wire::{self, BoardJson, List, PinJson};

/// Board names longer than this are refused (Pinterest's own limit is undocumented).
const MAX_NAME: usize = 180;
const MAX_DESCRIPTION: usize = 500;

/// `BoardCreate` in the spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardCreate {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    privacy: Option<Privacy>,
    #[serde(default)]
    is_ads_only: Option<bool>,
}

/// `BoardUpdatePrivacy`: an update may only pick these two.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum UpdatePrivacy {
    Public,
    Secret,
}

/// `BoardWithUpdatePrivacyUpdate` in the spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default)]
    privacy: Option<UpdatePrivacy>,
}

/// `BoardPrivacyFilter` in the spec.
fn privacy_filter(query: &QueryParams) -> Result<fn(Privacy) -> bool, ApiError> {
    Ok(match query.get("privacy") {
        None | Some("ALL") => |_| true,
        Some("PUBLIC") => |p| p == Privacy::Public,
        Some("PROTECTED") => |p| p == Privacy::Protected,
        Some("SECRET") => |p| p == Privacy::Secret,
        Some("PUBLIC_AND_SECRET") => |p| p != Privacy::Protected,
        Some(other) => {
            return Err(ApiError::invalid_parameters(format!(
                "privacy: {other:?} is not one of ALL, PUBLIC, PROTECTED, SECRET, PUBLIC_AND_SECRET"
            )));
        }
    })
}

/// The caller's own board `id`, if they may see it; 404 otherwise.
pub(super) fn own_board<'s>(
    store: &'s Store,
    caller: &Caller,
    id: u64,
) -> Result<&'s Board, ApiError> {
    store
        .board(id)
        .filter(|b| caller.sees_board(b))
        .ok_or_else(ApiError::board_not_found)
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid_parameters("name: must not be empty"));
    }
    max_len("name", Some(name), MAX_NAME)
}

pub async fn list(
    caller: Caller,
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
) -> Result<Json<List<BoardJson>>, ApiError> {
    caller.require(needs::BOARDS_READ)?;
    let query = QueryParams::parse(query.as_deref());
    let page = page_request(&query, "boards")?;
    let keep_privacy = privacy_filter(&query)?;
    let store = state.store();
    let found = store.boards_page(caller.user_id, page.below, page.size, |b| {
        caller.sees_board(b) && keep_privacy(b.privacy)
    });
    Ok(Json(List {
        items: found
            .items
            .into_iter()
            .map(|b| wire::board(&store, b, state.public_url()))
            .collect(),
        bookmark: bookmark("boards", found.continue_below),
    }))
}

pub async fn create(
    caller: Caller,
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(needs::BOARDS_WRITE)?;
    let input: BoardCreate = json_body(&headers, &body)?;
    check_name(&input.name)?;
    max_len("description", input.description.as_deref(), MAX_DESCRIPTION)?;
    if input.is_ads_only == Some(true) {
        return Err(ApiError::invalid_parameters(
            "is_ads_only: ad-only boards are not simulated by pinterest-sim",
        ));
    }
    let privacy = input.privacy.unwrap_or_default();
    if privacy == Privacy::Secret && !caller.has(Scope::BoardsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    let mut store = state.store_mut();
    let now = OffsetDateTime::now_utc();
    let id = store.create_board(caller.user_id, input.name, input.description, privacy, now);
    let board = store.board(id).ok_or_else(ApiError::board_not_found)?;
    Ok((
        StatusCode::CREATED,
        Json(wire::board(&store, board, state.public_url())),
    )
        .into_response())
}

pub async fn get(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<BoardJson>, ApiError> {
    caller.require(needs::BOARDS_READ)?;
    let id = path_id(path, "board_id")?;
    let store = state.store();
    let board = own_board(&store, &caller, id)?;
    Ok(Json(wire::board(&store, board, state.public_url())))
}

pub async fn update(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BoardJson>, ApiError> {
    caller.require(needs::BOARDS_WRITE)?;
    let id = path_id(path, "board_id")?;
    let input: BoardUpdate = json_body(&headers, &body)?;
    if let Some(name) = &input.name {
        check_name(name)?;
    }
    if let Some(Some(description)) = &input.description {
        max_len("description", Some(description), MAX_DESCRIPTION)?;
    }
    let mut store = state.store_mut();
    let board = own_board(&store, &caller, id)?;
    let privacy = input.privacy.map(|p| match p {
        UpdatePrivacy::Public => Privacy::Public,
        UpdatePrivacy::Secret => Privacy::Secret,
    });
    let touches_secret = board.privacy == Privacy::Secret || privacy == Some(Privacy::Secret);
    if touches_secret && !caller.has(Scope::BoardsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    let patch = BoardPatch {
        name: input.name,
        description: input.description,
        privacy,
    };
    store
        .update_board(id, patch)
        .ok_or_else(ApiError::board_not_found)?;
    let board = store.board(id).ok_or_else(ApiError::board_not_found)?;
    Ok(Json(wire::board(&store, board, state.public_url())))
}

pub async fn delete(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(needs::BOARDS_WRITE)?;
    let id = path_id(path, "board_id")?;
    let mut store = state.store_mut();
    let board = own_board(&store, &caller, id)?;
    if board.privacy == Privacy::Secret && !caller.has(Scope::BoardsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    store.delete_board(id);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_pins(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<List<PinJson>>, ApiError> {
    caller.require(needs::PINS_READ)?;
    let id = path_id(path, "board_id")?;
    let query = QueryParams::parse(query.as_deref());
    let list_name = format!("board-{id}");
    let page = page_request(&query, &list_name)?;
    let store = state.store();
    let board = own_board(&store, &caller, id)?;
    let visible = caller.sees_pins_of(board);
    let found = store.pins_page(caller.user_id, Some(id), page.below, page.size, |_| visible);
    Ok(Json(List {
        items: found
            .items
            .into_iter()
            .map(|p| wire::pin(&store, p, state.public_url()))
            .collect(),
        bookmark: bookmark(&list_name, found.continue_below),
    }))
}
