//! Events into the outbox: written in the transaction of the change that
//! caused them, with one pending delivery per enabled endpoint that
//! subscribes to the type. An event no endpoint receives is not written.

use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::{
    ConnectionId, EnvironmentId, WebhookEndpointId, WebhookEventId, WorkspaceId,
};
use crate::connections::ConnectionState;
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
    let environment = environments::find_tx(tx, workspace_id, environment_id)
        .await?
        .map_or_else(String::new, |e| e.name);
    let id = WebhookEventId::generate();
    let payload = json!({
        "id": id,
        "type": event_type,
        "timestamp": rfc3339(now),
        "environment": { "id": environment_id, "name": environment },
        "data": data,
    })
    .to_string();
    let seq = rows::insert_event_tx(
        tx,
        &NewEventRow {
            id: &id,
            workspace_id,
            environment_id,
            connection_id,
            event_type,
            payload: &payload,
            created_at: now,
        },
    )
    .await?;
    let order_key = connection_id.map_or_else(|| id.to_string(), ToString::to_string);
    for endpoint in endpoints {
        rows::insert_delivery_tx(tx, seq, endpoint, &order_key, now).await?;
    }
    Ok(id)
}
