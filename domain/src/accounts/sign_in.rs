//! Checking a sign-in attempt: throttling, password verification that takes
//! the same time for an unknown email, failure counting and auditing. Sessions
//! themselves belong to the layer above.

use super::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use super::email::Email;
use super::error::AccountsError;
use super::ids::OperatorId;
use super::password::Hasher;
use super::throttle::{self, Verdict};
use crate::db::repo::{memberships, operators};
use crate::db::{Db, now_ms};

/// Verifies an email and password. Every wrong combination, unknown email or
/// not, gets `InvalidCredentials` after a full-cost verification; repeated
/// failures for the email or the IP get `Throttled` without one.
pub async fn sign_in(
    db: &Db,
    hasher: &Hasher,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<OperatorId, AccountsError> {
    let now = now_ms();
    // Throttle by what was typed, normalised, even when it is not an address.
    let key = Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |e| e.to_string());
    if let Verdict::Wait { retry_after_ms } =
        throttle::check(db, &key, meta.ip.as_deref(), now).await?
    {
        let secs = u64::try_from(retry_after_ms).unwrap_or(0).div_ceil(1_000);
        return Err(AccountsError::Throttled {
            retry_after_secs: secs.max(1),
        });
    }
    let credentials = operators::credentials_by_email(db, &key).await?;
    let verified = hasher
        .verify_or_dummy(password, credentials.as_ref().map(|(_, hash)| hash))
        .await?;
    let operator_id = credentials.map(|(id, _)| id);
    match (verified, operator_id) {
        (true, Some(id)) => {
            throttle::forget_email(db, &key).await?;
            let actor = AuditActor {
                operator_id: Some(id.clone()),
                label: key.clone(),
            };
            audit_each_workspace(db, &id, actor, &key, AuditAction::SignedIn, meta).await?;
            Ok(id)
        }
        (_, known) => {
            throttle::record_failure(db, &key, meta.ip.as_deref(), now).await?;
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

/// Records a sign-out in each of the operator's workspaces.
pub async fn record_sign_out(
    db: &Db,
    operator_id: &OperatorId,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let Some(operator) = operators::find(db, operator_id).await? else {
        return Ok(());
    };
    let actor = AuditActor {
        operator_id: Some(operator_id.clone()),
        label: operator.email.clone(),
    };
    let target = operator.email;
    audit_each_workspace(
        db,
        operator_id,
        actor,
        &target,
        AuditAction::SignedOut,
        meta,
    )
    .await
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
