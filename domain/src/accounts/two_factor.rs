//! Two-factor sign-in with TOTP (RFC 6238, 6 digits, 30-second steps, one step
//! of clock skew either way): enrolment confirmed by a first code, single-use
//! recovery codes, checking a code at sign-in (each step works once), turning
//! it off with the password, and owners requiring it for their workspace.
//!
//! The secret is sealed with the key ring, bound to its operator; recovery
//! codes are stored only as SHA-256. Neither is ever in a log line or an audit
//! record.

use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::access::Actor;
use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::error::AccountsError;
use super::ids::{OperatorId, SignInId};
use super::password::Hasher;
use super::throttle;
use crate::crypto::{Aad, KeyRing, Sealed, SecretString};
use crate::db::repo::{operators, two_factor as repo};
use crate::db::{Db, now_ms};

/// How the authenticator app lists pinbridge.
const ISSUER: &str = "pinbridge";
/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// Recovery code characters: lower-case letters and digits without look-alikes.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn aad(operator: &OperatorId) -> Aad<'_> {
    Aad {
        table: "operator_totp",
        column: "secret_sealed",
        row: operator.as_str(),
    }
}

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp, AccountsError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::new(secret.into_boxed_slice()))
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AccountsError::TwoFactorSetup(e.to_string()))
}

/// An enrolment waiting for its first code: what the authenticator app needs.
pub struct Enrolment {
    /// The secret in base32, for typing into the app.
    pub secret: SecretString,
    /// The `otpauth://` URL the QR code holds.
    pub url: SecretString,
}

/// The operator's two-factor state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: u32,
}

pub async fn status(db: &Db, operator: &OperatorId) -> Result<Status, AccountsError> {
    let enabled = repo::find(db, operator)
        .await?
        .is_some_and(|r| r.confirmed_at.is_some());
    let left = if enabled {
        repo::recovery_codes_left(db, operator).await?
    } else {
        0
    };
    Ok(Status {
        enabled,
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
    })
}

pub async fn is_enabled(db: &Db, operator: &OperatorId) -> Result<bool, AccountsError> {
    Ok(status(db, operator).await?.enabled)
}

async fn opened(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
    row: &repo::TotpRow,
) -> Result<Totp, AccountsError> {
    let secret = keys
        .open(
            &Sealed::from_stored(row.secret_sealed.clone()),
            aad(operator),
        )
        .map_err(|e| AccountsError::TwoFactorSetup(e.to_string()))?;
    let email = operators::find(db, operator)
        .await?
        .map(|o| o.email)
        .unwrap_or_default();
    totp(secret.to_vec(), &email)
}

fn enrolment_of(t: &Totp) -> Result<Enrolment, AccountsError> {
    Ok(Enrolment {
        secret: SecretString::new(t.secret().to_base32()),
        url: SecretString::new(
            t.to_url()
                .map_err(|e| AccountsError::TwoFactorSetup(e.to_string()))?,
        ),
    })
}

/// Starts (or restarts) enrolment with a new secret; `TwoFactorAlreadyOn` when
/// it is on. Nothing changes at sign-in until [`confirm`].
pub async fn begin(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
) -> Result<Enrolment, AccountsError> {
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill(&mut secret[..]);
    let sealed = keys
        .seal(&secret, aad(operator))
        .map_err(|e| AccountsError::TwoFactorSetup(e.to_string()))?;
    if !repo::put_unconfirmed(db, operator, sealed.as_stored(), now_ms()).await? {
        return Err(AccountsError::TwoFactorAlreadyOn);
    }
    let email = operators::find(db, operator)
        .await?
        .map(|o| o.email)
        .unwrap_or_default();
    enrolment_of(&totp(secret, &email)?)
}

/// The enrolment waiting for its first code, if there is one.
pub async fn pending(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
) -> Result<Option<Enrolment>, AccountsError> {
    match repo::find(db, operator).await? {
        Some(row) if row.confirmed_at.is_none() => Ok(Some(enrolment_of(
            &opened(db, keys, operator, &row).await?,
        )?)),
        _ => Ok(None),
    }
}

/// Only digits (spaces and dashes typed between them are ignored), six of them.
fn parse_code(code: &str) -> Result<String, AccountsError> {
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(AccountsError::TwoFactorCodeMalformed)
    }
}

fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1_000).unwrap_or(0)
}

/// Turns two-factor sign-in on with the first code from the app, and answers
/// the recovery codes (shown once; only their hashes are kept).
pub async fn confirm(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<SecretString>, AccountsError> {
    let code = parse_code(code)?;
    let row = match repo::find(db, operator).await? {
        Some(row) if row.confirmed_at.is_none() => row,
        Some(_) => return Err(AccountsError::TwoFactorAlreadyOn),
        None => return Err(AccountsError::TwoFactorNotStarted),
    };
    let t = opened(db, keys, operator, &row).await?;
    let step = t
        .check(&code, now_secs())
        .ok_or(AccountsError::TwoFactorCodeWrong)?;
    let codes: Vec<SecretString> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c.expose())).collect();
    let mut tx = db.begin().await?;
    if !repo::confirm(
        &mut tx,
        operator,
        i64::try_from(step).unwrap_or(i64::MAX),
        now_ms(),
        &hashes,
    )
    .await?
    {
        return Err(AccountsError::TwoFactorAlreadyOn);
    }
    tx.commit().await?;
    audit::append_for_operator(
        db,
        operator,
        AuditAction::TwoFactorEnabled,
        detail([]),
        meta,
    )
    .await?;
    Ok(codes)
}

fn recovery_code() -> SecretString {
    let mut rng = rand::thread_rng();
    let mut text = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            text.push('-');
        }
        text.push(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char);
    }
    SecretString::new(text)
}

/// A recovery code as typed, normalised (case, dashes and spaces ignored), hashed.
fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// What a second factor proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    Code,
    /// A recovery code, now used up.
    RecoveryCode {
        left: u32,
    },
}

/// Checks a code typed at sign-in: a TOTP code (each 30-second step works
/// once) or an unused recovery code (used up by this). The caller then
/// records the sign-in (`sign_in::record_signed_in`).
pub async fn verify(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
    code: &str,
    meta: &RequestMeta,
) -> Result<Verified, AccountsError> {
    let row = match repo::find(db, operator).await? {
        Some(row) if row.confirmed_at.is_some() => row,
        _ => return Err(AccountsError::TwoFactorNotStarted),
    };
    // Counted before it is checked, per account and not per client: whoever
    // types codes here knew the password, and a six-digit code must not be
    // guessable by starting the sign-in over from many addresses.
    if let Err(throttle::Wait { retry_after_ms }) =
        throttle::reserve_code(db, operator.as_str(), now_ms()).await?
    {
        let secs = u64::try_from(retry_after_ms).unwrap_or(0).div_ceil(1_000);
        return Err(AccountsError::Throttled {
            retry_after_secs: secs.max(1),
        });
    }
    let verified = check_code(db, keys, operator, &row, code, meta).await?;
    throttle::code_passed(db, operator.as_str()).await?;
    Ok(verified)
}

async fn check_code(
    db: &Db,
    keys: &KeyRing,
    operator: &OperatorId,
    row: &repo::TotpRow,
    code: &str,
    meta: &RequestMeta,
) -> Result<Verified, AccountsError> {
    let typed = code.trim();
    let looks_like_recovery = typed.chars().filter(char::is_ascii_alphanumeric).count() == 10;
    if looks_like_recovery {
        if !repo::use_recovery_code(db, operator, &recovery_hash(typed), now_ms()).await? {
            return Err(AccountsError::TwoFactorCodeWrong);
        }
        let left = u32::try_from(repo::recovery_codes_left(db, operator).await?).unwrap_or(0);
        audit::append_for_operator(
            db,
            operator,
            AuditAction::RecoveryCodeUsed,
            detail([("recovery_codes_left", left.into())]),
            meta,
        )
        .await?;
        return Ok(Verified::RecoveryCode { left });
    }
    let code = parse_code(typed)?;
    let t = opened(db, keys, operator, row).await?;
    let step = t
        .check(&code, now_secs())
        .ok_or(AccountsError::TwoFactorCodeWrong)?;
    if !repo::use_step(db, operator, i64::try_from(step).unwrap_or(i64::MAX)).await? {
        return Err(AccountsError::TwoFactorCodeUsed);
    }
    Ok(Verified::Code)
}

/// Records a wrong code at sign-in (the person knew the password).
pub async fn record_failure(
    db: &Db,
    operator: &OperatorId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    audit::append_for_operator(db, operator, AuditAction::TwoFactorFailed, detail([]), meta).await
}

/// Turns two-factor sign-in off, given the password; refused while a
/// workspace of the operator requires it.
pub async fn disable(
    db: &Db,
    hasher: &Hasher,
    operator: &OperatorId,
    sign_in: &SignInId,
    password: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    super::sessions::verify_current(db, hasher, operator, sign_in, password).await?;
    let requiring = repo::requiring_workspaces(db, operator).await?;
    if !requiring.is_empty() {
        return Err(AccountsError::TwoFactorRequiredBy {
            workspaces: requiring.join(", "),
        });
    }
    if !is_enabled(db, operator).await? {
        repo::delete(db, operator).await?;
        return Ok(());
    }
    repo::delete(db, operator).await?;
    audit::append_for_operator(
        db,
        operator,
        AuditAction::TwoFactorDisabled,
        detail([]),
        meta,
    )
    .await
}

/// Names of the operator's workspaces that require two-factor sign-in.
pub async fn required_by(db: &Db, operator: &OperatorId) -> Result<Vec<String>, AccountsError> {
    Ok(repo::requiring_workspaces(db, operator).await?)
}

/// Whether the workspace requires two-factor sign-in of its members.
pub async fn workspace_requires(
    db: &Db,
    workspace: &super::ids::WorkspaceId,
) -> Result<bool, AccountsError> {
    Ok(repo::workspace_requires(db, workspace.as_str()).await?)
}

/// Owners require (or stop requiring) two-factor sign-in in their workspace.
/// An owner must have it on to require it, so they are not locked out.
pub async fn set_workspace_requirement(
    db: &Db,
    actor: &Actor,
    required: bool,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    actor.require_manage_members()?;
    if required && !is_enabled(db, actor.operator_id()).await? {
        return Err(AccountsError::TwoFactorNeededToRequire);
    }
    let mut tx = db.begin().await?;
    repo::set_workspace_requires(&mut tx, actor.workspace_id().as_str(), required).await?;
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: None,
        actor: AuditActor::from(actor),
        action: AuditAction::TwoFactorRequirementChanged,
        target: "two-factor sign-in".to_owned(),
        detail: detail([("required", required.into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_recovery_codes_normalise() {
        assert_eq!(parse_code(" 123 456 ").unwrap(), "123456");
        assert!(parse_code("12345").is_err());
        assert!(parse_code("abcdef").is_err());
        let code = recovery_code();
        assert_eq!(code.expose().len(), 11);
        assert_eq!(
            recovery_hash(code.expose()),
            recovery_hash(&code.expose().to_uppercase().replace('-', " "))
        );
    }
}
