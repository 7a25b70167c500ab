//! The simulator's in-memory data and every rule that changes it. Functions
//! here are synchronous and take `now`, so one lock held by the caller covers a
//! whole check-and-change (a refresh-token rotation, say) and tests can pick the time.

mod catalog;
mod credentials;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use http::StatusCode;

pub use catalog::{BoardPatch, NewPin, PinPatch};
pub use credentials::{IssuedTokens, TokenKind, after};

use super::config::TokenLifetimes;
use super::errors::ApiError;
use super::model::{App, Board, Pin, User};
use super::scope::ScopeSet;

/// Why an admin-side change was refused; maps onto a Pinterest-shaped error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let status = match &err {
            StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            StoreError::Conflict(_) => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        };
        ApiError::with_status_code(status, err.to_string())
    }
}

/// One page of a keyset-paginated list: ids only ever decrease down the pages,
/// so items created or deleted meanwhile never make another item repeat or vanish.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to continue below, when there is more.
    pub continue_below: Option<u64>,
}

/// A consent form shown and not yet answered.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    pub app_id: String,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub state: Option<String>,
    pub expires_at: time::OffsetDateTime,
}

pub struct Store {
    lifetimes: TokenLifetimes,
    apps: BTreeMap<String, App>,
    users: BTreeMap<u64, User>,
    usernames: HashMap<String, u64>,
    boards: BTreeMap<u64, Board>,
    pins: BTreeMap<u64, Pin>,
    boards_by_user: HashMap<u64, BTreeSet<u64>>,
    pins_by_user: HashMap<u64, BTreeSet<u64>>,
    pins_by_board: HashMap<u64, BTreeSet<u64>>,
    next_user_id: u64,
    next_board_id: u64,
    next_pin_id: u64,
    pending: HashMap<String, PendingAuthorization>,
    codes: HashMap<String, credentials::AuthCode>,
    grants: HashMap<(String, u64), ScopeSet>,
    access_tokens: HashMap<String, credentials::AccessToken>,
    refresh_tokens: HashMap<String, credentials::RefreshToken>,
    next_chain: u64,
}

impl Store {
    pub fn new(lifetimes: TokenLifetimes) -> Self {
        Store {
            lifetimes,
            apps: BTreeMap::new(),
            users: BTreeMap::new(),
            usernames: HashMap::new(),
            boards: BTreeMap::new(),
            pins: BTreeMap::new(),
            boards_by_user: HashMap::new(),
            pins_by_user: HashMap::new(),
            pins_by_board: HashMap::new(),
            // Realistic magnitudes: Pinterest ids are long digit strings.
            next_user_id: 2_783_136_121_146_311_001,
            next_board_id: 549_755_885_001,
            next_pin_id: 813_744_226_000_000_001,
            pending: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            next_chain: 1,
        }
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.get(id)
    }

    pub fn apps(&self) -> impl Iterator<Item = &App> {
        self.apps.values()
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.get(&id)
    }

    pub fn user_by_name(&self, username: &str) -> Option<&User> {
        self.usernames
            .get(username)
            .and_then(|id| self.users.get(id))
    }

    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    pub fn board(&self, id: u64) -> Option<&Board> {
        self.boards.get(&id)
    }

    pub fn pin(&self, id: u64) -> Option<&Pin> {
        self.pins.get(&id)
    }

    pub fn board_count(&self, user: u64) -> usize {
        self.boards_by_user.get(&user).map_or(0, BTreeSet::len)
    }

    pub fn pin_count_of_user(&self, user: u64) -> usize {
        self.pins_by_user.get(&user).map_or(0, BTreeSet::len)
    }

    pub fn pin_count_of_board(&self, board: u64) -> usize {
        self.pins_by_board.get(&board).map_or(0, BTreeSet::len)
    }

    /// The newest `n` Pins of a board, newest first (board covers and thumbnails).
    pub fn newest_pins_of_board(&self, board: u64, n: usize) -> Vec<&Pin> {
        self.pins_by_board
            .get(&board)
            .map(|ids| {
                ids.iter()
                    .rev()
                    .take(n)
                    .filter_map(|id| self.pins.get(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Counts of what the store holds, for `GET /_sim/state`.
    pub fn totals(&self) -> Totals {
        Totals {
            apps: self.apps.len(),
            users: self.users.len(),
            boards: self.boards.len(),
            pins: self.pins.len(),
            access_tokens: self.access_tokens.len(),
            refresh_tokens: self.refresh_tokens.len(),
        }
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Totals {
    pub apps: usize,
    pub users: usize,
    pub boards: usize,
    pub pins: usize,
    pub access_tokens: usize,
    pub refresh_tokens: usize,
}

/// Keyset paging over a sorted id set, newest (highest id) first.
fn page_of<'a, T>(
    ids: Option<&BTreeSet<u64>>,
    below: Option<u64>,
    limit: usize,
    mut resolve: impl FnMut(u64) -> Option<&'a T>,
) -> Page<&'a T> {
    let Some(ids) = ids else {
        return Page {
            items: Vec::new(),
            continue_below: None,
        };
    };
    let upper = below.unwrap_or(u64::MAX);
    let mut items = Vec::with_capacity(limit.min(256));
    let mut last_id = None;
    let mut more = false;
    for id in ids.range(..upper).rev() {
        let Some(item) = resolve(*id) else { continue };
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(item);
        last_id = Some(*id);
    }
    Page {
        items,
        continue_below: if more { last_id } else { None },
    }
}
