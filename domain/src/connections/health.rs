//! Health probes: `GET /v5/user_account` with the connection's access token.
//!
//! A probe records when, how long, the HTTP status, Pinterest's error code and
//! message, and the account it saw (flagging an account other than the one
//! connected). A 401 is followed by one refresh and one more try, so a token
//! that merely expired is not mistaken for a revoked one; a refresh Pinterest
//! refuses makes the connection `needs_reauth`.

use super::error::ConnectionError;
use super::state::{Event, Health};
use super::state_of;
use super::tokens::{self, Refreshed, refresh_leased, state_changed_tx};
use super::{TokenColumn, open_token};
use crate::Services;
use crate::accounts::ProbeId;
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, ConnectionRow, ProbeEffect, ProbeRow};
use crate::pinterest::client::{self, CallFailure, FailureKind};
use crate::pinterest::{PinterestApi, ScopeSet};
use crate::shared::{ProbeOutcome, Trigger};
use crate::webhooks::events::{self, Change, Subject};

/// What one probe found.
#[derive(Clone, Debug)]
pub struct ProbeReport {
    pub outcome: ProbeOutcome,
    pub health: Health,
    pub account_changed: bool,
}

/// Probes a connection whose lease `claimed` holds; records the probe and its
/// effect, and leaves the lease released.
pub async fn probe_leased(
    services: &Services,
    claimed: &ConnectionRow,
    trigger: Trigger,
) -> Result<Option<ProbeReport>, ConnectionError> {
    let result = probe_inner(services, claimed, trigger).await;
    // Whatever happened, the lease goes back (a no-op if the probe recorded).
    rows::release(&services.db, &claimed.id, claimed.lease_fence).await?;
    result
}

async fn probe_inner(
    services: &Services,
    claimed: &ConnectionRow,
    trigger: Trigger,
) -> Result<Option<ProbeReport>, ConnectionError> {
    let mut row = claimed.clone();
    let started = now_ms();
    let Some(app) = super::app::enabled(services, &row.workspace_id, &row.environment_id).await?
    else {
        // Nothing to probe with; try again at the next interval.
        record_skipped(services, &row, trigger, started).await?;
        return Ok(None);
    };
    // Only the API and the required scopes are needed here.
    let (api, required) = (app.api, app.scopes);
    // An access token that has expired (or is about to) is refreshed first.
    if row.access_expires_at.is_some_and(|e| e <= started + 60_000) && row.health.usable() {
        refresh_and_reread(services, &mut row, trigger).await?;
    }
    let mut attempt = call(services, &row, api).await?;
    let mut latency = attempt.latency_ms;
    if let Err(f) = &attempt.result
        && f.kind == FailureKind::Rejected
        && row.health.usable()
    {
        // After a 401: one refresh, one more try.
        if refresh_and_reread(services, &mut row, Trigger::After401).await?
            == Some(Refreshed::Stored)
        {
            attempt = call(services, &row, api).await?;
            latency += attempt.latency_ms;
        }
    }
    let before = state_of(&row);
    let now = now_ms();
    let (outcome, event, status, failure, account) = match &attempt.result {
        Ok(account) => {
            let granted = ScopeSet::from_stored(&row.scopes_granted);
            let missing = required
                .without(&granted)
                .into_iter()
                .map(|s| s.as_str().to_owned())
                .collect();
            (
                ProbeOutcome::Ok,
                Some(Event::Verified { missing }),
                Some(200),
                None,
                Some(account.clone()),
            )
        }
        Err(f) => {
            let event = match f.kind {
                FailureKind::Transient => Some(Event::Transient {
                    reason: format!("Health check failed: {}", f.summary),
                }),
                FailureKind::MissingScope => Some(Event::ScopeRefused {
                    reason: format!(
                        "Pinterest refused the token for lack of a scope{}: the end user must connect again.",
                        f.message
                            .as_deref()
                            .map(|m| format!(" (\u{201c}{m}\u{201d})"))
                            .unwrap_or_default()
                    ),
                }),
                // The refresh already decided (needs_reauth, or it could not run);
                // a token refused right after a successful refresh is dead too.
                FailureKind::Rejected => Some(Event::Rejected {
                    reason: format!(
                        "Pinterest refuses the access token (HTTP {}{}): the end user must connect again.",
                        f.http_status.unwrap_or_default(),
                        f.message
                            .as_deref()
                            .map(|m| format!(", \u{201c}{m}\u{201d}"))
                            .unwrap_or_default()
                    ),
                }),
            };
            let outcome = match f.kind {
                FailureKind::Transient => ProbeOutcome::Transient,
                FailureKind::MissingScope => ProbeOutcome::MissingScope,
                FailureKind::Rejected => ProbeOutcome::Unauthorized,
            };
            (outcome, event, f.http_status, Some(f.clone()), None)
        }
    };
    let after = event.map_or(before.clone(), |e| before.after(&e, now));
    let changed = account
        .as_ref()
        .is_some_and(|a| !row.account_id.is_empty() && a.id != row.account_id);
    let mismatch = if changed {
        account.as_ref().map(|a| {
            format!(
                "A probe saw @{} (id {}), not the connected @{} (id {}).",
                a.username, a.id, row.account_username, row.account_id
            )
        })
    } else if account.is_some() {
        None
    } else {
        row.account_mismatch.clone()
    };
    let probe = ProbeRow {
        id: ProbeId::generate(),
        connection_id: row.id.clone(),
        workspace_id: row.workspace_id.clone(),
        checked_at: now,
        trigger,
        outcome,
        latency_ms: latency,
        http_status: status.map(i64::from),
        error_code: failure.as_ref().and_then(|f: &CallFailure| f.code),
        error_message: failure
            .as_ref()
            .map(|f| f.message.clone().unwrap_or_else(|| f.summary.clone())),
        account_id: account.as_ref().map(|a| a.id.clone()),
        account_username: account.as_ref().map(|a| a.username.clone()),
        account_changed: changed,
    };
    let effect = ProbeEffect {
        fence: row.lease_fence,
        health: after.health,
        health_reason: after.reason.clone(),
        health_since: after.since,
        next_probe_at: now + super::jittered(services.config.health_check_interval_ms(), 0.1),
        account_mismatch: mismatch,
    };
    let mut tx = services.db.begin().await?;
    if !rows::record_probe_tx(&mut tx, &probe, &effect).await? {
        return Ok(None);
    }
    let mut sent = false;
    if after.health != before.health {
        sent |= state_changed_tx(&mut tx, &row, &before, &after, trigger, now).await?;
    }
    // Said once: when a probe first sees another account.
    if let Some(seen) = account
        .as_ref()
        .filter(|_| changed && row.account_mismatch.is_none())
    {
        let subject = Subject::of(&row, &after);
        let change = Change::AccountChanged {
            previous: subject.account.clone(),
            current: events::Account {
                id: seen.id.clone(),
                username: seen.username.clone(),
            },
        };
        sent |= events::emit_tx(&mut tx, &subject, change, now).await?;
    }
    // Last, so the hour's row is locked only for the commit.
    super::dashboard::probed_tx(&mut tx, &row.environment_id, outcome, latency, now).await?;
    tx.commit().await?;
    crate::metrics::probed(outcome, trigger);
    if sent {
        services.webhooks.wake();
    }
    Ok(Some(ProbeReport {
        outcome,
        health: after.health,
        account_changed: changed,
    }))
}

/// Records a probe that could not be made (the integration is off); the
/// connection's state stays as it is.
async fn record_skipped(
    services: &Services,
    row: &ConnectionRow,
    trigger: Trigger,
    at: i64,
) -> Result<(), ConnectionError> {
    let current = state_of(row);
    let probe = ProbeRow {
        id: ProbeId::generate(),
        connection_id: row.id.clone(),
        workspace_id: row.workspace_id.clone(),
        checked_at: at,
        trigger,
        outcome: ProbeOutcome::Skipped,
        latency_ms: 0,
        http_status: None,
        error_code: None,
        error_message: Some(
            "The environment's Pinterest integration is disabled or not configured.".into(),
        ),
        account_id: None,
        account_username: None,
        account_changed: false,
    };
    let effect = ProbeEffect {
        fence: row.lease_fence,
        health: current.health,
        health_reason: current.reason,
        health_since: current.since,
        next_probe_at: at + super::jittered(services.config.health_check_interval_ms(), 0.1),
        account_mismatch: row.account_mismatch.clone(),
    };
    let mut tx = services.db.begin().await?;
    if rows::record_probe_tx(&mut tx, &probe, &effect).await? {
        super::dashboard::probed_tx(&mut tx, &row.environment_id, ProbeOutcome::Skipped, 0, at)
            .await?;
        tx.commit().await?;
        crate::metrics::probed(ProbeOutcome::Skipped, trigger);
    }
    Ok(())
}

/// Refreshes under the held lease and reads the row again (new tokens, state).
async fn refresh_and_reread(
    services: &Services,
    row: &mut ConnectionRow,
    trigger: Trigger,
) -> Result<Option<Refreshed>, ConnectionError> {
    let outcome = refresh_leased(services, row, trigger).await?;
    if let Some(fresh) = rows::find_by_id(&services.db, &row.id).await? {
        // Keep our fence: the lease is still ours unless it lapsed, in which case
        // the probe's write is refused by the fence and nothing is recorded.
        let fence = row.lease_fence;
        *row = fresh;
        row.lease_fence = fence;
    }
    Ok(Some(outcome))
}

async fn call(
    services: &Services,
    row: &ConnectionRow,
    api: PinterestApi,
) -> Result<client::Timed<client::Account>, ConnectionError> {
    let Some(stored) = row.access_token.as_deref() else {
        return Ok(client::Timed {
            result: Err(CallFailure {
                kind: FailureKind::Rejected,
                http_status: None,
                code: None,
                message: None,
                request_id: None,
                retry_after_secs: None,
                summary: "The connection holds no token.".into(),
            }),
            latency_ms: 0,
        });
    };
    let token = open_token(
        &services.keys,
        &row.workspace_id,
        &row.id,
        TokenColumn::Access,
        stored,
    )?;
    Ok(client::user_account(
        &services.http,
        services.config.api_base(api),
        &token,
        services.config.pinterest_timeout,
    )
    .await)
}

/// "Check now": probes at once if the connection is free, otherwise hands the
/// probe to whoever holds it next (it is made due). Answers whether it ran here.
pub async fn check_now(
    services: &Services,
    row: &ConnectionRow,
) -> Result<Option<ProbeReport>, ConnectionError> {
    let now = now_ms();
    let owner = tokens::lease_owner();
    match rows::claim(
        &services.db,
        &row.id,
        &owner,
        now,
        now + tokens::lease_ms(services),
    )
    .await?
    {
        Some(claimed) => probe_leased(services, &claimed, Trigger::Operator).await,
        None => {
            rows::make_probe_due(&services.db, &row.id, now).await?;
            Ok(None)
        }
    }
}
