//! `/v5/pins`: list, create, get, update, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::auth::{Caller, needs};
use super::boards::own_board;
use super::input::{json_body, max_len, nullable, path_id, web_url};
use crate::errors::ApiError;
use crate::model::{AccessTier, Environment, Pin, Privacy};
use crate::pagination::{bookmark, page_request};
use crate::query::QueryParams;
use crate::scope::Scope;
use crate::state::SimState;
use crate::store::{NewPin, PinPatch, Store};
use crate::wire::{self, List, PinJson};

/// `PinCreate` in the spec: every field it declares is accepted, nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinCreate {
    #[serde(default)]
    board_id: Option<String>,
    #[serde(default)]
    board_section_id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    alt_text: Option<String>,
    #[serde(default)]
    dominant_color: Option<String>,
    #[serde(default)]
    media_source: Option<Value>,
    #[serde(default)]
    parent_pin_id: Option<String>,
    #[serde(default)]
    sponsor_id: Option<String>,
}

/// `PinUpdate` in the spec: every field it declares is accepted, nothing else.
/// `null` clears a text field; `board_id` (not nullable) moves the Pin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinUpdate {
    #[serde(default, deserialize_with = "nullable")]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    link: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    alt_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    board_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    board_section_id: Option<Option<String>>,
    #[serde(default)]
    carousel_slots: Option<Value>,
}

/// `PinMediaSourceImageURL`, the one media source the simulator takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Fields are read by serde's checks only.
struct ImageUrlSource {
    source_type: String,
    url: String,
    #[serde(default)]
    is_standard: Option<bool>,
}

const OTHER_SOURCE_TYPES: [&str; 5] = [
    "image_base64",
    "video_id",
    "multiple_image_base64",
    "multiple_image_urls",
    "pin_url",
];

fn check_media_source(source: Option<Value>) -> Result<(), ApiError> {
    let source = source.ok_or_else(|| ApiError::invalid_parameters("media_source: is required"))?;
    let source_type = source
        .get("source_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_parameters("media_source.source_type: is required"))?;
    match source_type {
        "image_url" => {
            let parsed: ImageUrlSource = serde_json::from_value(source)
                .map_err(|e| ApiError::invalid_parameters(format!("media_source: {e}")))?;
            web_url("media_source.url", &parsed.url)
        }
        other if OTHER_SOURCE_TYPES.contains(&other) => Err(ApiError::invalid_parameters(format!(
            "media_source.source_type: {other:?} is not supported by pinterest-sim; use \"image_url\""
        ))),
        other => Err(ApiError::invalid_parameters(format!(
            "media_source.source_type: {other:?} is not a valid media source type"
        ))),
    }
}

/// A `board_id` body field: `^\d+$`, else 400 code 1.
fn board_id_field(raw: &str) -> Result<u64, ApiError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_parameters(format!(
            "board_id: {raw:?} does not match '^\\d+$'"
        )));
    }
    // Too long for any board: one that cannot exist, so 404 like any unknown id.
    Ok(raw.parse().unwrap_or(0))
}

/// The text fields a Pin shares between create and update, with the spec's limits.
fn check_texts(
    title: Option<&str>,
    description: Option<&str>,
    link: Option<&str>,
    alt_text: Option<&str>,
) -> Result<(), ApiError> {
    max_len("title", title, 100)?;
    max_len("description", description, 800)?;
    max_len("alt_text", alt_text, 500)?;
    max_len("link", link, 2048)?;
    if let Some(link) = link {
        web_url("link", link)?;
    }
    Ok(())
}

/// The caller's own Pin `id`, if they may see it; 404 code 50 otherwise.
fn own_pin<'s>(store: &'s Store, caller: &Caller, id: u64) -> Result<&'s Pin, ApiError> {
    store
        .pin(id)
        .filter(|p| {
            store
                .board(p.board_id)
                .is_some_and(|b| caller.sees_pins_of(b))
        })
        .ok_or_else(ApiError::pin_not_found)
}

pub async fn list(
    caller: Caller,
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
) -> Result<Json<List<PinJson>>, ApiError> {
    caller.require(needs::PINS_READ)?;
    let query = QueryParams::parse(query.as_deref());
    let page = page_request(&query, "pins")?;
    let store = state.store();
    let found = store.pins_page(caller.user_id, None, page.below, page.size, |p| {
        store
            .board(p.board_id)
            .is_some_and(|b| caller.sees_pins_of(b))
    });
    Ok(Json(List {
        items: found
            .items
            .into_iter()
            .map(|p| wire::pin(&store, p, state.public_url()))
            .collect(),
        bookmark: bookmark("pins", found.continue_below),
    }))
}

pub async fn create(
    caller: Caller,
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(needs::PINS_WRITE)?;
    if caller.tier == AccessTier::Trial && state.environment() == Environment::Production {
        return Err(ApiError::trial_pin_creation());
    }
    let input: PinCreate = json_body(&headers, &body)?;
    let board_id = input
        .board_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid_parameters("board_id: is required"))?;
    let board_id = board_id_field(board_id)?;
    for (field, value) in [
        ("board_section_id", &input.board_section_id),
        ("parent_pin_id", &input.parent_pin_id),
        ("sponsor_id", &input.sponsor_id),
    ] {
        if value.is_some() {
            return Err(ApiError::invalid_parameters(format!(
                "{field}: not simulated by pinterest-sim"
            )));
        }
    }
    check_texts(
        input.title.as_deref(),
        input.description.as_deref(),
        input.link.as_deref(),
        input.alt_text.as_deref(),
    )?;
    if let Some(color) = &input.dominant_color {
        let ok = color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(ApiError::invalid_parameters(format!(
                "dominant_color: {color:?} is not a hex colour like #6E7874"
            )));
        }
    }
    check_media_source(input.media_source)?;

    let mut store = state.store_mut();
    let board = own_board(&store, &caller, board_id)?;
    if board.privacy == Privacy::Secret && !caller.has(Scope::PinsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    let new = NewPin {
        title: input.title,
        description: input.description,
        link: input.link,
        alt_text: input.alt_text,
        dominant_color: input.dominant_color,
    };
    let id = store.create_pin(caller.user_id, board_id, new, OffsetDateTime::now_utc());
    let pin = store.pin(id).ok_or_else(ApiError::pin_not_found)?;
    Ok((
        StatusCode::CREATED,
        Json(wire::pin(&store, pin, state.public_url())),
    )
        .into_response())
}

pub async fn get(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<PinJson>, ApiError> {
    caller.require(needs::PINS_READ)?;
    let id = path_id(path, "pin_id")?;
    let store = state.store();
    let pin = own_pin(&store, &caller, id)?;
    Ok(Json(wire::pin(&store, pin, state.public_url())))
}

/// `PATCH /v5/pins/{pin_id}` (`pins/update`, a beta endpoint on real Pinterest):
/// changes the given fields of the caller's own Pin and answers 200 with it.
pub async fn update(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PinJson>, ApiError> {
    caller.require(needs::PINS_WRITE)?;
    let id = path_id(path, "pin_id")?;
    let input: PinUpdate = json_body(&headers, &body)?;
    let target = match input.board_id.as_ref() {
        None => None,
        Some(None) => {
            return Err(ApiError::invalid_parameters(
                "board_id: must be a board id, not null",
            ));
        }
        Some(Some(raw)) => Some(board_id_field(raw)?),
    };
    // No simulated Pin is in a section, so `null` (take it out of its section) is a no-op.
    if matches!(input.board_section_id, Some(Some(_))) {
        return Err(ApiError::invalid_parameters(
            "board_section_id: not simulated by pinterest-sim",
        ));
    }
    if input.carousel_slots.is_some() {
        return Err(ApiError::invalid_parameters(
            "carousel_slots: not simulated by pinterest-sim",
        ));
    }
    check_texts(
        input.title.as_ref().and_then(Option::as_deref),
        input.description.as_ref().and_then(Option::as_deref),
        input.link.as_ref().and_then(Option::as_deref),
        input.alt_text.as_ref().and_then(Option::as_deref),
    )?;

    let mut store = state.store_mut();
    let pin = own_pin(&store, &caller, id)?;
    let mut secret = store
        .board(pin.board_id)
        .is_some_and(|b| b.privacy == Privacy::Secret);
    if let Some(target) = target {
        secret |= own_board(&store, &caller, target)?.privacy == Privacy::Secret;
    }
    if secret && !caller.has(Scope::PinsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    let patch = PinPatch {
        title: input.title,
        description: input.description,
        link: input.link,
        alt_text: input.alt_text,
        board_id: target,
    };
    store
        .update_pin(id, patch, OffsetDateTime::now_utc())
        .ok_or_else(ApiError::pin_not_found)?;
    let pin = store.pin(id).ok_or_else(ApiError::pin_not_found)?;
    Ok(Json(wire::pin(&store, pin, state.public_url())))
}

pub async fn delete(
    caller: Caller,
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(needs::PINS_WRITE)?;
    let id = path_id(path, "pin_id")?;
    let mut store = state.store_mut();
    let pin = own_pin(&store, &caller, id)?;
    let secret = store
        .board(pin.board_id)
        .is_some_and(|b| b.privacy == Privacy::Secret);
    if secret && !caller.has(Scope::PinsWriteSecret) {
        return Err(ApiError::insufficient_scope());
    }
    store.delete_pin(id, OffsetDateTime::now_utc());
    Ok(StatusCode::NO_CONTENT)
}
