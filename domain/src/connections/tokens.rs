//! Keeping a connection's tokens fresh, correctly across processes.
//!
//! Whoever refreshes holds the connection's **lease** (`lease_owner`,
//! `lease_until`), taken with one conditional update so that of any number of
//! processes exactly one gets it; each grant increments `lease_fence`, and a
//! holder writes state only while the fence is still its own. The tokens
//! themselves are written only over the `token_version` the refresh read: a
//! refresh token works once (Pinterest rotates it), so if the version moved,
//! another refresh already stored the live pair and ours must not overwrite it.
//! The new access and refresh tokens are written in one statement.
//!
//! A refused refresh is checked against the row again before the connection is
//! declared `needs_reauth`: if the version moved meanwhile, our refresh token
//! was simply stale. 5xx, 429 and timeouts make the connection `degraded` and
//! schedule a retry with exponential backoff and jitter, never `needs_reauth`.

use std::time::Duration;

use super::error::ConnectionError;
use super::state::{ConnectionState, Event, Health};
use super::state_of;
use super::{TokenColumn, open_token, seal_token};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, detail};
use crate::accounts::{ConnectionId, RequestMeta};
use crate::crypto::SecretString;
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, ConnectionRow, RefreshFailed, StoreTokens};
use crate::db::tx::Tx;
use crate::pinterest::client::{self, FailureKind};
use crate::shared::Trigger;
use crate::webhooks::events::{self, Change, Subject};

/// First retry after a transient failure; doubles each time, up to [`BACKOFF_MAX_MS`].
pub const BACKOFF_BASE_MS: i64 = 30_000;
pub const BACKOFF_MAX_MS: i64 = 3600 * 1000;
/// Transient refresh failures in a row at which the backoff reaches its
/// ceiling (about an hour of trying): the `connection.refresh_failed` webhook
/// says so then, once. Refreshes go on hourly.
pub const GIVE_UP_AFTER: i64 = 8;
/// When to look again at a refresh that could not be tried (integration off).
pub const UNAVAILABLE_RETRY_MS: i64 = 3600 * 1000;
/// An on-demand caller gets a token valid for at least this long.
pub const MIN_VALIDITY_MS: i64 = 5 * 60 * 1000;

/// When to refresh a token that lives `expires_in_secs`: at about three quarters
/// of its life, ±5 % so a thousand connections made together do not all come due
/// in the same second.
pub fn next_refresh_at(now: i64, expires_in_secs: i64) -> i64 {
    now + super::jittered(expires_in_secs * 750, 0.05 / 0.75)
}

/// Exponential backoff with ±20 % jitter after `failures` transient failures in a row.
pub fn backoff_ms(failures: i64) -> i64 {
    let exp = failures.clamp(1, 20) - 1;
    let base = BACKOFF_BASE_MS
        .saturating_mul(1i64 << exp)
        .min(BACKOFF_MAX_MS);
    super::jittered(base, 0.2)
}

/// How long pinbridge waits for one answer from Pinterest.
fn timeout_ms(services: &Services) -> i64 {
    i64::try_from(services.config.pinterest_timeout.as_millis()).unwrap_or(60_000)
}

/// The longest one call to Pinterest can take, with room for the database
/// work around it.
fn call_ms(services: &Services) -> i64 {
    timeout_ms(services) + 5_000
}

/// How long a lease lasts: long enough for a token call that times out, twice.
pub fn lease_ms(services: &Services) -> i64 {
    call_ms(services) + timeout_ms(services)
}

/// What one refresh did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// New tokens are stored.
    Stored,
    /// Another process had already rotated the tokens; nothing to do.
    AlreadyDone,
    /// Pinterest refused the refresh token and nobody else had rotated it: the
    /// connection now needs re-authorization.
    Rejected { reason: String },
    /// Pinterest was unavailable: degraded, retried later.
    Transient { reason: String },
    /// The environment's integration is gone or disabled: nothing was tried.
    Unavailable,
    /// The lease lapsed and another process took the connection over: nothing
    /// was stored (and Pinterest was not asked when that was known in time).
    LeaseLost,
}

impl Refreshed {
    /// Its name in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::AlreadyDone => "already_done",
            Self::Rejected { .. } => "rejected",
            Self::Transient { .. } => "transient",
            Self::Unavailable => "unavailable",
            Self::LeaseLost => "lease_lost",
        }
    }
}

/// Refreshes a connection whose lease `row` holds (its `lease_fence` is ours).
/// `trigger` says why, for the audit log and metrics. The lease stays held.
pub async fn refresh_leased(
    services: &Services,
    row: &ConnectionRow,
    trigger: Trigger,
) -> Result<Refreshed, ConnectionError> {
    let result = refresh_under_lease(services, row, trigger).await;
    let outcome = result.as_ref().map_or("error", Refreshed::label);
    crate::metrics::refreshed(outcome, trigger);
    result
}

async fn refresh_under_lease(
    services: &Services,
    row: &ConnectionRow,
    trigger: Trigger,
) -> Result<Refreshed, ConnectionError> {
    let Some(stored_refresh) = row.refresh_token.as_deref() else {
        return Ok(Refreshed::Unavailable);
    };
    let Some(app) = super::app::enabled(services, &row.workspace_id, &row.environment_id).await?
    else {
        // The integration is disabled or gone: look again in an hour, not at
        // every scheduler round.
        rows::postpone_refresh(
            &services.db,
            &row.id,
            row.lease_fence,
            now_ms() + UNAVAILABLE_RETRY_MS,
        )
        .await?;
        return Ok(Refreshed::Unavailable);
    };
    // A refresh token works once: spend it only under a lease that outlasts
    // the call. One that ran short (a slow probe before this refresh) is
    // renewed; one another process took over meanwhile is left to it.
    let now = now_ms();
    if row.lease_until.unwrap_or(0) < now + call_ms(services)
        && !rows::extend_lease(
            &services.db,
            &row.id,
            row.lease_fence,
            now + lease_ms(services),
        )
        .await?
    {
        return Ok(Refreshed::LeaseLost);
    }
    let refresh_token = open_token(
        &services.keys,
        &row.workspace_id,
        &row.id,
        TokenColumn::Refresh,
        stored_refresh,
    )?;
    let token_url = services.config.token_url();
    let answer = client::refresh(
        &services.http,
        &app.credentials(services, &token_url),
        &refresh_token,
    )
    .await;
    drop(app);
    let now = now_ms();
    let before = state_of(row);
    match answer.result {
        Ok(tokens) => {
            let new_refresh = tokens.refresh_token.as_ref().unwrap_or(&refresh_token);
            let after = before.after(&Event::Succeeded, now);
            let granted = if tokens.scope.trim().is_empty() {
                row.scopes_granted.clone()
            } else {
                crate::pinterest::ScopeSet::from_granted(&tokens.scope).to_stored()
            };
            let store = StoreTokens {
                id: row.id.clone(),
                expected_version: row.token_version,
                fence: row.lease_fence,
                access_token: seal_token(
                    &services.keys,
                    &row.workspace_id,
                    &row.id,
                    TokenColumn::Access,
                    &tokens.access_token,
                )?,
                refresh_token: seal_token(
                    &services.keys,
                    &row.workspace_id,
                    &row.id,
                    TokenColumn::Refresh,
                    new_refresh,
                )?,
                access_expires_at: now + tokens.expires_in_secs * 1000,
                refresh_expires_at: tokens
                    .refresh_expires_in_secs
                    .map(|s| now + s * 1000)
                    .or(row.refresh_expires_at),
                scopes_granted: granted,
                now,
                next_refresh_at: next_refresh_at(now, tokens.expires_in_secs),
                health: after.health,
                health_reason: after.reason.clone(),
                health_since: after.since,
            };
            let mut tx = services.db.begin().await?;
            if !rows::store_tokens_tx(&mut tx, &store).await? {
                // Cannot happen while our lease held (nobody else refreshes); if
                // it lapsed, the other refresh stored the pair Pinterest now honours.
                tracing::warn!(connection = %row.id, "refresh stored nothing: the token version moved");
                return Ok(Refreshed::LeaseLost);
            }
            let mut d = detail([
                ("trigger", trigger.as_str().into()),
                ("latency_ms", answer.latency_ms.into()),
                ("access_expires_at", store.access_expires_at.into()),
            ]);
            let mut sent = false;
            if before.health != after.health {
                d.insert("health_before".into(), before.health.as_str().into());
                d.insert("health_after".into(), after.health.as_str().into());
                let subject = Subject::of(row, &after);
                let change = Change::StateChanged { before: &before };
                sent = events::emit_tx(&mut tx, &subject, change, now).await?;
            }
            audit::append_tx(
                &mut tx,
                NewAuditEvent {
                    workspace_id: row.workspace_id.clone(),
                    environment_id: Some(row.environment_id.clone()),
                    actor: AuditActor::system(),
                    action: AuditAction::ConnectionRefreshed,
                    target: format!("@{}", row.account_username),
                    detail: d,
                },
                &RequestMeta::default(),
            )
            .await?;
            // Last, so the hour's row is locked only for the commit.
            super::dashboard::refreshed_tx(
                &mut tx,
                &row.environment_id,
                true,
                answer.latency_ms,
                now,
            )
            .await?;
            tx.commit().await?;
            if sent {
                services.webhooks.wake();
            }
            Ok(Refreshed::Stored)
        }
        Err(failure) => {
            let reason = match failure.kind {
                FailureKind::Transient => format!("Refresh failed: {}", failure.summary),
                _ => format!(
                    "Pinterest refused the refresh token (HTTP {}{}): the end user must connect again.",
                    failure.http_status.unwrap_or_default(),
                    failure
                        .message
                        .as_deref()
                        .map(|m| format!(", \u{201c}{m}\u{201d}"))
                        .unwrap_or_default()
                ),
            };
            // Re-read before believing a refusal: did another process rotate meanwhile?
            let Some(fresh) = rows::find_by_id(&services.db, &row.id).await? else {
                return Ok(Refreshed::AlreadyDone);
            };
            if fresh.token_version != row.token_version {
                return Ok(Refreshed::AlreadyDone);
            }
            if fresh.lease_fence != row.lease_fence {
                return Ok(Refreshed::LeaseLost);
            }
            let (event, next, failures) = match failure.kind {
                FailureKind::Transient => {
                    let failures = row.refresh_failures + 1;
                    let wait = failure
                        .retry_after_secs
                        .map(|s| i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000))
                        .unwrap_or(0)
                        .max(backoff_ms(failures));
                    (
                        Event::Transient {
                            reason: reason.clone(),
                        },
                        Some(now + wait),
                        failures,
                    )
                }
                _ => (
                    Event::Rejected {
                        reason: reason.clone(),
                    },
                    None,
                    row.refresh_failures,
                ),
            };
            let after = before.after(&event, now);
            let mut tx = services.db.begin().await?;
            let written = rows::record_refresh_failure_tx(
                &mut tx,
                &RefreshFailed {
                    id: row.id.clone(),
                    fence: row.lease_fence,
                    expected_version: row.token_version,
                    health: after.health,
                    health_reason: after.reason.clone(),
                    health_since: after.since,
                    next_refresh_at: next,
                    failures,
                    error: failure.summary.clone(),
                },
            )
            .await?;
            if !written {
                return Ok(Refreshed::LeaseLost);
            }
            let mut sent = false;
            if after.health != before.health {
                sent |= state_changed_tx(&mut tx, row, &before, &after, trigger, now).await?;
            }
            // Given up on: Pinterest refused the refresh token, or transient
            // failures reached the backoff's ceiling (said once, when they do).
            let gave_up = match failure.kind {
                FailureKind::Transient => failures == GIVE_UP_AFTER,
                _ => before.health != Health::NeedsReauth,
            };
            if gave_up {
                let subject = Subject::of(row, &after);
                let change = Change::RefreshFailed {
                    reason: &reason,
                    failures,
                };
                sent |= events::emit_tx(&mut tx, &subject, change, now).await?;
            }
            super::dashboard::refreshed_tx(
                &mut tx,
                &row.environment_id,
                false,
                answer.latency_ms,
                now,
            )
            .await?;
            tx.commit().await?;
            if sent {
                services.webhooks.wake();
            }
            Ok(match failure.kind {
                FailureKind::Transient => Refreshed::Transient { reason },
                _ => Refreshed::Rejected { reason },
            })
        }
    }
}

/// Audits a change of health and writes its webhook event, in `tx`; answers
/// whether an endpoint receives the event.
pub(crate) async fn state_changed_tx(
    tx: &mut Tx,
    row: &ConnectionRow,
    before: &ConnectionState,
    after: &ConnectionState,
    trigger: Trigger,
    now: i64,
) -> Result<bool, ConnectionError> {
    audit::append_tx(
        tx,
        NewAuditEvent {
            workspace_id: row.workspace_id.clone(),
            environment_id: Some(row.environment_id.clone()),
            actor: AuditActor::system(),
            action: AuditAction::ConnectionStateChanged,
            target: format!("@{}", row.account_username),
            detail: detail([
                ("from", before.health.as_str().into()),
                ("to", after.health.as_str().into()),
                ("reason", after.reason.clone().into()),
                ("trigger", trigger.as_str().into()),
            ]),
        },
        &RequestMeta::default(),
    )
    .await?;
    let subject = Subject::of(row, after);
    let change = Change::StateChanged { before };
    Ok(events::emit_tx(tx, &subject, change, now).await?)
}

/// Why no access token could be handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    NotFound,
    /// Disconnected, needs re-authorization, or the grant lacks scopes.
    NotUsable {
        health: Health,
        reason: String,
    },
    /// Pinterest is unavailable and the stored token is about to expire.
    Unavailable {
        reason: String,
    },
    /// Another process held the lease for longer than a refresh can take.
    Busy,
}

/// This process's name in leases.
pub fn lease_owner() -> String {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER
        .get_or_init(|| {
            format!(
                "{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            )
        })
        .clone()
}

/// The stored access token, opened, if it is still valid at `valid_at`.
fn stored_token(
    services: &Services,
    row: &ConnectionRow,
    valid_at: i64,
) -> Result<Option<SecretString>, ConnectionError> {
    match (&row.access_token, row.access_expires_at) {
        (Some(stored), Some(expires)) if expires > valid_at => Ok(Some(open_token(
            &services.keys,
            &row.workspace_id,
            &row.id,
            TokenColumn::Access,
            stored,
        )?)),
        _ => Ok(None),
    }
}

/// A token valid for at least [`MIN_VALIDITY_MS`]: the stored one, or a new one
/// from a refresh that this call makes or waits for. Any number of callers in
/// any number of processes make at most one refresh between them.
pub async fn fresh_access_token(
    services: &Services,
    id: &ConnectionId,
) -> Result<Result<SecretString, TokenProblem>, ConnectionError> {
    Ok(fresh_token(services, id, MIN_VALIDITY_MS)
        .await?
        .map(|fresh| fresh.token))
}

/// An access token and the connection row it was read from (its expiry,
/// scopes and account).
pub struct FreshToken {
    pub token: SecretString,
    pub row: ConnectionRow,
}

/// As [`fresh_access_token`], valid for at least `min_valid_ms` (or for
/// [`MIN_VALIDITY_MS`] when even a new token lives less than asked: one
/// refresh per call at most, never a loop of them).
pub async fn fresh_token(
    services: &Services,
    id: &ConnectionId,
    min_valid_ms: i64,
) -> Result<Result<FreshToken, TokenProblem>, ConnectionError> {
    fresh_token_of(services, id, min_valid_ms, None).await
}

/// As [`fresh_token`], starting from `read`, the connection's row as the
/// caller just read it (saves reading it again when its token is good).
pub async fn fresh_token_of(
    services: &Services,
    id: &ConnectionId,
    min_valid_ms: i64,
    mut read: Option<ConnectionRow>,
) -> Result<Result<FreshToken, TokenProblem>, ConnectionError> {
    let deadline =
        std::time::Instant::now() + Duration::from_millis(lease_ms(services) as u64 + 1000);
    let owner = lease_owner();
    let mut margin = min_valid_ms.max(MIN_VALIDITY_MS);
    loop {
        let row = match read.take() {
            Some(row) => Some(row),
            None => rows::find_by_id(&services.db, id).await?,
        };
        let Some(row) = row else {
            return Ok(Err(TokenProblem::NotFound));
        };
        let health = row.health;
        if !health.usable() {
            return Ok(Err(TokenProblem::NotUsable {
                health,
                reason: row.health_reason,
            }));
        }
        let now = now_ms();
        if let Some(token) = stored_token(services, &row, now + margin)? {
            return Ok(Ok(FreshToken { token, row }));
        }
        if let Some(claimed) =
            rows::claim(&services.db, id, &owner, now, now + lease_ms(services)).await?
        {
            let outcome = if claimed.token_version == row.token_version {
                refresh_leased(services, &claimed, Trigger::OnDemand).await
            } else {
                Ok(Refreshed::AlreadyDone)
            };
            rows::release(&services.db, id, claimed.lease_fence).await?;
            match outcome? {
                Refreshed::Stored => {
                    margin = MIN_VALIDITY_MS;
                    continue;
                }
                Refreshed::AlreadyDone | Refreshed::LeaseLost => continue,
                Refreshed::Rejected { reason } => {
                    return Ok(Err(TokenProblem::NotUsable {
                        health: Health::NeedsReauth,
                        reason,
                    }));
                }
                Refreshed::Transient { reason } => {
                    // Pinterest is unavailable; a stored token that still works
                    // for a while is better than none.
                    if let Some(token) = stored_token(services, &row, now_ms() + 10_000)? {
                        return Ok(Ok(FreshToken { token, row }));
                    }
                    return Ok(Err(TokenProblem::Unavailable { reason }));
                }
                Refreshed::Unavailable => {
                    return Ok(Err(TokenProblem::Unavailable {
                        reason:
                            "The environment's Pinterest integration is disabled or not configured."
                                .into(),
                    }));
                }
            }
        }
        if std::time::Instant::now() > deadline {
            return Ok(Err(TokenProblem::Busy));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Pinterest refused the token of version `seen` (401, code 2): refreshes it,
/// unless another caller already did (the version moved on). Any number of
/// callers who saw the same refusal make one refresh between them.
pub async fn refresh_refused(
    services: &Services,
    id: &ConnectionId,
    seen: i64,
) -> Result<Result<(), TokenProblem>, ConnectionError> {
    let deadline =
        std::time::Instant::now() + Duration::from_millis(lease_ms(services) as u64 + 1000);
    let owner = lease_owner();
    loop {
        let Some(row) = rows::find_by_id(&services.db, id).await? else {
            return Ok(Err(TokenProblem::NotFound));
        };
        if row.token_version != seen {
            return Ok(Ok(()));
        }
        if !row.health.usable() {
            return Ok(Err(TokenProblem::NotUsable {
                health: row.health,
                reason: row.health_reason,
            }));
        }
        let now = now_ms();
        if let Some(claimed) =
            rows::claim(&services.db, id, &owner, now, now + lease_ms(services)).await?
        {
            let outcome = if claimed.token_version == seen {
                refresh_leased(services, &claimed, Trigger::OnDemand).await
            } else {
                Ok(Refreshed::AlreadyDone)
            };
            rows::release(&services.db, id, claimed.lease_fence).await?;
            return Ok(match outcome? {
                Refreshed::Stored | Refreshed::AlreadyDone | Refreshed::LeaseLost => Ok(()),
                Refreshed::Rejected { reason } => Err(TokenProblem::NotUsable {
                    health: Health::NeedsReauth,
                    reason,
                }),
                Refreshed::Transient { reason } => Err(TokenProblem::Unavailable { reason }),
                Refreshed::Unavailable => Err(TokenProblem::Unavailable {
                    reason:
                        "The environment's Pinterest integration is disabled or not configured."
                            .into(),
                }),
            });
        }
        if std::time::Instant::now() > deadline {
            return Ok(Err(TokenProblem::Busy));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// "Refresh now": refreshes whatever the token's age, unless the connection is
/// busy (another process is refreshing or probing it right now).
pub async fn refresh_now(
    services: &Services,
    row: &ConnectionRow,
) -> Result<Option<Refreshed>, ConnectionError> {
    let now = now_ms();
    let Some(claimed) = rows::claim(
        &services.db,
        &row.id,
        &lease_owner(),
        now,
        now + lease_ms(services),
    )
    .await?
    else {
        return Ok(None);
    };
    let outcome = refresh_leased(services, &claimed, Trigger::Operator).await;
    rows::release(&services.db, &row.id, claimed.lease_fence).await?;
    outcome.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for _ in 0..50 {
            let first = backoff_ms(1);
            assert!((24_000..=36_000).contains(&first), "{first}");
            let third = backoff_ms(3);
            assert!((96_000..=144_000).contains(&third), "{third}");
            assert!(backoff_ms(40) <= BACKOFF_MAX_MS * 12 / 10);
        }
    }

    #[test]
    fn refreshes_are_due_near_three_quarters_of_the_lifetime_and_spread_out() {
        let day = 24 * 3600;
        let times: Vec<i64> = (0..200).map(|_| next_refresh_at(0, 30 * day)).collect();
        let (lo, hi) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        assert!(lo >= (30 * day * 1000) * 70 / 100, "{lo}");
        assert!(hi <= (30 * day * 1000) * 80 / 100, "{hi}");
        assert!(hi - lo > 3600 * 1000, "jitter spreads them: {lo}..{hi}");
    }
}
