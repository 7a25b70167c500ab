//! Server functions, by domain. Each checks what it must first and returns `AppError`.

pub mod portal;
pub mod preferences;

#[cfg(feature = "ssr")]
pub(crate) mod context;
