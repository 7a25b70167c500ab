//! Wire types for operators, workspaces, environments, members and the audit
//! log: what pages show, never a password hash or a token's hash.

use domain::shared::AuditAction;
use serde::{Deserialize, Serialize};

pub use domain::shared::Role;

/// The signed-in operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

/// A workspace in the switcher, with the operator's role there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub id: String,
    pub name: String,
    /// The URL segment: `/w/{workspace}/e/{slug}/…`.
    pub slug: String,
    pub created_at: i64,
}

/// Everything the workspace frame (header, switchers, navigation) needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub environments: Vec<EnvironmentView>,
    /// Every workspace the operator belongs to, this one included.
    pub workspaces: Vec<WorkspaceSummary>,
    pub operator: OperatorView,
}

/// What the sign-in page needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    /// No owner exists yet: point to the setup link instead.
    pub setup_needed: bool,
}

/// What the setup page needs to know about its link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupLinkState {
    /// The link works: show the form.
    Open,
    /// Unknown or used link while setup is still needed.
    Invalid,
    /// An unused link past its lifetime.
    Expired,
    /// An owner exists: setup is over.
    Complete,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub operator_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub joined_at: i64,
    pub is_you: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitationView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A just-created invitation: the only time its link exists outside the
/// browser of the person it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedInvitation {
    pub email: String,
    pub role: Role,
    pub link: String,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<MemberView>,
    /// Pending invitations: filled for owners only.
    pub invitations: Vec<PendingInvitationView>,
    /// The invitation created by the form just sent without JavaScript.
    pub issued: Option<IssuedInvitation>,
}

/// What the invitation page shows before the person accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
    /// The invited email has an account: sign in as it, then accept.
    pub account_exists: bool,
    /// Who is signed in to this browser, if anyone.
    pub signed_in_as: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: AuditAction,
    pub target: String,
    pub environment: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// `key: value` pairs of the event's detail, in stored order.
    pub detail: Vec<(String, String)>,
}

/// A choice in one of the audit log's filters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOption {
    pub value: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries: Vec<AuditEntryView>,
    /// The cursor for the next (older) page, if there is one.
    pub next: Option<String>,
    pub environments: Vec<FilterOption>,
    pub actors: Vec<FilterOption>,
    pub actions: Vec<FilterOption>,
}
