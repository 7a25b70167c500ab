//! Signing the Standard Webhooks way: the secret is `whsec_` and the base64 of
//! random bytes; the signature of a message is
//! `v1,<base64 of HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")>`, and
//! the `webhook-signature` header holds one or more, separated by spaces.
//! Secrets are sealed at rest, bound to their endpoint and column.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::accounts::{WebhookEndpointId, WorkspaceId};
use crate::crypto::{Aad, CryptoError, KeyRing, Sealed, SecretString};

const PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the standard asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A new signing secret.
pub fn generate() -> SecretString {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    SecretString::new(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// One signature, `v1,<base64>`; `None` for a secret that is not `whsec_`
/// and base64 (never stored by pinbridge).
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD
        .decode(secret.expose().strip_prefix(PREFIX)?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Which of an endpoint's two secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretColumn {
    Current,
    Previous,
}

impl SecretColumn {
    fn name(self) -> &'static str {
        match self {
            Self::Current => "secret",
            Self::Previous => "previous_secret",
        }
    }
}

fn aad<'a>(column: SecretColumn, row: &'a str) -> Aad<'a> {
    Aad {
        table: "webhook_endpoints",
        column: column.name(),
        row,
    }
}

/// Seals a secret bound to its workspace, endpoint and column.
pub fn seal(
    keys: &KeyRing,
    workspace_id: &WorkspaceId,
    id: &WebhookEndpointId,
    column: SecretColumn,
    secret: &SecretString,
) -> Result<String, CryptoError> {
    let row = format!("{workspace_id}/{id}");
    Ok(keys
        .seal_str(secret.expose(), aad(column, &row))?
        .as_stored()
        .to_owned())
}

pub fn open(
    keys: &KeyRing,
    workspace_id: &WorkspaceId,
    id: &WebhookEndpointId,
    column: SecretColumn,
    stored: &str,
) -> Result<SecretString, CryptoError> {
    let row = format!("{workspace_id}/{id}");
    keys.open_str(&Sealed::from_stored(stored.to_owned()), aad(column, &row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = SecretString::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        let signature = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn new_secrets_are_random_whsec_and_sign() {
        let (a, b) = (generate(), generate());
        assert!(a.expose().starts_with("whsec_"));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(STANDARD.decode(&a.expose()[6..]).unwrap().len(), 32);
        let one = sign(&a, "id", 1, b"{}").unwrap();
        assert_ne!(Some(one.clone()), sign(&b, "id", 1, b"{}"));
        assert_ne!(Some(one), sign(&a, "id", 2, b"{}"));
        assert_eq!(
            sign(&SecretString::new("plain".into()), "id", 1, b"{}"),
            None
        );
    }
}
