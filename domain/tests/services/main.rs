//! The domain's services against a real database, on the backend chosen by
//! `PINBRIDGE_TEST_BACKEND` (`sqlite`, the default, or `postgres`), with
//! pinterest-sim as Pinterest: one test binary, a module per area.

mod support;

mod accounts;
mod audit_chain;
mod branding;
mod dashboard;
mod handshake;
mod keys;
mod pipeline;
mod pool;
mod refresh;
mod webhooks;
