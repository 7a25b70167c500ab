//! Wire types shared by the server and the browser.

mod account;
mod accounts;
mod agents;
mod api_keys;
mod api_reference;
mod audit;
mod branding;
mod connections;
mod dashboard;
mod integrations;
mod pinterest;
mod pipeline;
mod portal;
mod preferences;
mod time;
mod webhooks;

pub use account::{AccountView, EnrolmentView, PasswordChanged, SessionView, TwoFactorView};
pub use accounts::{
    AuditEntryView, AuditView, EnvironmentView, FilterOption, InvitationView, IssuedInvitation,
    MemberView, MembersView, OperatorView, PendingInvitationView, Role, SetupLinkState, SignInView,
    WorkspaceSummary, WorkspaceView,
};
pub use agents::{
    AgentSignInView, AgentsPageView, AssistantsView, AuthorizedAssistantView, ToolAccess,
    ToolCallView, ToolView, outcome_class,
};
pub use api_keys::{
    API_KEY_VARIABLE, ApiCallsView, ApiKeyView, ApiKeysPageView, IssuedApiKey, KeyState,
    ReplacedKey, visible_key,
};
pub use api_reference::{
    ApiDocumentView, ApiReferenceView, OperationView, ParameterView, ProblemTypeView,
    RequestBodyView, ResponseView, SchemaNode, curl_command,
};
pub use audit::{WorkspaceKeyView, WorkspaceKeysView};
pub use branding::{BrandingView, LogoView};
pub use connections::{
    CheckAllView, ConnectionCounts, ConnectionDetailView, ConnectionRowView, ConnectionsPageView,
    IssuedConnectLink, MatchCount, ProbeView, ScopeCompareView, state_class,
};
pub use dashboard::{AttentionView, DashboardView, DayView, HourView, LatencyView};
pub use integrations::{IntegrationCard, IntegrationState, IntegrationsView};
pub use pinterest::{
    CredentialCheckView, PinterestPageView, PinterestSaved, PinterestSettingsView, ScopeGroupView,
    ScopeOptionView, check_class,
};
pub use pipeline::{
    ChangeView, DriftRowView, DriftSectionView, DriftView, PlanView, PromotedView, SideView,
};
pub use portal::PortalInfo;
pub use preferences::Theme;
pub use time::{coarse_ago, format_input_utc, format_latency, format_utc, parse_input_utc};
pub use webhooks::{
    DeliveryView, EndpointLimits, EndpointState, EndpointView, IssuedSecret, WebhookPageView,
    WebhooksPageView, delivery_class,
};
