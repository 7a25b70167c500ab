//! `webhook_endpoints`, `webhook_events` (the outbox) and `webhook_deliveries`.
//! Reads for people are scoped by workspace id; the delivery worker claims
//! deliveries by lease, as the scheduler claims connections.

use crate::accounts::{
    ConnectionId, EnvironmentId, WebhookDeliveryId, WebhookEndpointId, WebhookEventId, WorkspaceId,
};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};
use crate::shared::{DeliveryStatus, WebhookEventType};

/// One endpoint as stored (its secrets sealed).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: WebhookEndpointId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub url: String,
    pub description: String,
    /// Event type names, space-separated.
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub flagged_at: Option<i64>,
    pub flag_reason: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENDPOINT_COLUMNS: &str = "id, workspace_id, environment_id, url, description, event_types, \
     enabled, disabled_reason, secret, previous_secret, previous_secret_until, flagged_at, \
     flag_reason, created_by, created_at, updated_at";

pub async fn insert_endpoint(tx: &mut Tx, r: &EndpointRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(&format!(
            "insert into webhook_endpoints ({ENDPOINT_COLUMNS}) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(&r.id)
        .bind(&r.workspace_id)
        .bind(&r.environment_id)
        .bind(&r.url)
        .bind(&r.description)
        .bind(&r.event_types)
        .bind(r.enabled)
        .bind(&r.disabled_reason)
        .bind(&r.secret)
        .bind(&r.previous_secret)
        .bind(r.previous_secret_until)
        .bind(r.flagged_at)
        .bind(&r.flag_reason)
        .bind(&r.created_by)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// An environment's endpoints, oldest first.
pub async fn list_endpoints(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
) -> Result<Vec<EndpointRow>, DbError> {
    let sql = format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints \
         where workspace_id = $1 and environment_id = $2 order by created_at, id"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, EndpointRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

pub async fn find_endpoint(
    db: &Db,
    workspace_id: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<Option<EndpointRow>, DbError> {
    let sql = format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where workspace_id = $1 and id = $2"
    );
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, EndpointRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row)
}

pub async fn find_endpoint_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<Option<EndpointRow>, DbError> {
    let sql = format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where workspace_id = $1 and id = $2"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, EndpointRow>(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

pub async fn count_endpoints_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
) -> Result<i64, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from webhook_endpoints where environment_id = $1",
        )
        .bind(environment_id)
        .fetch_one(conn)
        .await
    })?;
    Ok(n)
}

/// What the endpoint form changes.
#[derive(Clone, Debug)]
pub struct EndpointChange<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a str,
    pub enabled: bool,
}

/// Writes the form's fields. Switching it on clears pinbridge's reason for
/// having switched it off.
pub async fn update_endpoint_tx(
    tx: &mut Tx,
    id: &WebhookEndpointId,
    change: &EndpointChange<'_>,
    now: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update webhook_endpoints set url = $1, description = $2, event_types = $3, \
             enabled = $4, disabled_reason = case when $4 then null else disabled_reason end, \
             updated_at = $5 where id = $6",
        )
        .bind(change.url)
        .bind(change.description)
        .bind(change.event_types)
        .bind(change.enabled)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// A new signing secret; the old one keeps signing until `previous_until`.
pub async fn rotate_secret_tx(
    tx: &mut Tx,
    id: &WebhookEndpointId,
    secret: &str,
    previous: &str,
    previous_until: i64,
    now: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update webhook_endpoints set secret = $1, previous_secret = $2, \
             previous_secret_until = $3, updated_at = $4 where id = $5",
        )
        .bind(secret)
        .bind(previous)
        .bind(previous_until)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Deletes an endpoint; its deliveries go with it.
pub async fn delete_endpoint_tx(tx: &mut Tx, id: &WebhookEndpointId) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("delete from webhook_endpoints where id = $1")
            .bind(id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// The enabled endpoints of an environment that receive `event_type`.
pub async fn subscribed_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
    event_type: WebhookEventType,
) -> Result<Vec<WebhookEndpointId>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, (WebhookEndpointId, String)>(
            "select id, event_types from webhook_endpoints \
             where environment_id = $1 and enabled = true",
        )
        .bind(environment_id)
        .fetch_all(conn)
        .await
    })?;
    Ok(rows
        .into_iter()
        .filter(|(_, types)| WebhookEventType::split(types).contains(&event_type))
        .map(|(id, _)| id)
        .collect())
}

/// The enabled endpoints of every environment of a workspace that receive
/// `event_type`, grouped by environment (oldest environment first, each
/// environment's endpoints oldest first); environments with none are left out.
pub async fn subscribed_in_workspace_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    event_type: WebhookEventType,
) -> Result<Vec<(EnvironmentId, Vec<WebhookEndpointId>)>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, (EnvironmentId, WebhookEndpointId, String)>(
            "select e.environment_id, e.id, e.event_types from webhook_endpoints e \
             join environments v on v.id = e.environment_id \
             where v.workspace_id = $1 and e.enabled = true \
             order by v.created_at, v.id, e.created_at, e.id",
        )
        .bind(workspace_id)
        .fetch_all(conn)
        .await
    })?;
    let mut grouped: Vec<(EnvironmentId, Vec<WebhookEndpointId>)> = Vec::new();
    for (environment_id, id, types) in rows {
        if !WebhookEventType::split(&types).contains(&event_type) {
            continue;
        }
        match grouped.last_mut() {
            Some((last, ids)) if *last == environment_id => ids.push(id),
            _ => grouped.push((environment_id, vec![id])),
        }
    }
    Ok(grouped)
}

/// One event for the outbox.
#[derive(Clone, Debug)]
pub struct NewEventRow<'a> {
    pub id: &'a WebhookEventId,
    pub workspace_id: &'a WorkspaceId,
    pub environment_id: &'a EnvironmentId,
    pub connection_id: Option<&'a ConnectionId>,
    pub event_type: WebhookEventType,
    pub payload: &'a str,
    pub created_at: i64,
}

/// Writes an event; answers its place in the order of events.
pub async fn insert_event_tx(tx: &mut Tx, e: &NewEventRow<'_>) -> Result<i64, DbError> {
    let seq = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "insert into webhook_events (id, workspace_id, environment_id, connection_id, \
             event_type, payload, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning seq",
        )
        .bind(e.id)
        .bind(e.workspace_id)
        .bind(e.environment_id)
        .bind(e.connection_id)
        .bind(e.event_type)
        .bind(e.payload)
        .bind(e.created_at)
        .fetch_one(conn)
        .await
    })?;
    Ok(seq)
}

/// A pending delivery of event `event_seq` to `endpoint_id`, due at `now`.
pub async fn insert_delivery_tx(
    tx: &mut Tx,
    event_seq: i64,
    endpoint_id: &WebhookEndpointId,
    order_key: &str,
    now: i64,
) -> Result<WebhookDeliveryId, DbError> {
    let id = WebhookDeliveryId::generate();
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into webhook_deliveries (id, event_seq, endpoint_id, order_key, status, \
             next_attempt_at, created_at) values ($1, $2, $3, $4, 'pending', $5, $5)",
        )
        .bind(&id)
        .bind(event_seq)
        .bind(endpoint_id)
        .bind(order_key)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(id)
}

/// Deliveries that may go out now: pending, due, not leased, of an enabled
/// endpoint, and with no earlier pending delivery of the same order key to
/// the same endpoint (events of one connection go out in order).
const CLAIMABLE: &str = "d.status = 'pending' and d.next_attempt_at <= $3 \
     and (d.lease_until is null or d.lease_until <= $3) \
     and exists (select 1 from webhook_endpoints e where e.id = d.endpoint_id and e.enabled = true) \
     and not exists (select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id \
       and p.order_key = d.order_key and p.status = 'pending' and p.event_seq < d.event_seq)";

/// Takes the lease on up to `limit` deliveries that may go out now; answers
/// their ids with the new fences.
pub async fn claim_due(
    db: &Db,
    owner: &str,
    now: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<(WebhookDeliveryId, i64)>, DbError> {
    let rows = match db {
        Db::Postgres(pool) => {
            let sql = format!(
                "with due as (select d.id from webhook_deliveries d where {CLAIMABLE} \
                   order by d.next_attempt_at, d.event_seq limit $4 for update skip locked) \
                 update webhook_deliveries w set lease_owner = $1, lease_until = $2, \
                   lease_fence = w.lease_fence + 1 \
                 from due where w.id = due.id returning w.id, w.lease_fence"
            );
            sqlx::query_as::<_, (WebhookDeliveryId, i64)>(&sql)
                .bind(owner)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(pool) => {
            let sql = format!(
                "update webhook_deliveries set lease_owner = $1, lease_until = $2, \
                   lease_fence = lease_fence + 1 \
                 where id in (select d.id from webhook_deliveries d where {CLAIMABLE} \
                   order by d.next_attempt_at, d.event_seq limit $4) \
                 returning id, lease_fence"
            );
            sqlx::query_as::<_, (WebhookDeliveryId, i64)>(&sql)
                .bind(owner)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(rows)
}

/// A claimed delivery with what sending it needs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliveryWork {
    pub attempts: i64,
    pub created_at: i64,
    pub event_id: WebhookEventId,
    pub event_type: WebhookEventType,
    pub payload: String,
    pub endpoint_id: WebhookEndpointId,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    /// Whether the endpoint is flagged (a success clears it).
    pub flagged: bool,
}

pub async fn find_work(db: &Db, id: &WebhookDeliveryId) -> Result<Option<DeliveryWork>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, DeliveryWork>(
            "select d.attempts, d.created_at, v.id as event_id, v.event_type, v.payload, \
             e.id as endpoint_id, e.workspace_id, e.environment_id, e.url, e.secret, \
             e.previous_secret, e.previous_secret_until, e.flagged_at is not null as flagged \
             from webhook_deliveries d join webhook_events v on v.seq = d.event_seq \
             join webhook_endpoints e on e.id = d.endpoint_id where d.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// What one attempt found.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub excerpt: Option<String>,
}

/// How the delivery stands after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Succeeded,
    /// Try again at this time.
    Retry(i64),
    /// Given up: the endpoint is flagged with the reason.
    GaveUp(String),
    /// The receiver answered 410 Gone: the endpoint is switched off with the reason.
    Gone(String),
}

/// Records an attempt under the lease `fence` (false: the lease was lost and
/// nothing was written), and what it means for the endpoint, in one
/// transaction. A success clears the endpoint's flag when it is `flagged`.
pub async fn record_attempt(
    db: &Db,
    id: &WebhookDeliveryId,
    (endpoint_id, flagged): (&WebhookEndpointId, bool),
    fence: i64,
    attempt: &Attempt,
    after: &AfterAttempt,
) -> Result<bool, DbError> {
    let (status, next, finished) = match after {
        AfterAttempt::Succeeded => (DeliveryStatus::Succeeded, attempt.at, Some(attempt.at)),
        AfterAttempt::Retry(at) => (DeliveryStatus::Pending, *at, None),
        AfterAttempt::GaveUp(_) | AfterAttempt::Gone(_) => {
            (DeliveryStatus::Failed, attempt.at, Some(attempt.at))
        }
    };
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, conn => {
        sqlx::query(
            "update webhook_deliveries set status = $1, attempts = attempts + 1, \
             next_attempt_at = $2, finished_at = $3, lease_owner = null, lease_until = null, \
             last_attempt_at = $4, last_status = $5, last_error = $6, last_latency_ms = $7, \
             response_excerpt = $8 where id = $9 and lease_fence = $10 and status = 'pending'",
        )
        .bind(status)
        .bind(next)
        .bind(finished)
        .bind(attempt.at)
        .bind(attempt.status)
        .bind(&attempt.error)
        .bind(attempt.latency_ms)
        .bind(&attempt.excerpt)
        .bind(id)
        .bind(fence)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if done != 1 {
        return Ok(false);
    }
    let endpoint = match after {
        AfterAttempt::Retry(_) => None,
        AfterAttempt::Succeeded if !flagged => None,
        AfterAttempt::Succeeded => Some((
            "update webhook_endpoints set flagged_at = null, flag_reason = null \
             where id = $1 and flagged_at is not null",
            None,
        )),
        AfterAttempt::GaveUp(reason) => Some((
            "update webhook_endpoints set flagged_at = $2, flag_reason = $3 where id = $1",
            Some(reason),
        )),
        AfterAttempt::Gone(reason) => Some((
            "update webhook_endpoints set updated_at = $2, disabled_reason = $3, \
             enabled = false where id = $1",
            Some(reason),
        )),
    };
    if let Some((sql, reason)) = endpoint {
        on_tx!(&mut tx, conn => {
            let query = sqlx::query(sql).bind(endpoint_id);
            let query = match reason {
                Some(reason) => query.bind(attempt.at).bind(reason),
                None => query,
            };
            query.execute(conn).await.map(|_| ())
        })?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Pending and failed deliveries per endpoint of an environment; a failed one
/// whose event was delivered again since (or is being) is not counted.
pub async fn counts(
    db: &Db,
    environment_id: &EnvironmentId,
) -> Result<Vec<(WebhookEndpointId, DeliveryStatus, i64)>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (WebhookEndpointId, DeliveryStatus, i64)>(
            "select d.endpoint_id, d.status, count(*) from webhook_deliveries d \
             join webhook_endpoints e on e.id = d.endpoint_id \
             where e.environment_id = $1 and (d.status = 'pending' or (d.status = 'failed' \
               and not exists (select 1 from webhook_deliveries o \
                 where o.endpoint_id = d.endpoint_id and o.order_key = d.order_key \
                   and o.event_seq = d.event_seq and o.status in ('pending', 'succeeded')))) \
             group by d.endpoint_id, d.status",
        )
        .bind(environment_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// One delivery as the portal's log shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: WebhookDeliveryId,
    pub event_id: WebhookEventId,
    pub event_type: WebhookEventType,
    pub connection_id: Option<ConnectionId>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub response_excerpt: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// An endpoint's deliveries, newest first, optionally of one status, before
/// `(created_at, id)` of the previous page's last row.
pub async fn list_deliveries(
    db: &Db,
    endpoint_id: &WebhookEndpointId,
    status: Option<DeliveryStatus>,
    before: Option<(i64, &WebhookDeliveryId)>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    let (before_at, before_id) = before.unzip();
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, DeliveryRow>(
            "select d.id, v.id as event_id, v.event_type, v.connection_id, d.status, d.attempts, \
             d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, \
             d.last_latency_ms, d.response_excerpt, d.created_at, d.finished_at \
             from webhook_deliveries d join webhook_events v on v.seq = d.event_seq \
             where d.endpoint_id = $1 and ($2 is null or d.status = $2) \
             and ($3 is null or d.created_at < $3 or (d.created_at = $3 and d.id < $4)) \
             order by d.created_at desc, d.id desc limit $5",
        )
        .bind(endpoint_id)
        .bind(status)
        .bind(before_at)
        .bind(before_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// A delivery of the endpoint: its event's place and order key.
pub async fn find_delivery_tx(
    tx: &mut Tx,
    endpoint_id: &WebhookEndpointId,
    id: &WebhookDeliveryId,
) -> Result<Option<(i64, String, DeliveryStatus)>, DbError> {
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, String, DeliveryStatus)>(
            "select event_seq, order_key, status from webhook_deliveries \
             where endpoint_id = $1 and id = $2",
        )
        .bind(endpoint_id)
        .bind(id)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row)
}

/// Whether the endpoint already has a pending delivery of the event.
pub async fn pending_of_event_tx(
    tx: &mut Tx,
    endpoint_id: &WebhookEndpointId,
    event_seq: i64,
) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from webhook_deliveries \
             where endpoint_id = $1 and event_seq = $2 and status = 'pending'",
        )
        .bind(endpoint_id)
        .bind(event_seq)
        .fetch_one(conn)
        .await
    })?;
    Ok(n > 0)
}

/// Events of the endpoint whose deliveries made since `since` failed and that
/// have no pending or successful delivery to it: (event place, order key),
/// oldest first, at most `limit`.
pub async fn failed_since_tx(
    tx: &mut Tx,
    endpoint_id: &WebhookEndpointId,
    since: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    let rows = on_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, String)>(
            "select distinct d.event_seq, d.order_key from webhook_deliveries d \
             where d.endpoint_id = $1 and d.status = 'failed' and d.created_at >= $2 \
             and not exists (select 1 from webhook_deliveries o where o.endpoint_id = d.endpoint_id \
               and o.order_key = d.order_key and o.event_seq = d.event_seq \
               and o.status in ('pending', 'succeeded')) \
             order by d.event_seq limit $3",
        )
        .bind(endpoint_id)
        .bind(since)
        .bind(limit)
        .fetch_all(conn)
        .await
    })?;
    Ok(rows)
}

/// Removes events older than `before` whose deliveries are all finished
/// (their deliveries go with them).
pub async fn prune(db: &Db, before: i64) -> Result<u64, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query(
            "delete from webhook_events where created_at < $1 and not exists \
             (select 1 from webhook_deliveries d where d.event_seq = webhook_events.seq \
              and d.status = 'pending')",
        )
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n)
}
