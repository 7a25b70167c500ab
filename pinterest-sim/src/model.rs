//! What the simulated Pinterest holds: apps, users, boards, Pins, and the enums
//! they share with the wire and admin formats.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Pinterest access tier of an app; Trial apps cannot create Pins in production.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessTier {
    /// New apps start here (and stay for weeks), so it is the default.
    #[default]
    Trial,
    Standard,
}

impl std::str::FromStr for AccessTier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "trial" => Ok(AccessTier::Trial),
            "standard" => Ok(AccessTier::Standard),
            other => Err(format!("unknown access tier {other:?} (trial or standard)")),
        }
    }
}

/// Which Pinterest host the simulator plays: production refuses Pin creation to
/// Trial apps, the sandbox allows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privacy {
    #[default]
    Public,
    Protected,
    Secret,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountType {
    #[default]
    Pinner,
    Business,
}

/// A registered OAuth client.
#[derive(Clone, Debug)]
pub struct App {
    pub id: String,
    pub secret: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub tier: AccessTier,
    pub access_token_ttl: Option<std::time::Duration>,
    pub refresh_token_ttl: Option<std::time::Duration>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub account_type: AccountType,
    pub business_name: Option<String>,
    pub about: String,
    pub website_url: String,
    pub follower_count: u64,
    pub following_count: u64,
    pub monthly_views: u64,
}

#[derive(Clone, Debug)]
pub struct Board {
    pub id: u64,
    pub owner: u64,
    pub name: String,
    pub description: Option<String>,
    pub privacy: Privacy,
    pub created_at: OffsetDateTime,
    pub pins_modified_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct Pin {
    pub id: u64,
    pub owner: u64,
    pub board_id: u64,
    pub title: Option<String>,
    pub description: Option<String>,
    pub link: Option<String>,
    pub alt_text: Option<String>,
    pub dominant_color: Option<String>,
    pub created_at: OffsetDateTime,
}

/// What the authorize page does when a browser arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMode {
    /// Show the page with Allow / Deny.
    #[default]
    Ask,
    /// Redirect with a code at once.
    AutoAllow,
    /// Redirect with `error=access_denied` at once.
    AutoDeny,
}
