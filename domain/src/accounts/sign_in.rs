//! Checking a sign-in attempt: throttling, password verification that takes
//! the same time for an unknown email, failure counting and auditing. Sessions
//! themselves belong to the layer above.

use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::email::Email;
use super::error::AccountsError;
use super::ids::OperatorId;
use super::input::{Field, InvalidInput};
use super::password::{Hasher, PASSWORD_MAX};
use super::throttle;
use crate::db::repo::{memberships, operators};
use crate::db::{Db, now_ms};

/// A right password: the operator, and whether a two-factor code must follow
/// before they are signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordAccepted {
    pub operator: OperatorId,
    pub code_needed: bool,
}

/// Verifies an email and password. A malformed email or an overlong password
/// is refused before any database or hashing work. The attempt is then counted
/// (see [`throttle`]); past the allowance it gets `Throttled` without a
/// verification. Every wrong combination, unknown email or not, gets
/// `InvalidCredentials` after a full-cost verification; when every hashing
/// slot is taken, `Hashing(Busy)` (the attempt is given back).
pub async fn sign_in(
    db: &Db,
    hasher: &Hasher,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<PasswordAccepted, AccountsError> {
    let key = Email::parse(email)?.to_string();
    if password.is_empty() {
        return Err(InvalidInput::Required {
            field: Field::Password,
        }
        .into());
    }
    let length = password.chars().count();
    if length > PASSWORD_MAX {
        return Err(InvalidInput::TooLong {
            field: Field::Password,
            max: PASSWORD_MAX,
            actual: length,
        }
        .into());
    }
    let now = now_ms();
    let reservation = match throttle::reserve(db, &key, meta.ip.as_deref(), now).await? {
        Ok(reservation) => reservation,
        Err(throttle::Wait { retry_after_ms }) => {
            let secs = u64::try_from(retry_after_ms).unwrap_or(0).div_ceil(1_000);
            return Err(AccountsError::Throttled {
                retry_after_secs: secs.max(1),
            });
        }
    };
    let credentials = operators::credentials_by_email(db, &key).await?;
    let verified = match hasher
        .verify_or_dummy(password, credentials.as_ref().map(|(_, hash)| hash))
        .await
    {
        Ok(verified) => verified,
        Err(err) => {
            // Nothing was checked: the attempt does not count.
            throttle::not_tried(db, reservation).await?;
            return Err(err.into());
        }
    };
    let operator_id = credentials.map(|(id, _)| id);
    match (verified, operator_id) {
        (true, Some(id)) => {
            throttle::succeeded(db, reservation).await?;
            // With two-factor sign-in, the sign-in happens (and is recorded)
            // once the code is given (the portal calls `record_signed_in`).
            let code_needed = super::two_factor::is_enabled(db, &id).await?;
            if !code_needed {
                record_signed_in(db, &id, meta).await?;
            }
            Ok(PasswordAccepted {
                operator: id,
                code_needed,
            })
        }
        (_, known) => {
            throttle::failed(db, now).await?;
            if let Some(id) = known {
                // Whoever typed the password is not known to be the operator,
                // so the record names the account as target, not as actor.
                let actor = AuditActor {
                    operator_id: None,
                    label: "unauthenticated".to_owned(),
                };
                audit_each_workspace(db, &id, actor, &key, AuditAction::SignInFailed, meta).await?;
            }
            Err(AccountsError::InvalidCredentials)
        }
    }
}

/// Records a completed sign-in in each of the operator's workspaces.
pub async fn record_signed_in(
    db: &Db,
    operator_id: &OperatorId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    record_by_operator(db, operator_id, AuditAction::SignedIn, meta).await
}

/// Records a sign-out in each of the operator's workspaces.
pub async fn record_sign_out(
    db: &Db,
    operator_id: &OperatorId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    record_by_operator(db, operator_id, AuditAction::SignedOut, meta).await
}

/// `action`, by the operator on themselves, in each of their workspaces.
async fn record_by_operator(
    db: &Db,
    operator_id: &OperatorId,
    action: AuditAction,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let Some(operator) = operators::find(db, operator_id).await? else {
        return Ok(());
    };
    let actor = AuditActor {
        operator_id: Some(operator_id.clone()),
        label: operator.email.clone(),
    };
    audit_each_workspace(db, operator_id, actor, &operator.email, action, meta).await
}

/// Sign-ins concern the operator, not one workspace: each workspace they belong
/// to gets the record, so each one's owners see activity on their members.
async fn audit_each_workspace(
    db: &Db,
    operator_id: &OperatorId,
    actor: AuditActor,
    target: &str,
    action: AuditAction,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    for workspace_id in memberships::workspace_ids_of(db, operator_id).await? {
        let event = NewAuditEvent {
            workspace_id,
            environment_id: None,
            actor: actor.clone(),
            action,
            target: target.to_owned(),
            detail: detail([]),
        };
        audit::append(db, event, meta).await?;
    }
    Ok(())
}
