//! Wire types for operators, workspaces, environments, members and the audit
//! log: what pages show, never a password hash or a token's hash.

use serde::{Deserialize, Serialize};

/// A member's role, as pages show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Owner,
    Admin,
    Viewer,
}

impl MemberRole {
    pub const ALL: [MemberRole; 3] = [MemberRole::Owner, MemberRole::Admin, MemberRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Admin => "admin",
            MemberRole::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Owner => "Owner",
            MemberRole::Admin => "Admin",
            MemberRole::Viewer => "Viewer",
        }
    }

    /// What the role may do, in a few words (shown where roles are chosen).
    pub fn summary(self) -> &'static str {
        match self {
            MemberRole::Owner => "everything, including members and roles",
            MemberRole::Admin => "configure integrations and environments",
            MemberRole::Viewer => "read-only",
        }
    }

    pub fn can_configure(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }

    pub fn can_manage_members(self) -> bool {
        matches!(self, MemberRole::Owner)
    }
}

#[cfg(feature = "ssr")]
impl From<crate::domain::accounts::Role> for MemberRole {
    fn from(role: crate::domain::accounts::Role) -> Self {
        use crate::domain::accounts::Role;
        match role {
            Role::Owner => MemberRole::Owner,
            Role::Admin => MemberRole::Admin,
            Role::Viewer => MemberRole::Viewer,
        }
    }
}

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
    pub role: MemberRole,
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
    pub role: MemberRole,
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
    /// An owner exists: setup is over.
    Complete,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub operator_id: String,
    pub email: String,
    pub display_name: String,
    pub role: MemberRole,
    pub joined_at: i64,
    pub is_you: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitationView {
    pub id: String,
    pub email: String,
    pub role: MemberRole,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A just-created invitation: the only time its link exists outside the
/// browser of the person it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedInvitation {
    pub email: String,
    pub role: MemberRole,
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
    pub role: MemberRole,
    pub expires_at: i64,
    /// The invited email has an account: sign in as it, then accept.
    pub account_exists: bool,
    /// Who is signed in to this browser, if anyone.
    pub signed_in_as: Option<String>,
}

/// An integration's state in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntegrationState {
    NotConfigured,
    /// Configured and on; `check` is the last credential check's outcome, if any.
    Configured {
        check: Option<super::CheckOutcomeView>,
    },
    /// Configured, but turned off: no new connections.
    Disabled,
}

impl IntegrationState {
    pub fn label(&self) -> &'static str {
        use super::CheckOutcomeView as C;
        match self {
            IntegrationState::NotConfigured => "Not configured",
            IntegrationState::Configured { check: None } => "Configured · not checked",
            IntegrationState::Configured {
                check: Some(C::Accepted),
            } => "Configured · credentials accepted",
            IntegrationState::Configured {
                check: Some(C::Rejected),
            } => "Configured · credentials rejected",
            IntegrationState::Configured {
                check: Some(C::Failed),
            } => "Configured · check failed",
            IntegrationState::Disabled => "Disabled",
        }
    }

    /// The status pill's style.
    pub fn class(&self) -> &'static str {
        use super::CheckOutcomeView as C;
        match self {
            IntegrationState::NotConfigured | IntegrationState::Disabled => "status status-off",
            IntegrationState::Configured {
                check: Some(C::Accepted),
            } => "status status-ok",
            IntegrationState::Configured {
                check: Some(C::Rejected),
            } => "status status-bad",
            IntegrationState::Configured { .. } => "status status-warn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationCard {
    /// The URL segment under `…/integrations/`.
    pub key: String,
    pub name: String,
    pub description: String,
    pub state: IntegrationState,
    pub connections: super::ConnectionCounts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub environment: EnvironmentView,
    pub integrations: Vec<IntegrationCard>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
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
