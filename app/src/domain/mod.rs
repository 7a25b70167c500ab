//! The server-only domain: storage, secrets and the state every request sees.

pub mod accounts;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod key_check;
pub mod pinterest;
pub mod state;
