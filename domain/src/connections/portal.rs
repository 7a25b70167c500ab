//! What operators see and do with connections: the list with counts per state,
//! one connection with its probe history, Check now, Check all, Refresh now and
//! Disconnect. Every function takes an [`Actor`]: reading needs membership,
//! acting needs the configure right.

use std::collections::BTreeMap;

use super::error::ConnectionError;
use super::health::{self, ProbeReport};
use super::scheduler;
use super::state::{Event, Health};
use super::tokens::{self, Refreshed};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent};
use crate::accounts::{Actor, ConnectionId, EnvironmentId, HealthRunId, RequestMeta};
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, HealthRunRow, ListQuery};
pub use crate::db::repo::connections::{ConnectionRow, ProbeRow};
use crate::db::repo::{environments, pinterest_settings};
use crate::db::{Db, DbError};
use crate::pinterest::ScopeSet;
use crate::webhooks::events::{self, Change, Subject};

pub const PAGE_SIZE: i64 = 25;
/// Probes shown (and charted) on a connection's page.
pub const HISTORY: i64 = 50;

/// Counts per state, every state present (zeros included).
pub type Counts = BTreeMap<Health, i64>;

pub fn empty_counts() -> Counts {
    Health::ALL.into_iter().map(|h| (h, 0)).collect()
}

/// Connection counts per environment of the actor's workspace.
pub async fn counts_by_environment(
    db: &Db,
    actor: &Actor,
) -> Result<BTreeMap<EnvironmentId, Counts>, DbError> {
    let mut out: BTreeMap<EnvironmentId, Counts> = BTreeMap::new();
    for (env, health, n) in rows::counts(db, actor.workspace_id()).await? {
        out.entry(env)
            .or_insert_with(empty_counts)
            .insert(health, n);
    }
    Ok(out)
}

/// Connection counts of one environment (every state, zeros included).
pub async fn counts_for(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Counts, DbError> {
    Ok(counts_by_environment(db, actor)
        .await?
        .remove(environment_id)
        .unwrap_or_else(empty_counts))
}

/// The latest "Check all" and how far it got.
#[derive(Clone, Debug)]
pub struct RunProgress {
    pub run: HealthRunRow,
    pub done: i64,
}

pub struct ListPage {
    pub rows: Vec<ConnectionRow>,
    pub total: i64,
    pub counts: Counts,
    pub run: Option<RunProgress>,
    pub origins: Vec<String>,
    /// Whether links can be made: Pinterest configured and enabled here.
    pub integration_ready: bool,
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    health: Option<Health>,
    search: Option<String>,
    page: i64,
) -> Result<ListPage, ConnectionError> {
    let ws = actor.workspace_id();
    environments::find(db, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let page = page.max(1);
    let (rows, total) = rows::list(
        db,
        ws,
        environment_id,
        &ListQuery {
            health,
            search: search.map(|s| s.trim().chars().take(100).collect()),
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        },
    )
    .await?;
    let counts = counts_for(db, actor, environment_id).await?;
    let run = rows::latest_run(db, ws, environment_id)
        .await?
        .map(|(run, done)| RunProgress { run, done });
    let origins = rows::list_origins(db, ws, environment_id).await?;
    let integration_ready = pinterest_settings::find(db, ws, environment_id)
        .await?
        .is_some_and(|s| s.enabled);
    Ok(ListPage {
        rows,
        total,
        counts,
        run,
        origins,
        integration_ready,
    })
}

/// One connection as its page shows it.
pub struct Detail {
    pub row: ConnectionRow,
    /// The most recent probes, newest first.
    pub probes: Vec<ProbeRow>,
    /// The scopes the environment requires now (those of the grant's time
    /// when Pinterest is no longer configured).
    pub required: ScopeSet,
}

/// One connection of the actor's workspace in `environment_id`.
pub async fn detail(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ConnectionId,
) -> Result<Detail, ConnectionError> {
    let ws = actor.workspace_id();
    let row = rows::find(db, ws, id)
        .await?
        .filter(|row| &row.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)?;
    let probes = rows::recent_probes(db, ws, id, HISTORY).await?;
    let required = pinterest_settings::find(db, ws, environment_id)
        .await?
        .map_or_else(
            || ScopeSet::from_stored(&row.scopes_required),
            |s| ScopeSet::from_stored(&s.scopes),
        );
    Ok(Detail {
        row,
        probes,
        required,
    })
}

/// Deletes our copy of the tokens (Pinterest has no revocation for user tokens)
/// and marks the connection revoked.
pub async fn disconnect(
    db: &Db,
    actor: &Actor,
    id: &ConnectionId,
    meta: &RequestMeta,
) -> Result<ConnectionRow, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    disconnect_row(db, &row, actor.into(), meta).await?;
    Ok(row)
}

/// Disconnects `row` (already found in the caller's tenancy) as `by`, audited.
pub(crate) async fn disconnect_row(
    db: &Db,
    row: &ConnectionRow,
    by: AuditActor,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    let already = || ConnectionError::Refused("This connection is already disconnected.".into());
    if row.health == Health::Revoked {
        return Err(already());
    }
    let ws = &row.workspace_id;
    let now = now_ms();
    let after = super::state_of(row).after(
        &Event::Disconnected {
            by: by.label.clone(),
        },
        now,
    );
    let mut tx = db.begin().await?;
    if !rows::disconnect_tx(&mut tx, ws, &row.id, &after.reason, now).await? {
        return Err(already());
    }
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(row.environment_id.clone()),
            actor: by,
            action: AuditAction::ConnectionDisconnected,
            target: format!("@{}", row.account_username),
            detail: audit::detail([
                ("end_user_id", row.end_user_id.clone().into()),
                ("health_before", row.health.as_str().into()),
            ]),
        },
        meta,
    )
    .await?;
    // Its webhook goes out within the worker's poll (no process is woken here).
    let subject = Subject::of(row, &after);
    events::emit_tx(&mut tx, &subject, Change::Disconnected, now).await?;
    tx.commit().await?;
    Ok(())
}

/// "Check now". `None` when another process is working on the connection: the
/// probe is then made due and runs as soon as it is free.
pub async fn check_now(
    services: &Services,
    actor: &Actor,
    id: &ConnectionId,
) -> Result<Option<ProbeReport>, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(&services.db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    check_row(services, &row).await
}

/// Probes `row` (already found in the caller's tenancy) now.
pub(crate) async fn check_row(
    services: &Services,
    row: &ConnectionRow,
) -> Result<Option<ProbeReport>, ConnectionError> {
    if row.health == Health::Revoked {
        return Err(ConnectionError::Refused(
            "This connection is disconnected: there is nothing to check.".into(),
        ));
    }
    health::check_now(services, row).await
}

/// "Refresh now". `None` when the connection is busy.
pub async fn refresh_now(
    services: &Services,
    actor: &Actor,
    id: &ConnectionId,
) -> Result<Option<Refreshed>, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(&services.db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if !row.health.usable() {
        return Err(ConnectionError::Refused(format!(
            "This connection is {}: only the end user connecting again can fix that.",
            row.health.label().to_lowercase()
        )));
    }
    tokens::refresh_now(services, &row).await
}

/// "Check all": every connection in the environment is made due for a probe;
/// the schedulers (of every process) work through them, and progress is how
/// many were probed since. This process starts on them at once rather than at
/// its scheduler's next round.
pub async fn check_all(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    meta: &RequestMeta,
) -> Result<i64, ConnectionError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = services.db.begin().await?;
    let env = environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let now = now_ms();
    let total = i64::try_from(rows::make_probes_due_tx(&mut tx, ws, environment_id, now).await?)
        .unwrap_or(i64::MAX);
    if total == 0 {
        return Err(ConnectionError::Refused(
            "There are no connections to check in this environment.".into(),
        ));
    }
    rows::insert_run_tx(
        &mut tx,
        &HealthRunRow {
            id: HealthRunId::generate(),
            workspace_id: ws.clone(),
            environment_id: environment_id.clone(),
            started_by: actor.label().to_owned(),
            started_at: now,
            total,
        },
    )
    .await?;
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: actor.into(),
            action: AuditAction::ConnectionsCheckAll,
            target: env.name,
            detail: audit::detail([("connections", total.into())]),
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    let worker = services.clone();
    tokio::spawn(async move {
        loop {
            match scheduler::run_round(&worker, scheduler::BATCH).await {
                Ok(round) if round.probed > 0 => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "check all: a round failed");
                    break;
                }
            }
        }
    });
    Ok(total)
}
