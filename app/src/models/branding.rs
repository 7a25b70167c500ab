//! A workspace's branding, as the portal's Branding page shows it.

use serde::{Deserialize, Serialize};

/// A stored logo: where it is served and its size in pixels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoView {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// The Branding page: each field as set (empty when not), and who may change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandingView {
    pub workspace_name: String,
    pub display_name: String,
    pub accent_color: String,
    pub support_url: String,
    pub privacy_url: String,
    pub logo: Option<LogoView>,
    /// Owners and admins.
    pub can_edit: bool,
    /// Who last changed it, and when (Unix milliseconds).
    pub updated: Option<(String, i64)>,
}

impl BrandingView {
    /// The name end users see.
    pub fn shown_name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.workspace_name
        } else {
            &self.display_name
        }
    }
}
