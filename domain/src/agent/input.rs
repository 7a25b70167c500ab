//! Each tool's arguments. Unknown fields are refused (an agent that sends
//! `id` for `board_id` is told so, not ignored); `connection_id` and
//! `end_user_id` are taken out first ([`TargetArgs`]) and apply to every tool
//! but `list_connections`.

use schemars::JsonSchema;
use serde::Deserialize;

/// Which end user's Pinterest account to act for.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetArgs {
    /// The connection to act for, as `connection_id` in list_connections.
    pub connection_id: Option<String>,
    /// Your product's id for the end user whose connection to act for.
    #[schemars(length(min = 1, max = 200))]
    pub end_user_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListConnectionsArgs {
    /// Only connections in this state.
    pub state: Option<ConnectionState>,
    /// Your product's id for one end user: only that end user's connection.
    #[schemars(length(min = 1, max = 200))]
    pub end_user_id: Option<String>,
    /// At most this many (1 to 100, default 50).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page, unchanged.
    pub cursor: Option<String>,
}

/// A connection's state.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Active,
    Degraded,
    NeedsReauth,
    InsufficientScope,
    Revoked,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBoardsArgs {
    /// Boards per page, 1 to 250 (Pinterest's default is 25).
    #[schemars(range(min = 1, max = 250))]
    pub page_size: Option<u32>,
    /// `bookmark` from the previous page, unchanged.
    pub bookmark: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardArgs {
    /// The board's id (digits), as `id` in list_boards.
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub board_id: String,
}

/// Who can see a board.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privacy {
    /// Everyone.
    Public,
    /// Only the owner and collaborators; not listed on the profile.
    Protected,
    /// Only the owner and collaborators.
    Secret,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBoardArgs {
    /// The board's name.
    #[schemars(length(min = 1, max = 180))]
    pub name: String,
    /// What the board is about.
    #[schemars(length(max = 500))]
    pub description: Option<String>,
    /// PUBLIC (default), PROTECTED or SECRET.
    pub privacy: Option<Privacy>,
}

/// Who can see a board, as Pinterest lets an existing board change it.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NewPrivacy {
    /// Everyone.
    Public,
    /// Only the owner and collaborators.
    Secret,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBoardArgs {
    /// The board's id (digits).
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub board_id: String,
    /// A new name.
    #[schemars(length(min = 1, max = 180))]
    pub name: Option<String>,
    /// A new description.
    #[schemars(length(max = 500))]
    pub description: Option<String>,
    /// New privacy: PUBLIC or SECRET (Pinterest does not let a board become PROTECTED).
    pub privacy: Option<NewPrivacy>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBoardPinsArgs {
    /// The board's id (digits).
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub board_id: String,
    /// Pins per page, 1 to 250 (Pinterest's default is 25).
    #[schemars(range(min = 1, max = 250))]
    pub page_size: Option<u32>,
    /// `bookmark` from the previous page, unchanged.
    pub bookmark: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinArgs {
    /// The pin's id (digits), as `id` in list_board_pins or search_pins.
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub pin_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePinArgs {
    /// The board to pin to (digits), one of the account's boards.
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub board_id: String,
    /// A public http(s) URL of the image to pin.
    #[schemars(length(min = 1, max = 2048), url)]
    pub image_url: String,
    /// The pin's title.
    #[schemars(length(max = 100))]
    pub title: Option<String>,
    /// The pin's description.
    #[schemars(length(max = 800))]
    pub description: Option<String>,
    /// Where the pin leads when clicked (http or https URL).
    #[schemars(length(max = 2048))]
    pub link: Option<String>,
    /// Text describing the image for people using screen readers.
    #[schemars(length(max = 500))]
    pub alt_text: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePinArgs {
    /// The pin's id (digits).
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub pin_id: String,
    /// A new title.
    #[schemars(length(max = 100))]
    pub title: Option<String>,
    /// A new description.
    #[schemars(length(max = 800))]
    pub description: Option<String>,
    /// A new destination link (http or https URL).
    #[schemars(length(max = 2048))]
    pub link: Option<String>,
    /// New alt text.
    #[schemars(length(max = 500))]
    pub alt_text: Option<String>,
    /// Moves the pin to this board of the account (digits).
    #[schemars(regex(pattern = r"^\d{1,30}$"))]
    pub board_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchPinsArgs {
    /// Words to look for in the pins' title, description and alt text.
    #[schemars(length(min = 1, max = 200))]
    pub query: String,
    /// `bookmark` from the previous page, unchanged.
    pub bookmark: Option<String>,
}
