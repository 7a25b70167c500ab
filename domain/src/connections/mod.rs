//! End users' Pinterest connections: connect links ([`links`]), the OAuth
//! handshake ([`handshake`]), keeping tokens fresh across processes
//! ([`tokens`]), health probes ([`health`]), the scheduler that runs both
//! ([`scheduler`]), what the portal shows and does ([`portal`]), the
//! environment dashboard's aggregates ([`dashboard`]), and the state machine
//! every change of health goes through ([`state`]).

mod app;
pub mod dashboard;
pub mod error;
pub mod handshake;
pub mod health;
pub mod links;
pub mod portal;
pub mod scheduler;
pub mod state;
pub mod tokens;

pub use error::ConnectionError;
pub use state::{ConnectionState, Event, Health};

use crate::accounts::{ConnectionId, WorkspaceId};
use crate::crypto::{Aad, KeyRing, Sealed, SecretString};

/// Which of a connection's two tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenColumn {
    Access,
    Refresh,
}

impl TokenColumn {
    fn name(self) -> &'static str {
        match self {
            TokenColumn::Access => "access_token",
            TokenColumn::Refresh => "refresh_token",
        }
    }
}

/// Seals a token bound to its workspace, connection and column: a ciphertext
/// copied to another connection (or the other column) does not open.
pub fn seal_token(
    keys: &KeyRing,
    workspace_id: &WorkspaceId,
    id: &ConnectionId,
    column: TokenColumn,
    token: &SecretString,
) -> Result<String, crate::crypto::CryptoError> {
    let row = format!("{workspace_id}/{id}");
    let sealed = keys.seal_str(
        token.expose(),
        Aad {
            table: "connections",
            column: column.name(),
            row: &row,
        },
    )?;
    Ok(sealed.as_stored().to_owned())
}

pub fn open_token(
    keys: &KeyRing,
    workspace_id: &WorkspaceId,
    id: &ConnectionId,
    column: TokenColumn,
    stored: &str,
) -> Result<SecretString, crate::crypto::CryptoError> {
    let row = format!("{workspace_id}/{id}");
    keys.open_str(
        &Sealed::from_stored(stored.to_owned()),
        Aad {
            table: "connections",
            column: column.name(),
            row: &row,
        },
    )
}

/// A stored connection's state. The column's check constraint allows only the
/// five names.
pub(crate) fn state_of(row: &crate::db::repo::connections::ConnectionRow) -> ConnectionState {
    ConnectionState {
        health: row.health,
        reason: row.health_reason.clone(),
        since: row.health_since,
    }
}

/// Uniform jitter: `base` scaled by a random factor in `1 ± spread`.
pub(crate) fn jittered(base_ms: i64, spread: f64) -> i64 {
    use rand::Rng;
    let factor = rand::thread_rng().gen_range((1.0 - spread)..=(1.0 + spread));
    (base_ms as f64 * factor) as i64
}
