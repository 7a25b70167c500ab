//! Webhooks: connection events delivered durably to the operator's endpoints,
//! signed the Standard Webhooks way.
//!
//! A change to a connection writes its event into the outbox in the same
//! transaction ([`events`]); every process's worker ([`deliver`]) claims due
//! deliveries by lease, signs ([`signing`]) and posts them, retrying with
//! backoff for at least a day, one at a time per connection and endpoint.
//! Endpoints may only point at public https addresses ([`target`]); the
//! portal manages them and reads the delivery log ([`endpoints`]).

pub mod deliver;
pub mod endpoints;
pub mod events;
pub mod runtime;
pub mod signing;
pub mod target;

pub use events::{Change, Subject};
pub use runtime::{Runtime, WebhookPolicy};
