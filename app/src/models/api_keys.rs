//! What the API keys page shows, as sent to the browser. A key's whole text
//! appears only in [`IssuedApiKey`], in the one answer that made it; every
//! other model shows its visible part (`prefix…last4`).

use std::fmt;

use domain::shared::ApiPermission;
use serde::{Deserialize, Serialize};

use super::EnvironmentView;

/// Where an application finds its API key: the variable every example uses.
pub const API_KEY_VARIABLE: &str = "$PINBRIDGE_API_KEY";

/// What a key can do now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Active,
    /// Rotated: the replacement is in use and this one works until `until`.
    Retiring {
        until: i64,
    },
    /// Past its expiry (or its grace period after a rotation).
    Expired {
        at: i64,
        rotated: bool,
    },
    Revoked {
        at: i64,
        by: String,
    },
}

impl KeyState {
    /// Works for requests now.
    pub fn usable(&self) -> bool {
        matches!(self, Self::Active | Self::Retiring { .. })
    }

    /// A short name, for `data-state` and tests.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retiring { .. } => "retiring",
            Self::Expired { .. } => "expired",
            Self::Revoked { .. } => "revoked",
        }
    }

    /// The status badge class.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Active => "status status-ok",
            Self::Retiring { .. } => "status status-warn",
            Self::Expired { .. } | Self::Revoked { .. } => "status status-off",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Retiring { .. } => "Rotated",
            Self::Expired { .. } => "Expired",
            Self::Revoked { .. } => "Revoked",
        }
    }
}

/// One key as listed: never its text, only its visible part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub permissions: Vec<ApiPermission>,
    /// Requests per minute.
    pub rate_limit: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Written at most once a minute, so it is approximate.
    pub last_used_at: Option<i64>,
    pub request_count: i64,
    pub state: KeyState,
    /// Rotated keys and those already rotated out are not rotated again.
    pub rotated: bool,
    /// The one end user the key acts for; `None`: any of the environment's.
    pub end_user_id: Option<String>,
}

impl ApiKeyView {
    /// `pinbridge_dev_…a1B2`: how people recognise the key.
    pub fn visible(&self) -> String {
        visible_key(&self.prefix, &self.last_four)
    }
}

/// `prefix…last4`.
pub fn visible_key(prefix: &str, last_four: &str) -> String {
    format!("{prefix}\u{2026}{last_four}")
}

/// The API keys page of one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysPageView {
    pub environment: EnvironmentView,
    pub can_configure: bool,
    /// Newest first, revoked and expired ones included.
    pub keys: Vec<ApiKeyView>,
    /// Requests per minute a new key gets unless changed.
    pub default_rate_limit: i64,
    pub rate_limit_max: i64,
    /// The server's clock when the page was made: "last used" is said
    /// relative to it, the same on the server and in the browser.
    pub now: i64,
    /// A key made by a form sent without JavaScript, shown on this page load only.
    pub issued: Option<IssuedApiKey>,
    pub notices: Vec<String>,
}

/// A key just made by "New API key" or "Rotate": the only time its text is
/// shown. Its `Debug` leaves the text out, so no log line can carry it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedApiKey {
    pub id: String,
    pub name: String,
    /// The whole key (empty in the redirect that answers a form sent
    /// without JavaScript: the page it leads to shows the key).
    pub key: String,
    pub prefix: String,
    pub last_four: String,
    pub expires_at: Option<i64>,
    /// After a rotation: the key it replaces, and until when that one works.
    pub replaces: Option<ReplacedKey>,
}

impl fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key", &visible_key(&self.prefix, &self.last_four))
            .field("expires_at", &self.expires_at)
            .field("replaces", &self.replaces)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacedKey {
    pub id: String,
    pub visible: String,
    pub works_until: i64,
    /// Rotated without a grace period.
    pub stopped_at_once: bool,
}

/// What one key did on one connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCallsView {
    pub key_id: String,
    pub name: String,
    pub visible: String,
    pub token_calls: i64,
    pub proxy_calls: i64,
    /// MCP tool calls (the agent gateway).
    pub tool_calls: i64,
    pub last_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_key_never_shows_its_text_in_debug() {
        let key = IssuedApiKey {
            id: "k".into(),
            name: "Backend".into(),
            key: "pinbridge_dev_SECRETSECRET1234".into(),
            prefix: "pinbridge_dev_".into(),
            last_four: "1234".into(),
            expires_at: None,
            replaces: None,
        };
        let text = format!("{key:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("pinbridge_dev_\u{2026}1234"), "{text}");
    }
}
