//! pinbridge's domain: storage on SQLite or PostgreSQL, secrets at rest,
//! accounts and tenancy, Pinterest settings and its API, end users'
//! connections and the scheduler that keeps them fresh and checked.
//!
//! No Leptos and no HTTP server here: the portal (`app`), the end-user pages,
//! and later the REST API and MCP gateway (`server`) are thin layers that parse
//! their input, check the caller and call one service of this crate.
//!
//! Without the `server` feature only [`shared`] is built: the closed sets of
//! values that storage and the browser's wire models both carry.

pub mod shared;

#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod agent;
#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod backup;
#[cfg(feature = "server")]
pub mod branding;
#[cfg(feature = "server")]
pub mod connections;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod key_check;
#[cfg(feature = "server")]
pub mod keys;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod pinterest;
#[cfg(feature = "server")]
pub mod pipeline;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "server")]
pub mod webhooks;

#[cfg(feature = "server")]
pub use services::{PortalConfig, Services};
