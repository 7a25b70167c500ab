//! Environments as a pipeline: compare two environments' integration
//! configuration side by side (the drift view), and copy chosen differences
//! from one to the other (promotion).
//!
//! What is compared, each as one item with a stable key:
//! - the Pinterest app: App id, the secret's fingerprint, API, scopes, enabled
//!   (`pinterest.*`);
//! - each allowed return origin (`return_origin:<origin>`);
//! - each webhook endpoint, matched by URL: its event types, description and
//!   whether it is on (`webhook:<url>`);
//! - each usable API key, matched by name: its permissions, rate limit and
//!   end user (`api_key:<name>`); never the key;
//! - the agent gateway's sign-in provider: issuer, client id, the end user
//!   claim and the secret's fingerprint (`agent_sign_in.*`).
//!
//! Secrets are never shown and never copied. A secret appears only as its
//! fingerprint (keyed by the key ring, so two environments holding the same
//! secret show the same fingerprint and a guess cannot be tested against
//! it); a promotion's plan says which secrets the target still needs.
//!
//! Each side of a view has a version: a hash of everything compared. A
//! promotion names the versions its view was drawn at and is refused if either
//! side has changed since, so nobody copies what they did not see.

mod drift;
mod model;
mod promote;
mod snapshot;

pub use drift::{diff, diff_in, find_by_names};
pub use model::{Drift, EnvironmentRef, Newer, PipelineError, Row, Section, Side};
pub use promote::{Plan, PlannedChange, PromoteRequest, Promoted, plan, promote, promote_in};
pub use snapshot::fingerprint;
