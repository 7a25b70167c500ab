//! Pages, by area.

mod account;
mod agents;
mod api_keys;
mod api_reference;
mod audit;
mod branding;
mod connections;
mod dashboard;
mod environments;
mod error_page;
mod installation;
mod integrations;
mod invitation;
mod members;
mod not_found;
mod pinterest;
mod pipeline;
mod preferences;
mod setup;
mod sign_in;
mod sign_in_code;
mod webhooks;
pub mod workspace_frame;
mod workspaces;

pub use account::AccountPage;
pub use agents::AgentsPage;
pub use api_keys::ApiKeysPage;
pub use api_reference::ApiReferencePage;
pub use audit::AuditPage;
pub use branding::BrandingPage;
pub use connections::{ConnectionPage, ConnectionsPage};
pub use dashboard::DashboardPage;
pub use environments::EnvironmentsPage;
pub use error_page::ErrorPage;
pub use installation::InstallationPage;
pub use integrations::IntegrationsPage;
pub use invitation::InvitationPage;
pub use members::MembersPage;
pub use not_found::NotFound;
pub use pinterest::PinterestPage;
pub use pipeline::{ComparePage, PromotePage};
pub use preferences::PreferencesPage;
pub use setup::SetupPage;
pub use sign_in::SignInPage;
pub use sign_in_code::SignInCodePage;
pub use webhooks::{WebhookPage, WebhooksPage};
pub use workspace_frame::{WorkspaceFrame, WorkspaceIndex};
pub use workspaces::WorkspacesPage;

/// Percent-encodes a value for a query string.
pub(crate) fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
