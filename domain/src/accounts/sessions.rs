//! An operator's sign-ins, one per browser: started at sign-in, checked on
//! every request (ended, or past the absolute lifetime, means signed out),
//! listed and ended by the operator, ended elsewhere by a password change.
//! The password change and re-authentication live here too: both end or
//! renew sign-ins.

use super::audit::{self, AuditAction, RequestMeta, detail};
use super::email::Email;
use super::error::AccountsError;
use super::ids::{OperatorId, SignInId};
use super::password::{Hasher, NewPassword};
use super::policy::AccountPolicy;
pub use crate::db::repo::operator_sessions::OperatorSessionRow;
use crate::db::repo::{operator_sessions, operators};
use crate::db::{Db, now_ms};

/// Activity is written at most this often per sign-in.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Longest user agent kept with a sign-in.
const USER_AGENT_MAX: usize = 512;

/// A sign-in that is still good.
#[derive(Clone, Debug)]
pub struct ActiveSignIn {
    pub id: SignInId,
    pub signed_in_at: i64,
    /// When the password was last entered in this sign-in.
    pub authenticated_at: i64,
}

impl ActiveSignIn {
    /// Whether the most sensitive actions need the password again now.
    pub fn needs_reauthentication(&self, policy: &AccountPolicy) -> bool {
        now_ms().saturating_sub(self.authenticated_at) > policy.reauth_after_ms()
    }

    /// `ReauthenticationRequired` when [`Self::needs_reauthentication`].
    pub fn require_recent(&self, policy: &AccountPolicy) -> Result<(), AccountsError> {
        if self.needs_reauthentication(policy) {
            Err(AccountsError::ReauthenticationRequired {
                after: super::policy::describe(policy.reauth_after),
            })
        } else {
            Ok(())
        }
    }
}

/// Records a new sign-in of `operator` (the password was just entered), and
/// forgets sign-ins that ended by time.
pub async fn start(
    db: &Db,
    operator: &OperatorId,
    policy: &AccountPolicy,
    meta: &RequestMeta,
) -> Result<SignInId, AccountsError> {
    let now = now_ms();
    operator_sessions::delete_stale(
        db,
        now.saturating_sub(policy.session_lifetime_ms()),
        now.saturating_sub(policy.session_idle_ms()),
    )
    .await?;
    let row = OperatorSessionRow {
        id: SignInId::generate(),
        operator_id: operator.clone(),
        signed_in_at: now,
        authenticated_at: now,
        last_seen_at: now,
        ip: meta.ip.clone(),
        user_agent: meta
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect()),
    };
    operator_sessions::insert(db, &row).await?;
    Ok(row.id)
}

/// The sign-in `id` of `operator` if it still holds: not ended, and not older
/// than the policy's session lifetime (an older one is ended here).
pub async fn check(
    db: &Db,
    id: &SignInId,
    operator: &OperatorId,
    policy: &AccountPolicy,
) -> Result<Option<ActiveSignIn>, AccountsError> {
    let Some(row) = operator_sessions::find(db, id, operator).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if now.saturating_sub(row.signed_in_at) >= policy.session_lifetime_ms() {
        operator_sessions::delete(db, id, operator).await?;
        return Ok(None);
    }
    // Most requests come within a minute of the last one: no write for them.
    if now.saturating_sub(row.last_seen_at) >= TOUCH_EVERY_MS {
        operator_sessions::touch(db, id, now, TOUCH_EVERY_MS).await?;
    }
    Ok(Some(ActiveSignIn {
        id: row.id,
        signed_in_at: row.signed_in_at,
        authenticated_at: row.authenticated_at,
    }))
}

/// The operator's sign-ins still within the lifetime, newest first.
pub async fn list(
    db: &Db,
    operator: &OperatorId,
    policy: &AccountPolicy,
) -> Result<Vec<OperatorSessionRow>, AccountsError> {
    let after = now_ms().saturating_sub(policy.session_lifetime_ms());
    Ok(operator_sessions::list(db, operator, after).await?)
}

/// Ends one of the operator's own sign-ins; `NotFound` for any other id
/// (another operator's included).
pub async fn end(
    db: &Db,
    operator: &OperatorId,
    id: &SignInId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    if !operator_sessions::delete(db, id, operator).await? {
        return Err(AccountsError::NotFound);
    }
    audit::append_for_operator(db, operator, AuditAction::SessionEnded, detail([]), meta).await
}

/// Ends every sign-in of the operator but `keep`; answers how many ended.
pub async fn end_others(
    db: &Db,
    operator: &OperatorId,
    keep: &SignInId,
    meta: &RequestMeta,
) -> Result<u64, AccountsError> {
    let ended = operator_sessions::delete_all_but(db, operator, Some(keep)).await?;
    audit::append_for_operator(
        db,
        operator,
        AuditAction::OtherSessionsEnded,
        detail([("ended", ended.into())]),
        meta,
    )
    .await?;
    Ok(ended)
}

/// A short fingerprint of the operator's current password hash: a sign-in
/// waiting for its two-factor code keeps it, so a password change in between
/// makes that sign-in start over.
pub async fn password_stamp(db: &Db, operator: &OperatorId) -> Result<String, AccountsError> {
    use sha2::{Digest, Sha256};
    let hash = operators::password_hash(db, operator)
        .await?
        .ok_or(AccountsError::NotFound)?;
    Ok(hex::encode(&Sha256::digest(hash.as_phc().as_bytes())[..8]))
}

/// Forgets the sign-in at sign-out (the sign-out itself is audited there).
pub async fn forget(db: &Db, operator: &OperatorId, id: &SignInId) -> Result<(), AccountsError> {
    operator_sessions::delete(db, id, operator).await?;
    Ok(())
}

/// Wrong passwords a sign-in may type (changing the password, confirming an
/// action, turning two-factor off) before it is ended: a stolen session cookie
/// must not become a way to guess the password without limit.
pub const PASSWORD_ATTEMPTS: i64 = 5;

/// Checks `password` typed in sign-in `sign_in` against the operator's:
/// `WrongCurrentPassword` if it is not, and the sign-in ends at the
/// [`PASSWORD_ATTEMPTS`]th wrong one (`SignedOutAfterWrongPasswords`).
pub(crate) async fn verify_current(
    db: &Db,
    hasher: &Hasher,
    operator: &OperatorId,
    sign_in: &SignInId,
    password: &str,
) -> Result<(), AccountsError> {
    let hash = operators::password_hash(db, operator)
        .await?
        .ok_or(AccountsError::NotFound)?;
    if !password.is_empty() && hasher.verify(password, &hash).await? {
        operator_sessions::reset_password_failures(db, sign_in).await?;
        return Ok(());
    }
    if operator_sessions::record_password_failure(db, sign_in).await? >= PASSWORD_ATTEMPTS {
        operator_sessions::delete(db, sign_in, operator).await?;
        return Err(AccountsError::SignedOutAfterWrongPasswords);
    }
    Err(AccountsError::WrongCurrentPassword)
}

/// The password entered again in sign-in `id`: the most sensitive actions are
/// allowed for another while.
pub async fn reauthenticate(
    db: &Db,
    hasher: &Hasher,
    operator: &OperatorId,
    id: &SignInId,
    password: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    verify_current(db, hasher, operator, id, password).await?;
    operator_sessions::set_authenticated_at(db, id, now_ms()).await?;
    audit::append_for_operator(db, operator, AuditAction::Reauthenticated, detail([]), meta).await
}

/// Changes the operator's password, given the current one, and ends every
/// other sign-in; `keep` (the sign-in asking) continues. Answers how many
/// sign-ins ended. Nothing changes when the current password is wrong or the
/// new one is refused.
pub async fn change_password(
    db: &Db,
    hasher: &Hasher,
    operator: &OperatorId,
    keep: &SignInId,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<u64, AccountsError> {
    let row = operators::find(db, operator)
        .await?
        .ok_or(AccountsError::NotFound)?;
    let email = Email::parse(&row.email)?;
    let new = NewPassword::parse(new, &email, None)?;
    verify_current(db, hasher, operator, keep, current).await?;
    let hash = hasher.hash(&new).await?;
    operators::set_password_hash(db, operator, &hash).await?;
    let ended = operator_sessions::delete_all_but(db, operator, Some(keep)).await?;
    operator_sessions::set_authenticated_at(db, keep, now_ms()).await?;
    audit::append_for_operator(
        db,
        operator,
        AuditAction::PasswordChanged,
        detail([("sessions_ended", ended.into())]),
        meta,
    )
    .await?;
    Ok(ended)
}
