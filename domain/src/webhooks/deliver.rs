//! The delivery worker every pinbridge process runs: it claims due deliveries
//! by lease (so two processes never send the same one at once), signs and
//! posts each, and records what the receiver did. Failures are retried with
//! exponential backoff and jitter until the retry window closes; a 410 Gone
//! switches the endpoint off. Events of one connection go out in order: the
//! claim skips a delivery while an earlier one of its connection is pending.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::runtime::WebhookPolicy;
use super::signing::{self, SecretColumn};
use super::target;
use crate::Services;
use crate::accounts::WebhookDeliveryId;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use crate::connections::ConnectionError;
use crate::db::repo::webhooks::{self as rows, AfterAttempt, Attempt, DeliveryWork};
use crate::db::{DbError, now_ms};

/// Most deliveries one round claims (rounds are how tests drive the worker).
pub const BATCH: i64 = 100;
/// Deliveries one process sends at once.
pub const CONCURRENCY: usize = 16;
/// The most of a receiver's answer read (and kept, trimmed).
pub const RESPONSE_MAX: usize = 4096;
/// A lease's time beyond the attempt's timeout.
pub const LEASE_MARGIN_MS: i64 = 5_000;
/// Events are kept this long once every delivery of theirs has finished.
pub const RETENTION_MS: i64 = 30 * 86_400_000;

/// The delay before attempt `attempts + 1`: the base doubled per attempt made,
/// at most the maximum, scaled by a random factor in 0.8–1.2.
pub fn backoff_ms(policy: &WebhookPolicy, attempts: i64) -> i64 {
    let base = i64::try_from(policy.backoff_base.as_millis()).unwrap_or(5_000);
    let max = i64::try_from(policy.backoff_max.as_millis()).unwrap_or(3_600_000);
    let exp = attempts.clamp(1, 30) - 1;
    let delay = base.saturating_mul(1i64 << exp).min(max);
    crate::connections::jittered(delay, 0.2).max(1)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Delivers forever, up to [`CONCURRENCY`] at once: claims as many due
/// deliveries as it has free lanes, and claims again as soon as one finishes
/// (it may have made its connection's next event due), when woken, or every
/// `policy.poll`. A slow receiver holds its lanes, not the other endpoints'
/// deliveries. Removes old events once an hour.
pub async fn run(services: Services) {
    let mut last_prune: Option<Instant> = None;
    let mut in_flight: JoinSet<()> = JoinSet::new();
    loop {
        if last_prune.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
            last_prune = Some(Instant::now());
            prune(&services).await;
        }
        let free = CONCURRENCY - in_flight.len();
        if free > 0 {
            match claim(&services, free).await {
                Ok(claimed) => {
                    let full = claimed.len() == free;
                    for (id, fence) in claimed {
                        in_flight.spawn(deliver_logged(services.clone(), id, fence));
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not claim webhook deliveries"),
            }
        }
        let poll = services.config.webhooks.poll;
        tokio::select! {
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => log_stopped(done),
            () = services.webhooks.wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

async fn prune(services: &Services) {
    match rows::prune(&services.db, now_ms() - RETENTION_MS).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "removed delivered webhook events past 30 days"),
        Err(e) => tracing::warn!(error = %e, "could not remove old webhook events"),
    }
}

/// Claims up to `limit` due deliveries for this process.
async fn claim(
    services: &Services,
    limit: usize,
) -> Result<Vec<(WebhookDeliveryId, i64)>, DbError> {
    let policy = &services.config.webhooks;
    let now = now_ms();
    // The lease covers the attempt (the client gives up at the timeout) with
    // room for the database around it. A process that dies mid-attempt holds
    // its deliveries, and the later events of their connections, this long.
    let until = now + ms(policy.timeout) + LEASE_MARGIN_MS;
    let owner = crate::connections::tokens::lease_owner();
    let limit = i64::try_from(limit).unwrap_or(BATCH);
    rows::claim_due(&services.db, &owner, now, until, limit).await
}

async fn deliver_logged(services: Services, id: WebhookDeliveryId, fence: i64) {
    if let Err(e) = deliver(&services, &id, fence).await {
        tracing::warn!(error = %e, delivery = %id, "could not record a webhook delivery");
    }
}

fn log_stopped(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "a webhook delivery task stopped");
    }
}

/// One round, as tests drive the worker: claims what is due, up to
/// [`BATCH`], and sends it [`CONCURRENCY`] at a time; answers how many it
/// claimed once every attempt is recorded.
pub async fn round(services: &Services) -> Result<usize, DbError> {
    let claimed = claim(services, usize::try_from(BATCH).unwrap_or(100)).await?;
    let count = claimed.len();
    let lanes = Arc::new(Semaphore::new(CONCURRENCY));
    let mut set = JoinSet::new();
    for (id, fence) in claimed {
        let services = services.clone();
        let lanes = lanes.clone();
        set.spawn(async move {
            let _lane = lanes.acquire_owned().await;
            deliver_logged(services, id, fence).await;
        });
    }
    while let Some(done) = set.join_next().await {
        log_stopped(done);
    }
    Ok(count)
}

/// What sending found, before it is judged.
struct Sent {
    status: Option<u16>,
    error: Option<String>,
    latency_ms: i64,
    excerpt: Option<String>,
    retry_after_ms: Option<i64>,
}

/// Sends one claimed delivery and records the attempt.
async fn deliver(
    services: &Services,
    id: &WebhookDeliveryId,
    fence: i64,
) -> Result<(), ConnectionError> {
    let Some(work) = rows::find_work(&services.db, id).await? else {
        return Ok(());
    };
    let sent = send(services, &work).await;
    let policy = &services.config.webhooks;
    let at = now_ms();
    let attempts = work.attempts + 1;
    let after = match sent.status {
        Some(s) if (200..300).contains(&s) => AfterAttempt::Succeeded,
        Some(410) => AfterAttempt::Gone(format!(
            "The receiver answered 410 Gone at {}: pinbridge switched the endpoint off. Switch it on again once it receives webhooks.",
            crate::db::rfc3339(at)
        )),
        _ => {
            let window_end = work.created_at + ms(policy.retry_for);
            if at >= window_end {
                AfterAttempt::GaveUp(format!(
                    "A {} event could not be delivered in {} attempts over {}: {}",
                    work.event_type,
                    attempts,
                    span(policy.retry_for),
                    failure_words(&sent)
                ))
            } else {
                let wait = backoff_ms(policy, attempts).max(sent.retry_after_ms.unwrap_or(0));
                AfterAttempt::Retry((at + wait).min(window_end))
            }
        }
    };
    let attempt = Attempt {
        at,
        status: sent.status.map(i64::from),
        error: sent.error.clone(),
        latency_ms: sent.latency_ms,
        excerpt: sent.excerpt,
    };
    if !rows::record_attempt(
        &services.db,
        id,
        (&work.endpoint_id, work.flagged),
        fence,
        &attempt,
        &after,
    )
    .await?
    {
        tracing::warn!(delivery = %id, "a webhook attempt was not recorded: its lease was lost");
        return Ok(());
    }
    crate::metrics::webhook_delivery(match &after {
        AfterAttempt::Succeeded => "delivered",
        AfterAttempt::Retry(_) => "retrying",
        AfterAttempt::GaveUp(_) => "gave_up",
        AfterAttempt::Gone(_) => "endpoint_gone",
    });
    match &after {
        AfterAttempt::Gone(reason) => {
            tracing::warn!(endpoint = %work.endpoint_id, "a webhook receiver answered 410 Gone: endpoint switched off");
            audit_endpoint(
                services,
                &work,
                AuditAction::WebhookEndpointDisabled,
                reason,
            )
            .await?;
        }
        AfterAttempt::GaveUp(_) => {
            tracing::warn!(endpoint = %work.endpoint_id, delivery = %id, "a webhook delivery was given up");
        }
        AfterAttempt::Succeeded | AfterAttempt::Retry(_) => {}
    }
    Ok(())
}

async fn audit_endpoint(
    services: &Services,
    work: &DeliveryWork,
    action: AuditAction,
    reason: &str,
) -> Result<(), ConnectionError> {
    let mut tx = services.db.begin().await?;
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: work.workspace_id.clone(),
            environment_id: Some(work.environment_id.clone()),
            actor: AuditActor::system(),
            action,
            target: super::target::redacted(&work.url),
            detail: detail([
                ("endpoint_id", work.endpoint_id.as_str().into()),
                ("reason", reason.into()),
            ]),
        },
        &RequestMeta::default(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn span(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        let h = secs / 3600;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else if secs >= 60 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} seconds")
    }
}

fn failure_words(sent: &Sent) -> String {
    match (sent.status, &sent.error) {
        (Some(s), _) => format!("the last answer was HTTP {s}."),
        (None, Some(e)) => format!("the last attempt failed: {e}"),
        (None, None) => "the last attempt failed.".into(),
    }
}

/// Posts the event, signed, and reads at most [`RESPONSE_MAX`] of the answer.
async fn send(services: &Services, work: &DeliveryWork) -> Sent {
    let failed = |error: String| Sent {
        status: None,
        error: Some(error),
        latency_ms: 0,
        excerpt: None,
        retry_after_ms: None,
    };
    let policy = &services.config.webhooks;
    let url = match url::Url::parse(&work.url) {
        Ok(u) => u,
        Err(e) => return failed(format!("The stored URL does not parse ({e}).")),
    };
    if let Err(e) = target::check_literal(&url, policy.allow_private) {
        return failed(format!("Not sent: {e}"));
    }
    if url.scheme() == "http"
        && let Err(e) = target::check_resolves(&url, policy.allow_private).await
    {
        return failed(format!("Not sent: {e}"));
    }
    let now = now_ms();
    let mut signatures = Vec::with_capacity(2);
    let keys = &services.keys;
    match signing::open(
        keys,
        &work.workspace_id,
        &work.endpoint_id,
        SecretColumn::Current,
        &work.secret,
    ) {
        Ok(secret) => signatures.extend(signing::sign(
            &secret,
            work.event_id.as_str(),
            now / 1000,
            work.payload.as_bytes(),
        )),
        Err(e) => {
            tracing::error!(error = %e, endpoint = %work.endpoint_id, "a webhook signing secret does not open");
            return failed(
                "Not sent: the signing secret could not be opened (see pinbridge's log).".into(),
            );
        }
    }
    if let (Some(previous), Some(until)) = (&work.previous_secret, work.previous_secret_until)
        && until > now
        && let Ok(secret) = signing::open(
            keys,
            &work.workspace_id,
            &work.endpoint_id,
            SecretColumn::Previous,
            previous,
        )
    {
        signatures.extend(signing::sign(
            &secret,
            work.event_id.as_str(),
            now / 1000,
            work.payload.as_bytes(),
        ));
    }
    let started = Instant::now();
    let answer = services
        .webhooks
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", work.event_id.as_str())
        .header("webhook-timestamp", (now / 1000).to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(work.payload.clone())
        .send()
        .await;
    let mut response = match answer {
        Ok(r) => r,
        Err(e) => {
            let mut sent = failed(describe(&e, policy));
            sent.latency_ms = ms(started.elapsed());
            return sent;
        }
    };
    let latency_ms = ms(started.elapsed());
    let status = response.status();
    let retry_after_ms = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, std::time::SystemTime::now()));
    let mut body = Vec::new();
    let mut error = None;
    while body.len() < RESPONSE_MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_MAX - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => {
                if !status.is_success() {
                    error = Some(format!(
                        "The answer's body was cut short: {}",
                        describe(&e, policy)
                    ));
                }
                break;
            }
        }
    }
    drop(response);
    if status.is_redirection() {
        error = Some(format!(
            "The receiver redirected (HTTP {}); pinbridge follows no redirects: use the final URL.",
            status.as_u16()
        ));
    }
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    Sent {
        status: Some(status.as_u16()),
        error,
        latency_ms,
        excerpt: (!text.is_empty()).then_some(text),
        retry_after_ms,
    }
}

/// `Retry-After` as a delay in ms: seconds or an HTTP date, at most a day.
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<i64> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .map_or(0, |d| d.as_secs()),
    };
    Some(i64::try_from(secs.min(86_400)).unwrap_or(86_400) * 1000)
}

/// A failed request in words, without its URL's query (nor anything else).
fn describe(e: &reqwest::Error, policy: &WebhookPolicy) -> String {
    use std::error::Error as _;
    if e.is_timeout() {
        return format!("No answer within {}.", span(policy.timeout));
    }
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_connect() {
        format!("Could not connect: {cause}")
    } else if cause.is_empty() {
        "The request failed.".into()
    } else {
        format!("The request failed: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_a_date_and_at_most_a_day() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        assert_eq!(retry_after(" 120 ", now), Some(120_000));
        assert_eq!(retry_after("999999999", now), Some(86_400_000));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(retry_after(&later, now), Some(90_000));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(&past, now), Some(0));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_maximum_with_jitter() {
        let policy = WebhookPolicy::default();
        for (attempts, nominal) in [(1, 5_000), (2, 10_000), (3, 20_000), (13, 3_600_000)] {
            for _ in 0..50 {
                let d = backoff_ms(&policy, attempts);
                assert!(
                    (nominal * 8 / 10..=nominal * 12 / 10).contains(&d),
                    "attempt {attempts}: {d}"
                );
            }
        }
        // A day of retries is about thirty attempts.
        let mut t = 0;
        let mut n = 0;
        while t < 86_400_000 {
            n += 1;
            t += backoff_ms(&policy, n);
        }
        assert!((25..40).contains(&n), "{n}");
    }
}
