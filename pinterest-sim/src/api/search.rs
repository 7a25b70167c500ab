//! `/v5/search/pins`: the caller's own Pins that match a query.

use axum::Json;
use axum::extract::{RawQuery, State};
use sha2::{Digest, Sha256};

use super::auth::{Caller, needs};
use crate::errors::ApiError;
use crate::model::Pin;
use crate::pagination::{bookmark, page_request};
use crate::query::QueryParams;
use crate::state::SimState;
use crate::wire::{self, List, PinJson};

/// Whether `pin` matches `needle` (already lowercased): a case-insensitive
/// substring of its title, description or alt text. Real Pinterest's search is
/// fuzzier (word matching, stemming, relevance order, and per the spec a query of
/// comma-separated Pin ids); here results come newest first like every Pin list.
fn matches(pin: &Pin, needle: &str) -> bool {
    [&pin.title, &pin.description, &pin.alt_text]
        .into_iter()
        .flatten()
        .any(|text| text.to_lowercase().contains(needle))
}

/// The paging list of one query, so a bookmark only continues the search it came from.
fn list_name(needle: &str) -> String {
    let digest = Sha256::digest(needle.as_bytes());
    format!("search-pins-{}", hex::encode(&digest[..8]))
}

/// `GET /v5/search/pins?query=…&bookmark=…` (`search_user_pins/list`). Also
/// takes the simulator's `page_size`, which the spec does not declare here.
pub async fn pins(
    caller: Caller,
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
) -> Result<Json<List<PinJson>>, ApiError> {
    caller.require(needs::SEARCH_PINS)?;
    let query = QueryParams::parse(query.as_deref());
    let needle = query.required("query")?.trim().to_lowercase();
    if needle.is_empty() {
        return Err(ApiError::invalid_parameters("query: must not be blank"));
    }
    let list = list_name(&needle);
    let page = page_request(&query, &list)?;
    let store = state.store();
    let found = store.pins_page(caller.user_id, None, page.below, page.size, |p| {
        store
            .board(p.board_id)
            .is_some_and(|b| caller.sees_pins_of(b))
            && matches(p, &needle)
    });
    Ok(Json(List {
        items: found
            .items
            .into_iter()
            .map(|p| wire::pin(&store, p, state.public_url()))
            .collect(),
        bookmark: bookmark(&list, found.continue_below),
    }))
}
