//! Serving processes report themselves, with their key ring's ids, every few
//! seconds, so that a key command run from a shell can see which keys the
//! running instances know before it re-seals or retires anything.

use std::time::Duration;

use crate::crypto::KeyRing;
use crate::db::repo::key_ring::{self as rows, InstanceRow};
use crate::db::{Db, DbError, now_ms};

/// How often a serving process reports itself.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// A process not seen for this long is taken to be gone (killed, say).
pub const LIVE_MS: i64 = 20_000;

/// Rows of processes gone for this long are deleted.
const FORGET_MS: i64 = 24 * 3_600_000;

/// This machine's name, for messages; "unknown" where it cannot be read.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This process's row, as it will be reported.
pub fn describe(ring: &KeyRing, version: &str) -> InstanceRow {
    let now = now_ms();
    InstanceRow {
        id: uuid::Uuid::now_v7().to_string(),
        host: host_name(),
        pid: i64::from(std::process::id()),
        version: version.to_owned(),
        key_ids: ring
            .ids()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        started_at: now,
        seen_at: now,
    }
}

/// Reports `row` once, now: a process is listed before it serves.
pub async fn join(db: &Db, row: &InstanceRow) -> Result<(), DbError> {
    rows::upsert_instance(db, row).await
}

/// Reports `row` again every [`HEARTBEAT`], until the task is dropped. A
/// failed report is logged and tried again at the next beat.
pub async fn report(db: Db, mut row: InstanceRow) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        row.seen_at = now_ms();
        if let Err(e) = rows::upsert_instance(&db, &row).await {
            tracing::warn!(error = %e, "could not report this instance to the database");
        }
    }
}

/// Removes this process's row at a clean shutdown.
pub async fn leave(db: &Db, id: &str) -> Result<(), DbError> {
    rows::delete_instance(db, id).await
}

/// The processes seen in the last [`LIVE_MS`].
pub async fn live(db: &Db) -> Result<Vec<InstanceRow>, DbError> {
    let now = now_ms();
    rows::live_instances(db, now - LIVE_MS, now - FORGET_MS).await
}
