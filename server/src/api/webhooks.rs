//! The document's `webhooks` (OpenAPI 3.1): the requests pinbridge sends to an
//! environment's webhook endpoints, one per event type, each with its body's
//! schema (`models::WEBHOOK_EVENTS`) and the Standard Webhooks headers. The
//! audit stream's events (`models::AuditEvent`) are many types under one
//! subscription, `audit.*`.

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, Paths, PathsBuilder, Ref, Required, ResponseBuilder};

use super::models::{AUDIT_EVENT_TYPE, WEBHOOK_EVENTS};

enum Shape {
    Format(&'static str),
    Pattern(&'static str),
}

/// How every webhook request is sent and signed, and what its answer does.
pub const DELIVERY: &str = "pinbridge posts each event as JSON to every switched-on endpoint of the environment that subscribes to its type, signed the Standard Webhooks way (https://www.standardwebhooks.com): verify the `webhook-signature` header with the endpoint's `whsec_` secret before trusting the body. Any 2xx answer within the timeout (10 s by default) acknowledges the event; 410 Gone switches the endpoint off; anything else, or no answer, is retried with exponential backoff for 24 hours (by default). Events of one connection arrive one at a time, in the order they happened; an event may arrive more than once (after a timeout, say): deduplicate by its `id`, which is also the `webhook-id` header.";

/// What the audit stream is, before how every event is delivered.
pub const AUDIT_STREAM: &str = "The audit stream: an endpoint subscribed to `audit.*` receives every audit record of its environment, and every record of its workspace that belongs to no environment (members, sign-ins, the workspace's settings), as each is written. Each event's `type` is `audit.` and the record's action (`audit.environment.promoted`, `audit.member.invited`, …). A workspace's records arrive one at a time, in the order they were written. Each record carries its place in the workspace's hash chain (`seq`), its hash and the hash of the record before it, which `pinbridge audit verify` checks in the database: keep them, and a record later edited, removed or inserted there shows against your copy. An endpoint sees its environment's share of the chain, so places of other environments' records are skipped.";

/// A required header: a string of `format`, or matching `pattern`.
fn header(name: &str, description: &str, shape: Shape, example: &str) -> Parameter {
    let schema = ObjectBuilder::new().schema_type(Type::String);
    let schema = match shape {
        Shape::Format(f) => schema.format(Some(SchemaFormat::Custom(f.into()))),
        Shape::Pattern(p) => schema.pattern(Some(p)),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .example(Some(example.into()))
        .build()
}

fn operation(event_type: &str, schema: &str) -> Operation {
    // `audit.*` names many types: `webhook_audit_all`.
    let operation_id = format!(
        "webhook_{}",
        event_type.replace('.', "_").replace('*', "all")
    );
    let (summary, description) = if event_type == AUDIT_EVENT_TYPE {
        (
            "The audit stream: `audit.*` events".to_owned(),
            format!("{AUDIT_STREAM}\n\n{DELIVERY}"),
        )
    } else {
        (format!("The `{event_type}` event"), DELIVERY.to_owned())
    };
    OperationBuilder::new()
        .tag("Webhooks")
        .operation_id(Some(operation_id))
        .summary(Some(summary))
        .description(Some(description))
        .parameter(header(
            "webhook-id",
            "The event's id (the body's `id`): the same on every attempt.",
            Shape::Format("uuid"),
            "01968a2e-7c4f-7d3a-9a43-6f0e2b1c5d77",
        ))
        .parameter(header(
            "webhook-timestamp",
            "When this attempt was signed, in Unix seconds. Refuse requests more than five minutes away from your clock.",
            Shape::Pattern("^[0-9]+$"),
            "1767225600",
        ))
        .parameter(header(
            "webhook-signature",
            "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret (the bytes after `whsec_`, base64-decoded). For 24 hours after the secret is rotated, the old secret signs too: accept the request if any signature matches.",
            Shape::Pattern("^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$"),
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Received (any 2xx status acknowledges the event).")
                .build(),
        )
        .response(
            "410",
            ResponseBuilder::new()
                .description("Gone: pinbridge switches the endpoint off and sends it nothing more until it is switched on again.")
                .build(),
        )
        .response(
            "default",
            ResponseBuilder::new()
                .description("Any other answer, or none within the timeout: retried with exponential backoff for 24 hours.")
                .build(),
        )
        .build()
}

/// One webhook per event type, keyed by the type.
pub fn webhooks() -> Paths {
    WEBHOOK_EVENTS
        .iter()
        .fold(PathsBuilder::new(), |paths, (event_type, schema)| {
            paths.path(
                *event_type,
                PathItem::new(HttpMethod::Post, operation(event_type, schema)),
            )
        })
        .build()
}
