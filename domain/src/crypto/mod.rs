//! Secrets at rest: the key ring, sealed values and in-memory secrets.

mod keyring;
mod secret;

pub use keyring::{Aad, CryptoError, KeyId, KeyRing, KeyRingError, KeySpec, Sealed};
pub use secret::{SecretString, fingerprint_of};
