//! Pinterest settings per environment: the app's credentials (App id and the
//! sealed App secret key), the scopes to request, which Pinterest API to use,
//! whether the integration is on, and checking the credentials with Pinterest.
//!
//! Typed values are parsed here ([`ClientId`], [`NewSecret`], [`ScopeSet`],
//! [`PinterestApi`]) with messages fit to show next to their form field.

pub mod check;
pub mod client;
mod credentials;
mod error;
pub mod redact;
mod scope;
pub mod settings;

pub use crate::shared::{CheckOutcome, PinterestApi};
pub use credentials::{
    CLIENT_ID_MAX, ClientId, CredentialInput, NewSecret, SECRET_MAX, SECRET_MIN, parse_api,
};
pub use error::PinterestError;
pub(crate) use scope::shown;
pub use scope::{Scope, ScopeError, ScopeGroup, ScopeSet};
