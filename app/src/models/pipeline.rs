//! The drift view and promotion, as the portal shows them.

use serde::{Deserialize, Serialize};

/// One environment of a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideView {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// The configuration's version when the view was drawn.
    pub version: String,
}

/// One compared item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRowView {
    pub key: String,
    pub label: String,
    /// What each side has; `None`: not there.
    pub from: Option<String>,
    pub to: Option<String>,
    /// "Newer in X · changed by Y, time" for a difference; `None` when equal.
    pub provenance: Option<String>,
    /// Why it cannot be copied; `None` when it can (or is equal).
    pub not_copyable: Option<String>,
}

/// A section of the comparison: its differences first, equal items folded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSectionView {
    pub label: String,
    pub differences: Vec<DriftRowView>,
    pub equal: Vec<DriftRowView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftView {
    pub from: SideView,
    pub to: SideView,
    pub sections: Vec<DriftSectionView>,
    pub difference_count: usize,
    /// Whether the viewer may promote (admins and owners).
    pub can_promote: bool,
    /// Sections this viewer's role does not show (e.g. "Webhook endpoints").
    pub hidden: Vec<String>,
}

/// One change a promotion makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub key: String,
    pub section: String,
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What a promotion will do, drawn now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub from: SideView,
    pub to: SideView,
    pub changes: Vec<ChangeView>,
    pub secrets_needed: Vec<String>,
    /// Either side changed between the comparison and this plan.
    pub changed_since_compared: bool,
    pub can_promote: bool,
}

/// A promotion written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotedView {
    pub to_name: String,
    pub changes: usize,
    pub secrets_needed: Vec<String>,
    /// Where to look next: the comparison, drawn again.
    pub compare_url: String,
}
