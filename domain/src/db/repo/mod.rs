//! Repository functions: every SQL statement pinbridge runs, grouped by table.

pub mod agent;
pub mod agent_oauth;
pub mod agent_sign_in;
pub mod api_keys;
pub mod audit_events;
pub mod branding;
pub mod connections;
pub mod dashboard;
pub mod environments;
pub mod invitations;
pub mod key_canaries;
pub mod key_ring;
pub mod memberships;
pub mod operator_sessions;
pub mod operators;
pub mod pinterest_settings;
pub mod schema;
#[cfg(feature = "testing")]
pub mod seed;
pub mod setup_tokens;
pub mod sign_in_attempts;
pub mod sqlite_file;
pub mod statement;
pub mod two_factor;
pub mod webhooks;
pub mod workspaces;
