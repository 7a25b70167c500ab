//! Start-up check that the configured key ring can open what the database holds.

use super::crypto::{Aad, KeyId, KeyRing};
use super::db::{Db, DbError, now_ms, repo::key_canaries};

const CANARY: &[u8] = b"pinbridge key canary";

fn canary_aad(key_id: &str) -> Aad<'_> {
    Aad {
        table: "key_canaries",
        column: "sealed",
        row: key_id,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "stored secrets were sealed with key id {0}, which is not in the key ring; add that key back (keys are `id:base64`, the first encrypts)"
    )]
    MissingKey(String),
    #[error(
        "key {0} in the key ring is not the key that sealed the stored secrets (same id, different key material)"
    )]
    WrongKey(String),
    #[error("{0}")]
    Db(#[from] DbError),
}

/// Opens every key's canary with `ring`. Read-only.
pub async fn check_canaries(db: &Db, ring: &KeyRing) -> Result<(), KeyCheckError> {
    for row in key_canaries::list(db).await? {
        let id =
            KeyId::parse(&row.key_id).map_err(|_| KeyCheckError::MissingKey(row.key_id.clone()))?;
        if !ring.contains(&id) {
            return Err(KeyCheckError::MissingKey(row.key_id));
        }
        match ring.open(&row.sealed(), canary_aad(&row.key_id)) {
            Ok(plain) if plain.as_slice() == CANARY => {}
            _ => return Err(KeyCheckError::WrongKey(row.key_id)),
        }
    }
    Ok(())
}

/// Records a canary for the ring's primary key if it has none yet. Call after the
/// key itself is safely stored, never before.
pub async fn record_primary(db: &Db, ring: &KeyRing) -> Result<(), KeyCheckError> {
    let primary = ring.primary_id().as_str();
    let sealed = ring
        .seal(CANARY, canary_aad(primary))
        .map_err(|_| KeyCheckError::WrongKey(primary.to_owned()))?;
    key_canaries::insert_if_missing(db, primary, &sealed, now_ms()).await?;
    Ok(())
}
