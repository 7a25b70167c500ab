//! Wire types shared by the server and the browser.

mod accounts;
mod connections;
pub mod html;
mod pinterest;
mod portal;
mod preferences;
mod time;

pub use accounts::{
    AuditEntryView, AuditView, EnvironmentView, FilterOption, IntegrationCard, IntegrationState,
    IntegrationsView, InvitationView, IssuedInvitation, MemberRole, MemberView, MembersView,
    OperatorView, PendingInvitationView, SetupLinkState, SignInView, WorkspaceSummary,
    WorkspaceView,
};
pub use connections::{
    CheckAllView, ConnectionCounts, ConnectionDetailView, ConnectionRowView, ConnectionsPageView,
    IssuedConnectLink, ProbeView, STATES, ScopeCompareView, state_class, state_label,
};
pub use pinterest::{
    CheckOutcomeView, CredentialCheckView, PinterestPageView, PinterestSaved,
    PinterestSettingsView, ScopeGroupView, ScopeOptionView,
};
pub use portal::PortalInfo;
pub use preferences::Theme;
pub use time::format_utc;
