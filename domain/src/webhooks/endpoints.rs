//! An environment's webhook endpoints as the portal manages them (admins and
//! owners): create (the signing secret is shown once), change, switch on and
//! off, rotate the secret (the old one keeps signing for 24 hours), delete,
//! send a test event; and the delivery log with redelivery and replay.

use serde_json::json;

use super::events::write_tx;
use super::signing::{self, SecretColumn};
use super::target;
use crate::Services;
use crate::accounts::audit::{self, AuditAction, NewAuditEvent, RequestMeta, detail};
use crate::accounts::{Actor, EnvironmentId, WebhookDeliveryId, WebhookEndpointId, WebhookEventId};
use crate::connections::ConnectionError;
use crate::crypto::SecretString;
use crate::db::now_ms;
use crate::db::repo::environments;
use crate::db::repo::webhooks::{self as rows, EndpointChange};
use crate::db::tx::Tx;
use crate::shared::{DeliveryStatus, WebhookEventType};

pub use crate::db::repo::webhooks::{DeliveryRow, EndpointRow};

pub const URL_FIELD: &str = "url";
pub const DESCRIPTION_FIELD: &str = "description";
pub const EVENTS_FIELD: &str = "event_types";
pub const SINCE_FIELD: &str = "since";

/// Endpoints one environment may have.
pub const ENDPOINTS_MAX: i64 = 10;
pub const DESCRIPTION_MAX: usize = 200;
/// How long a rotated-out secret keeps signing beside the new one.
pub const PREVIOUS_SECRET_MS: i64 = 24 * 3_600_000;
/// Most failed deliveries one replay sends again.
pub const REPLAY_MAX: i64 = 10_000;
/// A delivery log page.
pub const PAGE: i64 = 50;

/// What the endpoint form sent, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInput {
    pub url: url::Url,
    pub description: String,
    pub event_types: Vec<WebhookEventType>,
    pub enabled: bool,
}

impl EndpointInput {
    /// Checks the form's fields (the URL's host is resolved when it is saved).
    pub fn parse(
        url: &str,
        description: &str,
        event_types: &[String],
        enabled: bool,
        allow_private: bool,
    ) -> Result<Self, ConnectionError> {
        let url = target::parse(url, allow_private)
            .map_err(|m| ConnectionError::invalid(URL_FIELD, m))?;
        let description = description.trim();
        let count = description.chars().count();
        if count > DESCRIPTION_MAX {
            return Err(ConnectionError::invalid(
                DESCRIPTION_FIELD,
                format!("The description is {count} characters long: at most {DESCRIPTION_MAX}."),
            ));
        }
        if description.chars().any(char::is_control) {
            return Err(ConnectionError::invalid(
                DESCRIPTION_FIELD,
                "The description must not contain control characters such as tabs or line breaks.",
            ));
        }
        let mut types = Vec::new();
        for name in event_types {
            let t = WebhookEventType::parse(name.trim())
                .filter(|t| WebhookEventType::SUBSCRIBABLE.contains(t))
                .ok_or_else(|| {
                    ConnectionError::invalid(
                        EVENTS_FIELD,
                        format!(
                            "Unknown event type \u{201c}{}\u{201d}: choose from {}.",
                            name.chars().take(60).collect::<String>(),
                            WebhookEventType::SUBSCRIBABLE
                                .map(WebhookEventType::as_str)
                                .join(", ")
                        ),
                    )
                })?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        if types.is_empty() {
            return Err(ConnectionError::invalid(
                EVENTS_FIELD,
                "Choose at least one event type to send.",
            ));
        }
        Ok(Self {
            url,
            description: description.to_owned(),
            event_types: types,
            enabled,
        })
    }
}

/// An endpoint with its delivery counts.
#[derive(Clone, Debug)]
pub struct EndpointSummary {
    pub row: EndpointRow,
    pub pending: i64,
    pub failed: i64,
}

/// An endpoint with the secret just made for it (when it was added or its
/// secret rotated): the only time the secret exists outside the database.
#[derive(Debug)]
pub struct EndpointSecret {
    pub row: EndpointRow,
    pub secret: SecretString,
}

/// A test event just written for an endpoint.
#[derive(Clone, Debug)]
pub struct TestEvent {
    pub id: WebhookEventId,
    /// Whether the endpoint is on (else the event waits until it is).
    pub endpoint_enabled: bool,
}

async fn environment_of(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<(), ConnectionError> {
    actor.require_configure()?;
    environments::find(&services.db, actor.workspace_id(), environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    Ok(())
}

/// The environment's endpoints with their pending and failed deliveries.
pub async fn list(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Vec<EndpointSummary>, ConnectionError> {
    environment_of(services, actor, environment_id).await?;
    let endpoints =
        rows::list_endpoints(&services.db, actor.workspace_id(), environment_id).await?;
    let counts = rows::counts(&services.db, environment_id).await?;
    Ok(endpoints
        .into_iter()
        .map(|row| {
            let count = |status| {
                counts
                    .iter()
                    .find(|(id, s, _)| *id == row.id && *s == status)
                    .map_or(0, |(_, _, n)| *n)
            };
            EndpointSummary {
                pending: count(DeliveryStatus::Pending),
                failed: count(DeliveryStatus::Failed),
                row,
            }
        })
        .collect())
}

/// One endpoint of the environment, with its delivery counts.
pub async fn find(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
) -> Result<EndpointSummary, ConnectionError> {
    let row = endpoint_of(services, actor, environment_id, id).await?;
    let counts = rows::counts(&services.db, environment_id).await?;
    let count = |status| {
        counts
            .iter()
            .find(|(e, s, _)| *e == row.id && *s == status)
            .map_or(0, |(_, _, n)| *n)
    };
    Ok(EndpointSummary {
        pending: count(DeliveryStatus::Pending),
        failed: count(DeliveryStatus::Failed),
        row,
    })
}

/// An endpoint of the actor's workspace in `environment_id`; its own row
/// answers for the environment too.
async fn endpoint_of(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
) -> Result<EndpointRow, ConnectionError> {
    actor.require_configure()?;
    rows::find_endpoint(&services.db, actor.workspace_id(), id)
        .await?
        .filter(|r| &r.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)
}

async fn endpoint_tx(
    tx: &mut Tx,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
) -> Result<EndpointRow, ConnectionError> {
    rows::find_endpoint_tx(tx, actor.workspace_id(), id)
        .await?
        .filter(|r| &r.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)
}

async fn append(
    tx: &mut Tx,
    actor: &Actor,
    row: &EndpointRow,
    action: AuditAction,
    mut d: serde_json::Map<String, serde_json::Value>,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    d.insert("endpoint_id".into(), row.id.as_str().into());
    audit::append_tx(
        tx,
        NewAuditEvent {
            workspace_id: row.workspace_id.clone(),
            environment_id: Some(row.environment_id.clone()),
            actor: actor.into(),
            action,
            target: super::target::redacted(&row.url),
            detail: d,
        },
        meta,
    )
    .await?;
    Ok(())
}

fn settings_detail(input: &EndpointInput) -> serde_json::Map<String, serde_json::Value> {
    detail([
        ("url", super::target::redacted(input.url.as_str()).into()),
        ("description", input.description.clone().into()),
        (
            "event_types",
            WebhookEventType::join(&input.event_types).into(),
        ),
        ("enabled", input.enabled.into()),
    ])
}

pub(crate) async fn check_target(
    services: &Services,
    url: &url::Url,
) -> Result<(), ConnectionError> {
    target::check_resolves(url, services.config.webhooks.allow_private)
        .await
        .map_err(|m| ConnectionError::invalid(URL_FIELD, m))
}

pub async fn create(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    input: EndpointInput,
    meta: &RequestMeta,
) -> Result<EndpointSecret, ConnectionError> {
    environment_of(services, actor, environment_id).await?;
    check_target(services, &input.url).await?;
    let now = now_ms();
    let id = WebhookEndpointId::generate();
    let ws = actor.workspace_id();
    let secret = signing::generate();
    let sealed = signing::seal(&services.keys, ws, &id, SecretColumn::Current, &secret)?;
    let mut tx = services.db.begin().await?;
    if rows::count_endpoints_tx(&mut tx, environment_id).await? >= ENDPOINTS_MAX {
        return Err(ConnectionError::Refused(format!(
            "This environment already has {ENDPOINTS_MAX} webhook endpoints: delete one first."
        )));
    }
    let row = EndpointRow {
        id,
        workspace_id: ws.clone(),
        environment_id: environment_id.clone(),
        url: input.url.to_string(),
        description: input.description.clone(),
        event_types: WebhookEventType::join(&input.event_types),
        enabled: input.enabled,
        disabled_reason: None,
        secret: sealed,
        previous_secret: None,
        previous_secret_until: None,
        flagged_at: None,
        flag_reason: None,
        created_by: actor.label().to_owned(),
        created_at: now,
        updated_at: now,
    };
    rows::insert_endpoint(&mut tx, &row).await?;
    crate::db::repo::pipeline::set_endpoint_updated_by_tx(&mut tx, &row.id, actor.label()).await?;
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookEndpointCreated,
        settings_detail(&input),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(EndpointSecret { row, secret })
}

pub async fn update(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
    input: EndpointInput,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    // Found first: nobody learns how a URL resolves through another's id. The
    // lookup happens outside the transaction, which is read again inside.
    endpoint_of(services, actor, environment_id, id).await?;
    check_target(services, &input.url).await?;
    let mut tx = services.db.begin().await?;
    let row = endpoint_tx(&mut tx, actor, environment_id, id).await?;
    let types = WebhookEventType::join(&input.event_types);
    rows::update_endpoint_tx(
        &mut tx,
        id,
        &EndpointChange {
            url: input.url.as_str(),
            description: &input.description,
            event_types: &types,
            enabled: input.enabled,
        },
        now_ms(),
    )
    .await?;
    crate::db::repo::pipeline::set_endpoint_updated_by_tx(&mut tx, id, actor.label()).await?;
    let mut d = settings_detail(&input);
    d.insert(
        "url_before".into(),
        super::target::redacted(&row.url).into(),
    );
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookEndpointChanged,
        d,
        meta,
    )
    .await?;
    tx.commit().await?;
    services.webhooks.wake();
    Ok(())
}

pub async fn delete(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
    meta: &RequestMeta,
) -> Result<EndpointRow, ConnectionError> {
    actor.require_configure()?;
    let mut tx = services.db.begin().await?;
    let row = endpoint_tx(&mut tx, actor, environment_id, id).await?;
    rows::delete_endpoint_tx(&mut tx, id).await?;
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookEndpointDeleted,
        detail([("description", row.description.clone().into())]),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A new signing secret, shown once; the old one signs beside it for 24 hours.
pub async fn rotate_secret(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
    meta: &RequestMeta,
) -> Result<EndpointSecret, ConnectionError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let secret = signing::generate();
    let sealed = signing::seal(&services.keys, ws, id, SecretColumn::Current, &secret)?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let mut row = endpoint_tx(&mut tx, actor, environment_id, id).await?;
    // The secret in use until now, sealed again for its new column.
    let old = signing::open(&services.keys, ws, id, SecretColumn::Current, &row.secret)?;
    let previous = signing::seal(&services.keys, ws, id, SecretColumn::Previous, &old)?;
    let until = now + PREVIOUS_SECRET_MS;
    rows::rotate_secret_tx(&mut tx, id, &sealed, &previous, until, now).await?;
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookSecretRotated,
        detail([("previous_secret_until", until.into())]),
        meta,
    )
    .await?;
    tx.commit().await?;
    row.secret = sealed;
    row.previous_secret = Some(previous);
    row.previous_secret_until = Some(until);
    row.updated_at = now;
    Ok(EndpointSecret { row, secret })
}

/// Sends a `webhook.test` event to this endpoint alone (switched on or not:
/// it goes out once the endpoint is on).
pub async fn send_test(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
    meta: &RequestMeta,
) -> Result<TestEvent, ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let row = endpoint_tx(&mut tx, actor, environment_id, id).await?;
    let event = write_tx(
        &mut tx,
        actor.workspace_id(),
        environment_id,
        None,
        WebhookEventType::Test,
        json!({
            "endpoint_id": id,
            "message": "A test event from pinbridge: this endpoint receives webhooks.",
        }),
        std::slice::from_ref(id),
        now,
    )
    .await?;
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookTestSent,
        detail([("event_id", event.as_str().into())]),
        meta,
    )
    .await?;
    tx.commit().await?;
    services.webhooks.wake();
    Ok(TestEvent {
        id: event,
        endpoint_enabled: row.enabled,
    })
}

/// A page of the endpoint's delivery log, newest first.
pub async fn deliveries(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &WebhookEndpointId,
    status: Option<DeliveryStatus>,
    before: Option<(i64, &WebhookDeliveryId)>,
) -> Result<Vec<DeliveryRow>, ConnectionError> {
    endpoint_of(services, actor, environment_id, id).await?;
    Ok(rows::list_deliveries(&services.db, id, status, before, PAGE).await?)
}

/// Sends one delivery's event again, as a new delivery (the old one stays in
/// the log). Refused while the event is still pending for this endpoint.
pub async fn redeliver(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    endpoint_id: &WebhookEndpointId,
    delivery_id: &WebhookDeliveryId,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let row = endpoint_tx(&mut tx, actor, environment_id, endpoint_id).await?;
    let (seq, order_key, _) = rows::find_delivery_tx(&mut tx, endpoint_id, delivery_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if rows::pending_of_event_tx(&mut tx, endpoint_id, seq).await? {
        return Err(ConnectionError::Refused(
            "This event is still being delivered to this endpoint: wait for it to succeed or fail."
                .into(),
        ));
    }
    let new = rows::insert_delivery_tx(&mut tx, seq, endpoint_id, &order_key, now).await?;
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookRedelivered,
        detail([
            ("delivery_id", delivery_id.as_str().into()),
            ("new_delivery_id", new.as_str().into()),
        ]),
        meta,
    )
    .await?;
    tx.commit().await?;
    services.webhooks.wake();
    Ok(())
}

/// Sends again every event whose delivery to this endpoint failed since
/// `since` (Unix ms) and has not been delivered since; answers how many.
pub async fn replay_failed_since(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    endpoint_id: &WebhookEndpointId,
    since: i64,
    meta: &RequestMeta,
) -> Result<usize, ConnectionError> {
    actor.require_configure()?;
    let now = now_ms();
    if since > now {
        return Err(ConnectionError::invalid(
            SINCE_FIELD,
            "Choose a moment in the past: nothing has failed since a time still to come.",
        ));
    }
    let mut tx = services.db.begin().await?;
    let row = endpoint_tx(&mut tx, actor, environment_id, endpoint_id).await?;
    let failed = rows::failed_since_tx(&mut tx, endpoint_id, since, REPLAY_MAX).await?;
    for (seq, order_key) in &failed {
        rows::insert_delivery_tx(&mut tx, *seq, endpoint_id, order_key, now).await?;
    }
    append(
        &mut tx,
        actor,
        &row,
        AuditAction::WebhookRedelivered,
        detail([
            ("replayed_since", since.into()),
            ("events", failed.len().into()),
        ]),
        meta,
    )
    .await?;
    tx.commit().await?;
    services.webhooks.wake();
    Ok(failed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn field_of(r: Result<EndpointInput, ConnectionError>) -> (&'static str, String) {
        match r {
            Err(ConnectionError::Invalid { field, message }) => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_form_is_read_strictly_and_each_mistake_named() {
        let all = types(&["connection.created", "connection.disconnected"]);
        let ok = EndpointInput::parse(
            "  https://hooks.example.com/in  ",
            "  Billing  ",
            &types(&[
                "connection.created",
                " connection.created ",
                "connection.refresh_failed",
            ]),
            false,
            false,
        )
        .unwrap();
        assert_eq!(ok.url.as_str(), "https://hooks.example.com/in");
        assert_eq!(ok.description, "Billing");
        assert_eq!(
            ok.event_types,
            [
                WebhookEventType::ConnectionCreated,
                WebhookEventType::ConnectionRefreshFailed
            ],
            "duplicates are dropped"
        );
        assert!(!ok.enabled);

        let (field, message) = field_of(EndpointInput::parse(
            "https://x.example.com",
            "",
            &types(&["connection.exploded"]),
            true,
            false,
        ));
        assert_eq!(field, EVENTS_FIELD);
        assert!(message.contains("connection.exploded") && message.contains("connection.created"));
        // The test event is sent on request, never subscribed to.
        let (field, _) = field_of(EndpointInput::parse(
            "https://x.example.com",
            "",
            &types(&["webhook.test"]),
            true,
            false,
        ));
        assert_eq!(field, EVENTS_FIELD);
        let (field, message) = field_of(EndpointInput::parse(
            "https://x.example.com",
            "",
            &[],
            true,
            false,
        ));
        assert_eq!(field, EVENTS_FIELD);
        assert!(message.contains("at least one"));

        let long = "d".repeat(DESCRIPTION_MAX + 1);
        let (field, message) = field_of(EndpointInput::parse(
            "https://x.example.com",
            &long,
            &all,
            true,
            false,
        ));
        assert_eq!(field, DESCRIPTION_FIELD);
        assert!(message.contains("201 characters"), "{message}");
        let (field, _) = field_of(EndpointInput::parse(
            "https://x.example.com",
            "a\tb",
            &all,
            true,
            false,
        ));
        assert_eq!(field, DESCRIPTION_FIELD);

        for url in ["", "example.com/hook", "https://", "javascript:alert(1)"] {
            let (field, _) = field_of(EndpointInput::parse(url, "", &all, true, false));
            assert_eq!(field, URL_FIELD, "{url:?}");
        }
    }
}
