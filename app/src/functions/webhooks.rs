//! [Environment] → Webhooks: the endpoints pinbridge sends connection events
//! to, and each one's delivery log. Admins and owners only: members are
//! refused (the domain checks the role). An endpoint's signing secret is
//! answered once, by the function that made it, and without JavaScript shown
//! by the one page load after it.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{IssuedSecret, WebhookPageView, WebhooksPageView};

/// The Webhooks page: the environment's endpoints with their pending and
/// failed deliveries.
#[server(endpoint = "webhooks/view")]
pub async fn load_webhooks(
    workspace: String,
    environment: String,
) -> Result<WebhooksPageView, AppError> {
    use super::views::{endpoint_view, environment_view};
    use domain::webhooks::endpoints;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let list = endpoints::list(&app, &actor, &env.id).await?;
    Ok(WebhooksPageView {
        endpoints: list.iter().map(endpoint_view).collect(),
        limits: limits(&app),
        issued: kept::shown(&app),
        notices: super::flash::notices(),
        environment: environment_view(env),
    })
}

/// One endpoint's page: its settings and a page of its delivery log, of one
/// status (`pending`, `succeeded`, `failed`) or all; `before` is the cursor
/// the previous page gave.
#[server(endpoint = "webhook/view")]
pub async fn load_webhook(
    workspace: String,
    environment: String,
    endpoint: String,
    #[server(default)] status: Option<String>,
    #[server(default)] before: Option<String>,
) -> Result<WebhookPageView, AppError> {
    use super::views::{delivery_view, endpoint_view, environment_view};
    use domain::accounts::{WebhookDeliveryId, WebhookEndpointId};
    use domain::shared::DeliveryStatus;
    use domain::webhooks::endpoints;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let id = WebhookEndpointId::parse(&endpoint).ok_or(AppError::NotFound)?;
    let found = endpoints::find(&app, &actor, &env.id, &id).await?;
    let status = match status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(DeliveryStatus::parse(text).ok_or_else(|| {
            AppError::invalid(
                "status",
                "Filter by pending, succeeded or failed deliveries, or all.",
            )
        })?),
    };
    let bad_cursor = || AppError::invalid("before", "This page of the log does not exist.");
    let before = match before.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(cursor) => {
            let (at, delivery) = cursor.split_once('.').ok_or_else(bad_cursor)?;
            let at: i64 = at.parse().map_err(|_| bad_cursor())?;
            Some((
                at,
                WebhookDeliveryId::parse(delivery).ok_or_else(bad_cursor)?,
            ))
        }
    };
    let rows = endpoints::deliveries(
        &app,
        &actor,
        &env.id,
        &id,
        status,
        before.as_ref().map(|(at, id)| (*at, id)),
    )
    .await?;
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= endpoints::PAGE;
    let next = rows
        .last()
        .filter(|_| full)
        .map(|last| format!("{}.{}", last.created_at, last.id));
    Ok(WebhookPageView {
        endpoint: endpoint_view(&found),
        limits: limits(&app),
        deliveries: rows.iter().map(delivery_view).collect(),
        status,
        next,
        paged: before.is_some(),
        now: domain::db::now_ms(),
        issued: kept::shown(&app),
        notices: super::flash::notices(),
        environment: environment_view(env),
    })
}

/// "Add endpoint": answers the new endpoint's signing secret, shown once.
#[server(endpoint = "webhooks/create")]
pub async fn create_webhook(
    workspace: String,
    environment_id: String,
    #[server(default)] url: String,
    #[server(default)] description: String,
    #[server(default)] event_types: Vec<String>,
    #[server(default)] enabled: Option<String>,
) -> Result<IssuedSecret, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::webhooks::endpoints::{self, EndpointInput};
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let input = EndpointInput::parse(
        &url,
        &description,
        &event_types,
        enabled.is_some(),
        app.config.webhooks.allow_private,
    )?;
    let created = endpoints::create(
        &app,
        &actor,
        &environment_id,
        input,
        &super::request::request_meta(),
    )
    .await?;
    let issued = IssuedSecret {
        endpoint_id: created.row.id.to_string(),
        url: created.row.url.clone(),
        secret: created.secret.expose().to_owned(),
        previous_until: None,
    };
    kept::answer(&app, issued).await
}

/// "Save": the endpoint's URL, description, event types and whether it is on.
#[server(endpoint = "webhook/update")]
pub async fn update_webhook(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
    #[server(default)] url: String,
    #[server(default)] description: String,
    #[server(default)] event_types: Vec<String>,
    #[server(default)] enabled: Option<String>,
) -> Result<String, AppError> {
    use domain::webhooks::endpoints::{self, EndpointInput};
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let input = EndpointInput::parse(
        &url,
        &description,
        &event_types,
        enabled.is_some(),
        app.config.webhooks.allow_private,
    )?;
    let on = input.enabled;
    endpoints::update(
        &app,
        &actor,
        &environment_id,
        &id,
        input,
        &super::request::request_meta(),
    )
    .await?;
    let notice = if on {
        "Saved: the endpoint receives the event types chosen."
    } else {
        "Saved: the endpoint is disabled; its events wait until it is enabled again."
    };
    tell(notice).await
}

/// "Delete endpoint": gone with its delivery log; back to the list.
#[server(endpoint = "webhook/delete")]
pub async fn delete_webhook(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
) -> Result<String, AppError> {
    use domain::accounts::environments;
    use domain::webhooks::endpoints;
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let env = environments::find(&app.db, &actor, &environment_id).await?;
    let row = endpoints::delete(
        &app,
        &actor,
        &environment_id,
        &id,
        &super::request::request_meta(),
    )
    .await?;
    let notice = format!(
        "Deleted the endpoint {}: pinbridge sends it nothing more.",
        domain::webhooks::target::redacted(&row.url)
    );
    let notice = tell(&notice).await?;
    leptos_axum::redirect(&format!(
        "/w/{}/e/{}/webhooks",
        actor.workspace_id(),
        env.slug
    ));
    Ok(notice)
}

/// "Rotate secret": a new secret, shown once; the old one keeps signing
/// beside it for 24 hours.
#[server(endpoint = "webhook/rotate")]
pub async fn rotate_webhook_secret(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
) -> Result<IssuedSecret, AppError> {
    use domain::webhooks::endpoints;
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let meta = super::request::request_meta();
    let rotated = endpoints::rotate_secret(&app, &actor, &environment_id, &id, &meta).await?;
    let issued = IssuedSecret {
        endpoint_id: rotated.row.id.to_string(),
        url: rotated.row.url.clone(),
        secret: rotated.secret.expose().to_owned(),
        previous_until: rotated.row.previous_secret_until,
    };
    kept::answer(&app, issued).await
}

/// "Send test event": a `webhook.test` event to this endpoint alone.
#[server(endpoint = "webhook/test")]
pub async fn send_webhook_test(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
) -> Result<String, AppError> {
    use domain::webhooks::endpoints;
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let meta = super::request::request_meta();
    let sent = endpoints::send_test(&app, &actor, &environment_id, &id, &meta).await?;
    let event = sent.id;
    let notice = if sent.endpoint_enabled {
        format!("Test event {event} sent: it appears in the delivery log below.")
    } else {
        format!("Test event {event} is waiting: it goes out once the endpoint is enabled again.")
    };
    tell(&notice).await
}

/// "Redeliver": the delivery's event again, as a new delivery.
#[server(endpoint = "webhook/redeliver")]
pub async fn redeliver_webhook(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
    delivery_id: String,
) -> Result<String, AppError> {
    use domain::accounts::WebhookDeliveryId;
    use domain::webhooks::endpoints;
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let delivery = WebhookDeliveryId::parse(&delivery_id).ok_or(AppError::NotFound)?;
    endpoints::redeliver(
        &app,
        &actor,
        &environment_id,
        &id,
        &delivery,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(delivery.as_str()))?;
    tell("Redelivery queued: it is at the top of the log.").await
}

/// "Replay failed": every event whose delivery failed since `since` (a
/// `datetime-local` value, read as UTC), sent again.
#[server(endpoint = "webhook/replay")]
pub async fn replay_webhook_failures(
    workspace: String,
    environment_id: String,
    endpoint_id: String,
    #[server(default)] since: String,
) -> Result<String, AppError> {
    use domain::webhooks::endpoints::{self, SINCE_FIELD};
    let (app, actor, environment_id, id) =
        target(&workspace, &environment_id, &endpoint_id).await?;
    let at = crate::models::parse_input_utc(&since).ok_or_else(|| {
        AppError::invalid(
            SINCE_FIELD,
            "Enter a date and time in UTC, such as 2026-11-28 17:00.",
        )
    })?;
    let count = endpoints::replay_failed_since(
        &app,
        &actor,
        &environment_id,
        &id,
        at,
        &super::request::request_meta(),
    )
    .await?;
    let notice = match count {
        0 => format!(
            "No failed event to send again since {}.",
            crate::models::format_utc(at)
        ),
        1 => "1 failed event will be sent again.".to_owned(),
        n => format!("{n} failed events will be sent again, oldest first."),
    };
    tell(&notice).await
}

#[cfg(feature = "ssr")]
fn limits(app: &domain::Services) -> crate::models::EndpointLimits {
    use domain::webhooks::endpoints;
    crate::models::EndpointLimits {
        endpoints_max: endpoints::ENDPOINTS_MAX,
        description_max: u32::try_from(endpoints::DESCRIPTION_MAX).unwrap_or(u32::MAX),
        allow_private: app.config.webhooks.allow_private,
    }
}

/// Who acts, on which endpoint of which environment (a malformed id is not found).
#[cfg(feature = "ssr")]
async fn target(
    workspace: &str,
    environment_id: &str,
    endpoint_id: &str,
) -> Result<
    (
        domain::Services,
        domain::accounts::Actor,
        domain::accounts::EnvironmentId,
        domain::accounts::WebhookEndpointId,
    ),
    AppError,
> {
    use domain::accounts::{EnvironmentId, WebhookEndpointId};
    let (app, actor) = super::context::actor(workspace).await?;
    let environment_id = EnvironmentId::parse(environment_id).ok_or(AppError::NotFound)?;
    let id = WebhookEndpointId::parse(endpoint_id).ok_or(AppError::NotFound)?;
    Ok((app, actor, environment_id, id))
}

/// What a change said: answered, and kept for the page load after a plain post.
#[cfg(feature = "ssr")]
async fn tell(notice: &str) -> Result<String, AppError> {
    let notice = notice.to_owned();
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// A new signing secret on its way to the page: in the answer, or (a form
/// sent without JavaScript) sealed in the flash until the page load that shows it.
#[cfg(feature = "ssr")]
mod kept {
    use domain::Services;
    use domain::crypto::{Aad, Sealed};

    use crate::errors::AppError;
    use crate::functions::flash::{self, KeptWebhookSecret};
    use crate::models::IssuedSecret;

    fn aad(endpoint_id: &str) -> Aad<'_> {
        Aad {
            table: "sessions",
            column: "flash_webhook_secret",
            row: endpoint_id,
        }
    }

    /// The answer that shows the secret. Without JavaScript the answer is a
    /// redirect, whose body no browser shows: the secret waits, sealed, in
    /// the session's flash, which the next page load takes out.
    pub async fn answer(
        services: &Services,
        issued: IssuedSecret,
    ) -> Result<IssuedSecret, AppError> {
        if !crate::functions::request::is_plain_form_post() {
            return Ok(issued);
        }
        let sealed = services
            .keys
            .seal_str(&issued.secret, aad(&issued.endpoint_id))
            .map_err(|e| {
                tracing::error!(error = %e, "a new webhook secret could not be sealed for the next page");
                AppError::Internal
            })?;
        let without = IssuedSecret {
            secret: String::new(),
            ..issued
        };
        let kept = KeptWebhookSecret {
            issued: without.clone(),
            sealed: sealed.as_stored().to_owned(),
        };
        let session = crate::functions::context::session().await?;
        flash::put(&session, move |f| f.webhook_secret = Some(kept)).await?;
        Ok(without)
    }

    /// The secret a form sent without JavaScript made just before this page load.
    pub fn shown(services: &Services) -> Option<IssuedSecret> {
        let kept = flash::with_current(|f| f.webhook_secret.clone())?;
        let sealed = Sealed::from_stored(kept.sealed);
        match services
            .keys
            .open_str(&sealed, aad(&kept.issued.endpoint_id))
        {
            Ok(text) => Some(IssuedSecret {
                secret: text.expose().to_owned(),
                ..kept.issued
            }),
            Err(e) => {
                tracing::warn!(error = %e, "a webhook secret kept for this page could not be opened");
                None
            }
        }
    }
}
