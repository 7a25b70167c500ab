//! Events into the outbox: written in the transaction of the change that
//! caused them, with one pending delivery per enabled endpoint that
//! subscribes to the type. An event no endpoint receives is not written.
//! Connection events come from [`emit_tx`]; the audit stream, every audit
//! record as it is written, from [`audit_tx`].

use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::{
    ConnectionId, EnvironmentId, WebhookEndpointId, WebhookEventId, WorkspaceId,
};
use crate::connections::ConnectionState;
use crate::db::repo::audit_events::AuditEventRow;
use crate::db::repo::connections::ConnectionRow;
use crate::db::repo::environments;
use crate::db::repo::webhooks::{self as rows, NewEventRow};
use crate::db::tx::Tx;
use crate::db::{DbError, rfc3339};
use crate::shared::{Health, WebhookEventType};

/// A Pinterest account as events name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
}

/// The connection an event is about, as it is after the change.
#[derive(Clone, Debug, Serialize)]
pub struct Subject {
    pub id: ConnectionId,
    pub end_user_id: String,
    pub state: Health,
    pub state_reason: String,
    pub state_since: String,
    pub account: Account,
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    #[serde(skip)]
    pub environment_id: EnvironmentId,
}

impl Subject {
    /// `row` in state `now` (the state the change left it in).
    pub fn of(row: &ConnectionRow, now: &ConnectionState) -> Self {
        Self {
            id: row.id.clone(),
            end_user_id: row.end_user_id.clone(),
            state: now.health,
            state_reason: now.reason.clone(),
            state_since: rfc3339(now.since),
            account: Account {
                id: row.account_id.clone(),
                username: row.account_username.clone(),
            },
            workspace_id: row.workspace_id.clone(),
            environment_id: row.environment_id.clone(),
        }
    }
}

/// What happened to the subject.
#[derive(Clone, Debug)]
pub enum Change<'a> {
    Created,
    Reauthorized,
    StateChanged {
        before: &'a ConnectionState,
    },
    /// `previous` was connected; Pinterest now answers for `current`.
    AccountChanged {
        previous: Account,
        current: Account,
    },
    Disconnected,
    RefreshFailed {
        reason: &'a str,
        failures: i64,
    },
}

impl Change<'_> {
    fn event_type(&self) -> WebhookEventType {
        match self {
            Change::Created => WebhookEventType::ConnectionCreated,
            Change::Reauthorized => WebhookEventType::ConnectionReauthorized,
            Change::StateChanged { .. } => WebhookEventType::ConnectionStateChanged,
            Change::AccountChanged { .. } => WebhookEventType::ConnectionAccountChanged,
            Change::Disconnected => WebhookEventType::ConnectionDisconnected,
            Change::RefreshFailed { .. } => WebhookEventType::ConnectionRefreshFailed,
        }
    }

    fn data(&self, subject: &Subject) -> Value {
        let mut data = json!({ "connection": subject });
        let extra = match self {
            Change::Created | Change::Reauthorized | Change::Disconnected => json!({}),
            Change::StateChanged { before } => json!({
                "previous_state": before.health,
                "state": subject.state,
                "reason": subject.state_reason,
            }),
            Change::AccountChanged { previous, current } => {
                json!({ "previous_account": previous, "account": current })
            }
            Change::RefreshFailed { reason, failures } => {
                json!({ "reason": reason, "failures": failures })
            }
        };
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        data
    }
}

/// Writes the event of `change` to `subject`, and its deliveries, in `tx`.
/// Answers whether any endpoint receives it.
pub async fn emit_tx(
    tx: &mut Tx,
    subject: &Subject,
    change: Change<'_>,
    now: i64,
) -> Result<bool, DbError> {
    let event_type = change.event_type();
    let endpoints = rows::subscribed_tx(tx, &subject.environment_id, event_type).await?;
    if endpoints.is_empty() {
        return Ok(false);
    }
    let data = change.data(subject);
    write_tx(
        tx,
        &subject.workspace_id,
        &subject.environment_id,
        Some(&subject.id),
        event_type,
        data,
        &endpoints,
        now,
    )
    .await?;
    Ok(true)
}

/// Writes one event with a delivery to each of `endpoints`; answers its id.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    connection_id: Option<&ConnectionId>,
    event_type: WebhookEventType,
    data: Value,
    endpoints: &[WebhookEndpointId],
    now: i64,
) -> Result<WebhookEventId, DbError> {
    let event = Outgoing {
        workspace_id,
        environment_id,
        connection_id,
        event_type,
        wire_type: event_type.as_str(),
        order_key: connection_id.map(ConnectionId::as_str),
        data,
    };
    insert_tx(tx, event, endpoints, now).await
}

/// One event as it goes into the outbox.
struct Outgoing<'a> {
    workspace_id: &'a WorkspaceId,
    environment_id: &'a EnvironmentId,
    connection_id: Option<&'a ConnectionId>,
    /// The type stored, which endpoints subscribe to.
    event_type: WebhookEventType,
    /// The body's `type`: the stored type's name, but for the audit stream,
    /// whose events are subscribed to as `audit.*` and each named for its
    /// record's action (`audit.environment.promoted`).
    wire_type: &'a str,
    /// Deliveries with one key go out one at a time, in order (a
    /// connection's events, a workspace's audit records); `None`: the
    /// event's own id, in no order with others.
    order_key: Option<&'a str>,
    data: Value,
}

async fn insert_tx(
    tx: &mut Tx,
    event: Outgoing<'_>,
    endpoints: &[WebhookEndpointId],
    now: i64,
) -> Result<WebhookEventId, DbError> {
    let environment = environments::find_tx(tx, event.workspace_id, event.environment_id)
        .await?
        .map_or_else(String::new, |e| e.name);
    let id = WebhookEventId::generate();
    let payload = json!({
        "id": id,
        "type": event.wire_type,
        "timestamp": rfc3339(now),
        "environment": { "id": event.environment_id, "name": environment },
        "data": event.data,
    })
    .to_string();
    let seq = rows::insert_event_tx(
        tx,
        &NewEventRow {
            id: &id,
            workspace_id: event.workspace_id,
            environment_id: event.environment_id,
            connection_id: event.connection_id,
            event_type: event.event_type,
            payload: &payload,
            created_at: now,
        },
    )
    .await?;
    let order_key = event
        .order_key
        .map_or_else(|| id.to_string(), str::to_owned);
    for endpoint in endpoints {
        rows::insert_delivery_tx(tx, seq, endpoint, &order_key, now).await?;
    }
    Ok(id)
}

/// Puts an audit record on the audit stream, in the transaction that wrote
/// it: one `audit.<action>` event for each environment with an enabled
/// endpoint subscribed to `audit.*`, with a delivery to each of those
/// endpoints. A record of an environment goes to that environment's
/// endpoints; a record of the workspace (no environment) to those of every
/// environment. Answers how many events were written.
///
/// Deliveries of one workspace's records go out in the order written (the
/// order of their places in the chain). Nothing loops: the only record a
/// delivery itself writes is `webhook.endpoint_disabled`, after a 410 Gone
/// has already switched its endpoint off, so each such record goes only to
/// endpoints still on, and there are fewer each time.
pub(crate) async fn audit_tx(tx: &mut Tx, record: &AuditEventRow) -> Result<usize, DbError> {
    let targets = match &record.environment_id {
        Some(environment_id) => {
            let endpoints =
                rows::subscribed_tx(tx, environment_id, WebhookEventType::Audit).await?;
            vec![(environment_id.clone(), endpoints)]
        }
        None => {
            rows::subscribed_in_workspace_tx(tx, &record.workspace_id, WebhookEventType::Audit)
                .await?
        }
    };
    let wire_type = format!("audit.{}", record.action.as_str());
    let order_key = format!("audit:{}", record.workspace_id);
    let mut written = 0;
    for (environment_id, endpoints) in targets {
        if endpoints.is_empty() {
            continue;
        }
        let event = Outgoing {
            workspace_id: &record.workspace_id,
            environment_id: &environment_id,
            connection_id: None,
            event_type: WebhookEventType::Audit,
            wire_type: wire_type.as_str(),
            order_key: Some(order_key.as_str()),
            data: audit_data(record),
        };
        insert_tx(tx, event, &endpoints, record.created_at).await?;
        written += 1;
    }
    Ok(written)
}

/// An audit record as the audit stream sends it, in the shape
/// `GET /v1/audit-events` gives it: `detail` as the object it is (redacted
/// when it was written), times in RFC 3339.
fn audit_data(record: &AuditEventRow) -> Value {
    let detail = serde_json::from_str::<Value>(&record.detail)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    json!({
        "id": record.id,
        "seq": record.seq,
        "hash": record.hash,
        "prev_hash": record.prev_hash,
        "environment_id": record.environment_id,
        "action": record.action,
        "actor": {
            "operator_id": record.actor_operator_id,
            "label": record.actor_label,
        },
        "target": record.target,
        "detail": detail,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "created_at": rfc3339(record.created_at),
    })
}
