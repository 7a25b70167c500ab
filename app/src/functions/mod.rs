//! Server functions, by domain. Each finds who is asking (the session, then
//! their membership of the workspace named), calls one domain service, which
//! checks the role, and turns the answer into a wire model (`views`). Each
//! returns `AppError`.

pub mod account;
pub mod agents;
pub mod api_keys;
pub mod api_reference;
pub mod audit;
pub mod auth;
pub mod branding;
pub mod connections;
pub mod dashboard;
pub mod environments;
pub mod flash;
pub mod members;
pub mod pinterest;
pub mod pipeline;
pub mod portal;
pub mod preferences;
pub mod two_factor;
pub mod webhooks;
pub mod workspaces;

#[cfg(feature = "ssr")]
pub(crate) mod context;
#[cfg(feature = "ssr")]
pub mod kept_fields;
#[cfg(feature = "ssr")]
pub(crate) mod listing;
#[cfg(feature = "ssr")]
pub(crate) mod openapi;
#[cfg(feature = "ssr")]
pub(crate) mod reauth;
#[cfg(feature = "ssr")]
pub(crate) mod request;
#[cfg(feature = "ssr")]
pub use request::{ClientIp, client_ip, cookie_value, meta_of};
#[cfg(feature = "ssr")]
mod views;
