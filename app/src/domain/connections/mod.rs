//! End users' Pinterest connections. So far: the state machine every change of
//! a connection's health goes through (see [`state`]).

pub mod state;

pub use state::{ConnectionState, Event, Health};
