//! pinterest-sim's tests, one binary: each module drives a simulator started on
//! 127.0.0.1 (a free port) over HTTP, as a client of Pinterest would.
#![allow(dead_code)]

mod openapi;
mod support;

mod admin;
mod api;
mod bad_input;
mod cli;
mod faults;
mod fidelity;
mod oauth;
