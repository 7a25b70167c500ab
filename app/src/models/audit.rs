//! What the Audit log page's "Workspace audit keys" card shows, as sent to the
//! browser. A key's whole text appears only in the one answer that made it
//! (an [`IssuedApiKey`]); here, its visible part (`prefix…last4`).

use serde::{Deserialize, Serialize};

use super::{IssuedApiKey, visible_key};

/// One workspace key as listed: never its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub created_by: String,
    pub created_at: i64,
    /// Written at most once a minute, so it is approximate.
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

impl WorkspaceKeyView {
    /// `pinbridge_ws_…a1B2`: how people recognise the key.
    pub fn visible(&self) -> String {
        visible_key(&self.prefix, &self.last_four)
    }

    /// Works for requests now.
    pub fn usable(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// The card, for owners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceKeysView {
    /// Newest first, revoked ones included.
    pub keys: Vec<WorkspaceKeyView>,
    /// A key made by a form sent without JavaScript, shown on this page load only.
    pub issued: Option<IssuedApiKey>,
    /// What a form sent without JavaScript said ("Revoked …").
    pub notices: Vec<String>,
    /// The server's clock when the page was made: "last used" is said
    /// relative to it, the same on the server and in the browser.
    pub now: i64,
}
