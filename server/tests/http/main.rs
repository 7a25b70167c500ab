//! pinbridge in process, over HTTP as its clients use it: the portal's pages
//! and server functions, the end user's connect pages against pinterest-sim,
//! tenancy and roles, and pages rendered under load. One test binary; each
//! module is an area. Runs on the backend `PINBRIDGE_TEST_BACKEND` names.

#[path = "../common/mod.rs"]
mod common;

mod a11y;
mod access;
mod account;
mod agent_oauth;
mod agents_portal;
mod api;
mod api_fuzz;
mod api_keys_portal;
mod assets;
mod audit_api;
mod branding;
mod concurrent_starts;
mod connect_security;
mod connections;
mod dashboard;
mod fake_idp;
mod headers;
mod load;
mod mcp;
mod mcp_sdk;
mod metrics;
mod pinterest;
mod pipeline;
mod popup;
mod portal;
mod scale;
mod sdk_clients;
mod sign_in_flood;
mod webhooks;
mod webhooks_portal;
mod webhooks_scale;
mod webhooks_sdk;
