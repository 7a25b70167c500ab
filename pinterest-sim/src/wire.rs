//! JSON the simulator answers with, shaped after `openapi.json` (v5.23.0):
//! `Account`, `Board`, `Pin`, the paginated list, and the token response.
//! Timestamps are ISO 8601 without offset (UTC), as Pinterest writes them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;

use super::model::{AccountType, Board, Pin, Privacy, User};
use super::store::{IssuedTokens, Store};

pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// `{"items": […], "bookmark": "…" | null}`.
#[derive(Debug, Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub bookmark: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AccountJson {
    pub account_type: AccountType,
    pub id: String,
    pub username: String,
    pub profile_image: String,
    pub website_url: String,
    pub about: String,
    pub business_name: Option<String>,
    pub board_count: usize,
    pub pin_count: usize,
    pub follower_count: u64,
    pub following_count: u64,
    pub monthly_views: u64,
}

#[derive(Debug, Serialize)]
pub struct Owner {
    pub username: String,
}

#[derive(Debug, Serialize)]
pub struct BoardMedia {
    pub image_cover_url: Option<String>,
    pub pin_thumbnail_urls: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct BoardJson {
    pub id: String,
    pub created_at: String,
    pub board_pins_modified_at: String,
    pub name: String,
    pub description: Option<String>,
    pub collaborator_count: u64,
    pub pin_count: usize,
    pub follower_count: u64,
    pub media: BoardMedia,
    pub owner: Owner,
    pub privacy: Privacy,
    pub is_ads_only: bool,
}

#[derive(Debug, Serialize)]
pub struct ImageDetails {
    pub width: u32,
    pub height: u32,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ImageSizes {
    #[serde(rename = "150x150")]
    pub small: ImageDetails,
    #[serde(rename = "400x300")]
    pub medium: ImageDetails,
    #[serde(rename = "600x")]
    pub large: ImageDetails,
    #[serde(rename = "1200x")]
    pub original: ImageDetails,
}

#[derive(Debug, Serialize)]
pub struct PinMedia {
    pub media_type: &'static str,
    pub images: ImageSizes,
}

#[derive(Debug, Serialize)]
pub struct PinJson {
    pub id: String,
    pub created_at: String,
    pub link: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub dominant_color: Option<String>,
    pub alt_text: Option<String>,
    pub creative_type: &'static str,
    pub board_id: String,
    pub board_section_id: Option<String>,
    pub board_owner: Owner,
    pub is_owner: bool,
    pub media: PinMedia,
    pub parent_pin_id: Option<String>,
    pub is_standard: bool,
    pub has_been_promoted: bool,
    pub pin_metrics: Option<serde_json::Value>,
}

/// The token endpoint's 200 body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub response_type: String,
    pub token_type: String,
    pub expires_in: u64,
    pub refresh_token_expires_in: u64,
    pub refresh_token_expires_at: i64,
    /// Space-separated and cumulative.
    pub scope: String,
}

impl TokenResponse {
    fn from_issued(issued: IssuedTokens, response_type: &str) -> Self {
        TokenResponse {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            response_type: response_type.into(),
            token_type: "bearer".into(),
            expires_in: issued.expires_in,
            refresh_token_expires_in: issued.refresh_token_expires_in,
            refresh_token_expires_at: issued.refresh_token_expires_at,
            scope: issued.scopes.to_space_separated(),
        }
    }

    pub fn authorization_code(issued: IssuedTokens) -> Self {
        Self::from_issued(issued, "authorization_code")
    }

    pub fn refresh_token(issued: IssuedTokens) -> Self {
        Self::from_issued(issued, "refresh_token")
    }
}

/// Where the simulator serves a Pin's placeholder image of one size.
pub fn pin_image_url(base: &str, pin: u64, size: &str) -> String {
    format!("{base}/media/pins/{pin}-{size}.svg")
}

fn image(base: &str, pin: u64, size: &str, width: u32, height: u32) -> ImageDetails {
    ImageDetails {
        width,
        height,
        url: pin_image_url(base, pin, size),
    }
}

pub fn profile_image_url(base: &str, user: &User) -> String {
    format!("{base}/media/users/{}.svg", user.id)
}

pub fn account(store: &Store, user: &User, base: &str) -> AccountJson {
    AccountJson {
        account_type: user.account_type,
        id: user.id.to_string(),
        username: user.username.clone(),
        profile_image: profile_image_url(base, user),
        website_url: user.website_url.clone(),
        about: user.about.clone(),
        business_name: user.business_name.clone(),
        board_count: store.board_count(user.id),
        pin_count: store.pin_count_of_user(user.id),
        follower_count: user.follower_count,
        following_count: user.following_count,
        monthly_views: user.monthly_views,
    }
}

fn username_of(store: &Store, user: u64) -> String {
    store
        .user(user)
        .map(|u| u.username.clone())
        .unwrap_or_default()
}

pub fn board(store: &Store, board: &Board, base: &str) -> BoardJson {
    let newest = store.newest_pins_of_board(board.id, 4);
    BoardJson {
        id: board.id.to_string(),
        created_at: timestamp(board.created_at),
        board_pins_modified_at: timestamp(board.pins_modified_at),
        name: board.name.clone(),
        description: board.description.clone(),
        collaborator_count: 0,
        pin_count: store.pin_count_of_board(board.id),
        follower_count: 0,
        media: BoardMedia {
            image_cover_url: newest.first().map(|p| pin_image_url(base, p.id, "400x300")),
            pin_thumbnail_urls: newest
                .iter()
                .map(|p| pin_image_url(base, p.id, "150x150"))
                .collect(),
        },
        owner: Owner {
            username: username_of(store, board.owner),
        },
        privacy: board.privacy,
        is_ads_only: false,
    }
}

pub fn pin(store: &Store, pin: &Pin, base: &str) -> PinJson {
    PinJson {
        id: pin.id.to_string(),
        created_at: timestamp(pin.created_at),
        link: pin.link.clone(),
        title: pin.title.clone(),
        description: pin.description.clone(),
        dominant_color: pin.dominant_color.clone(),
        alt_text: pin.alt_text.clone(),
        creative_type: "REGULAR",
        board_id: pin.board_id.to_string(),
        board_section_id: None,
        board_owner: Owner {
            username: username_of(store, pin.owner),
        },
        is_owner: true,
        media: PinMedia {
            media_type: "image",
            images: ImageSizes {
                small: image(base, pin.id, "150x150", 150, 150),
                medium: image(base, pin.id, "400x300", 400, 300),
                large: image(base, pin.id, "600x", 600, 600),
                original: image(base, pin.id, "1200x", 1200, 1200),
            },
        },
        parent_pin_id: None,
        is_standard: true,
        has_been_promoted: false,
        pin_metrics: None,
    }
}
