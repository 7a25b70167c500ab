//! What the tools answer: compact forms of Pinterest's objects (the fields an
//! agent acts on, not every image size and metric), serialised as the
//! `structuredContent` and, as JSON text, the content.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// A connection this key may act for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Connection {
    pub connection_id: String,
    /// Your product's id for the end user.
    pub end_user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The Pinterest username connected.
    pub pinterest_username: String,
    /// active, degraded (usable, Pinterest had trouble), needs_reauth,
    /// insufficient_scope or revoked (the last three: the end user must
    /// reconnect).
    pub state: String,
    /// Why it is in that state, when not active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Whether tools can act for it now.
    pub usable: bool,
    /// The Pinterest scopes the end user granted.
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionList {
    pub connections: Vec<Connection>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The connected Pinterest account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    /// PINNER or BUSINESS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follower_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_views: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Board {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// PUBLIC, PROTECTED or SECRET.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follower_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BoardPage {
    pub boards: Vec<Board>,
    /// Pass as `bookmark` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmark: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Pin {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// The largest image Pinterest gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PinPage {
    pub pins: Vec<Pin>,
    /// Pass as `bookmark` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmark: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    /// Always true: the object is gone.
    pub deleted: bool,
    /// The id of what was deleted.
    pub id: String,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn number(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

impl Account {
    pub(crate) fn of(v: &Value) -> Self {
        Self {
            id: text(v, "id").unwrap_or_default(),
            username: text(v, "username").unwrap_or_default(),
            account_type: text(v, "account_type"),
            business_name: text(v, "business_name"),
            about: text(v, "about").filter(|s| !s.is_empty()),
            website_url: text(v, "website_url").filter(|s| !s.is_empty()),
            profile_image: text(v, "profile_image"),
            board_count: number(v, "board_count"),
            pin_count: number(v, "pin_count"),
            follower_count: number(v, "follower_count"),
            following_count: number(v, "following_count"),
            monthly_views: number(v, "monthly_views"),
        }
    }
}

impl Board {
    pub(crate) fn of(v: &Value) -> Self {
        Self {
            id: text(v, "id").unwrap_or_default(),
            name: text(v, "name").unwrap_or_default(),
            description: text(v, "description").filter(|s| !s.is_empty()),
            privacy: text(v, "privacy"),
            pin_count: number(v, "pin_count"),
            follower_count: number(v, "follower_count"),
            created_at: text(v, "created_at"),
        }
    }
}

impl Pin {
    pub(crate) fn of(v: &Value) -> Self {
        // Pinterest keys its sizes "150x150", "600x", "1200x", "originals"…:
        // the original if given, else the widest.
        let images = v.pointer("/media/images").and_then(Value::as_object);
        let image_url = images.and_then(|images| {
            images
                .get("originals")
                .or_else(|| {
                    images
                        .values()
                        .max_by_key(|i| i.get("width").and_then(Value::as_i64).unwrap_or_default())
                })
                .and_then(|i| text(i, "url"))
        });
        Self {
            id: text(v, "id").unwrap_or_default(),
            board_id: text(v, "board_id"),
            title: text(v, "title").filter(|s| !s.is_empty()),
            description: text(v, "description").filter(|s| !s.is_empty()),
            link: text(v, "link"),
            alt_text: text(v, "alt_text"),
            image_url,
            created_at: text(v, "created_at"),
        }
    }
}

/// Pinterest's `{items, bookmark}`: the items and the bookmark.
pub(crate) fn page(v: &Value) -> (&[Value], Option<String>) {
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    (items, text(v, "bookmark").filter(|b| !b.is_empty()))
}
