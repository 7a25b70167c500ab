//! The application API's domain: environment API keys ([`keys`], their text in
//! [`key`]), who is calling ([`ApiCaller`], from [`authenticate`]), what a
//! caller may do with connections ([`calls`]) and the Pinterest proxy
//! ([`proxy`]), and the audit log taken out ([`audit_feed`], read with an API
//! key or an owner's [`workspace_keys`]). The `/v1` handlers and the MCP
//! tools are thin layers over it.
//!
//! A key belongs to exactly one environment: every operation here looks a
//! connection up by the key's workspace *and* environment, so another
//! environment's or workspace's ids are simply not found.

pub mod audit_feed;
mod caller;
pub mod calls;
mod error;
pub mod key;
pub mod keys;
pub mod proxy;
pub mod runtime;
pub mod workspace_keys;

use crate::Services;
use crate::connections::dashboard;
use crate::db::repo::agent::ToolCallRecord;
use crate::db::repo::api_keys as rows;
use crate::db::{Db, DbError, now_ms};

pub use caller::ApiCaller;
pub use error::{ApiError, AuthProblem};
pub use runtime::{Admission, CallCounts, CallKind, Runtime};

/// The caller behind an `Authorization` header value, if its key is usable now.
///
/// Shape and checksum are checked first (no database read for a mistyped
/// key); a key read from the database is trusted for
/// [`runtime::KEY_CACHE_TTL`], so revocation elsewhere is seen within that.
pub async fn authenticate(
    services: &Services,
    authorization: Option<&str>,
) -> Result<ApiCaller, ApiError> {
    let value = authorization.ok_or(ApiError::Unauthorized(AuthProblem::Missing))?;
    let text = bearer(value)?;
    let (_, hash) = key::parse(text).map_err(|shape| {
        ApiError::Unauthorized(match shape {
            key::KeyShape::Malformed => AuthProblem::Malformed,
            key::KeyShape::Checksum => AuthProblem::Checksum,
        })
    })?;
    let known = match services.api.cached(&hash) {
        Some(known) => known,
        None => {
            let known = rows::find_by_hash(&services.db, hash.as_str())
                .await?
                .map(|row| std::sync::Arc::new(caller::KnownKey::of(&row)));
            services.api.remember(hash, known.clone());
            known
        }
    };
    let known = known.ok_or(ApiError::Unauthorized(AuthProblem::Unknown))?;
    if known.revoked {
        return Err(ApiError::Unauthorized(AuthProblem::Revoked));
    }
    if known.expires_at.is_some_and(|at| at <= now_ms()) {
        return Err(ApiError::Unauthorized(AuthProblem::Expired));
    }
    Ok(known.caller.clone())
}

/// The credential in an `Authorization` header value: `Bearer <credential>`.
fn bearer(value: &str) -> Result<&str, ApiError> {
    // The scheme is case-insensitive (RFC 9110 §11.1).
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .ok_or(ApiError::Unauthorized(AuthProblem::Malformed))
}

/// Writes the usage counted in memory, and audits keys that expired. Run
/// every few seconds by each process, and once more when it stops.
pub async fn maintain(services: &Services, stopping: bool) -> Result<(), DbError> {
    let _flushing = services.api.flushing.lock().await;
    let flush = services.api.take(stopping);
    let now = now_ms();
    let mut failed = runtime::Flush::default();
    let mut error = None;
    for (id, n, last_used) in flush.keys {
        if let Err(e) = rows::add_usage(&services.db, &id, n, last_used).await {
            failed.keys.push((id, n, None));
            error = Some(e);
        }
    }
    for (conn, key, counts) in flush.calls {
        if let Err(e) = rows::add_calls(&services.db, &conn, &key, counts, now).await {
            failed.calls.push((conn, key, counts));
            error = Some(e);
        }
    }
    for (environment, hour, ok, failed_answers) in flush.answers {
        if let Err(e) =
            dashboard::api_answers(&services.db, &environment, hour, ok, failed_answers).await
        {
            failed.answers.push((environment, hour, ok, failed_answers));
            error = Some(e);
        }
    }
    if !flush.tool_calls.is_empty()
        && let Err(e) = write_tool_calls(&services.db, &flush.tool_calls).await
    {
        failed.tool_calls = flush.tool_calls;
        error = Some(e);
    }
    services.api.put_back(failed);
    keys::audit_expired(services).await?;
    crate::agent::prune(services, now).await?;
    error.map_or(Ok(()), Err)
}

/// Writes tool calls and adds them to the dashboard's hours, in one
/// transaction: a retry after a failure writes neither twice.
async fn write_tool_calls(db: &Db, calls: &[ToolCallRecord]) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    crate::db::repo::agent::insert_calls_tx(&mut tx, calls).await?;
    dashboard::tool_calls_tx(&mut tx, calls).await?;
    tx.commit().await
}

/// Runs [`maintain`] every `every` until the task is dropped.
pub async fn run_maintenance(services: Services, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = maintain(&services, false).await {
            tracing::warn!(error = %e, "could not write API usage");
        }
    }
}
