//! Server functions, by domain. Each checks what it must first (the session,
//! then the workspace and role) and returns `AppError`.

pub mod audit;
pub mod auth;
pub mod connections;
pub mod environments;
pub mod flash;
pub mod members;
pub mod pinterest;
pub mod portal;
pub mod preferences;
pub mod workspaces;

#[cfg(feature = "ssr")]
pub(crate) mod context;
