//! The API's wire types: what handlers read and answer, and, through
//! `ToSchema`, the OpenAPI document's schemas. Times are RFC 3339 in UTC.

use domain::api::calls::Detail;
use domain::connections::portal::{ConnectionRow, ProbeRow};
use domain::pinterest::ScopeSet;
use domain::shared::Health;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use domain::db::rfc3339;

/// A connection's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Working.
    Active,
    /// Pinterest failed transiently (5xx, timeout, 429); pinbridge keeps trying.
    Degraded,
    /// Pinterest refused the refresh token: the end user must connect again.
    NeedsReauth,
    /// The grant lacks a scope the environment requires: the end user must connect again.
    InsufficientScope,
    /// Disconnected; pinbridge holds no tokens for it.
    Revoked,
}

impl From<Health> for ConnectionState {
    fn from(h: Health) -> Self {
        match h {
            Health::Active => Self::Active,
            Health::Degraded => Self::Degraded,
            Health::NeedsReauth => Self::NeedsReauth,
            Health::InsufficientScope => Self::InsufficientScope,
            Health::Revoked => Self::Revoked,
        }
    }
}

impl From<ConnectionState> for Health {
    fn from(s: ConnectionState) -> Self {
        match s {
            ConnectionState::Active => Health::Active,
            ConnectionState::Degraded => Health::Degraded,
            ConnectionState::NeedsReauth => Health::NeedsReauth,
            ConnectionState::InsufficientScope => Health::InsufficientScope,
            ConnectionState::Revoked => Health::Revoked,
        }
    }
}

/// What a connect session is for: one end user, and where they go afterwards.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnectSession {
    /// Your product's id for the end user (1 to 200 characters). Connecting
    /// again for the same end user keeps their connection's id.
    pub end_user_id: String,
    /// A name to show on the connect page (up to 100 characters).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Where to send the end user afterwards. Its origin must be on the
    /// environment's allowed return origins.
    #[serde(default)]
    pub return_url: Option<String>,
}

/// A link to hand to one end user: it opens pinbridge's connect page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectSession {
    /// Valid for 30 minutes, makes at most one connection.
    pub url: String,
    pub expires_at: String,
    pub end_user_id: String,
}

/// The Pinterest account behind a connection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    /// `BUSINESS` or `PINNER`, as Pinterest says.
    #[serde(rename = "type")]
    pub account_type: String,
}

/// The latest health probe (`GET /v5/user_account` with the connection's token).
#[derive(Debug, Serialize, ToSchema)]
pub struct Probe {
    pub checked_at: String,
    /// ok, unauthorized, missing_scope, transient or skipped.
    pub outcome: String,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    /// Pinterest answered with another account than the one connected.
    pub account_changed: bool,
}

/// An end user's Pinterest connection. Never carries a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Connection {
    pub id: String,
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub state: ConnectionState,
    /// Why it is in this state, in words.
    pub reason: String,
    /// Since when it is in this state.
    pub since: String,
    pub account: Account,
    pub scopes_granted: Vec<String>,
    /// The scopes the environment requires now.
    pub scopes_required: Vec<String>,
    /// Required scopes the grant lacks.
    pub scopes_missing: Vec<String>,
    pub access_token_expires_at: Option<String>,
    pub refresh_token_expires_at: Option<String>,
    pub created_at: String,
    pub authorized_at: String,
    pub last_refresh_at: Option<String>,
    pub last_probe_at: Option<String>,
    /// The latest probe, on single-connection answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_probe: Option<Probe>,
}

impl Connection {
    pub fn of(row: &ConnectionRow, required: &ScopeSet, probe: Option<&ProbeRow>) -> Self {
        let granted = ScopeSet::from_granted(&row.scopes_granted);
        Self {
            id: row.id.to_string(),
            end_user_id: row.end_user_id.clone(),
            display_name: row.display_name.clone(),
            state: row.health.into(),
            reason: row.health_reason.clone(),
            since: rfc3339(row.health_since),
            account: Account {
                id: row.account_id.clone(),
                username: row.account_username.clone(),
                account_type: row.account_type.clone(),
            },
            scopes_granted: granted.names().map(str::to_owned).collect(),
            scopes_required: required.names().map(str::to_owned).collect(),
            scopes_missing: required
                .without(&granted)
                .into_iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            access_token_expires_at: row.access_expires_at.map(rfc3339),
            refresh_token_expires_at: row.refresh_expires_at.map(rfc3339),
            created_at: rfc3339(row.created_at),
            authorized_at: rfc3339(row.authorized_at),
            last_refresh_at: row.last_refresh_at.map(rfc3339),
            last_probe_at: row.last_probe_at.map(rfc3339),
            last_probe: probe.map(|p| Probe {
                checked_at: rfc3339(p.checked_at),
                outcome: p.outcome.as_str().to_owned(),
                latency_ms: p.latency_ms,
                http_status: p.http_status,
                account_changed: p.account_changed,
            }),
        }
    }

    pub fn of_detail(d: &Detail) -> Self {
        Self::of(&d.row, &d.required, d.last_probe.as_ref())
    }
}

/// Filters and paging of the connection list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this end user's connection.
    pub end_user_id: Option<String>,
    /// Only connections in this state.
    pub state: Option<ConnectionState>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// One page of connections, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    pub data: Vec<Connection>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// How long the token must stay valid.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessTokenRequest {
    /// The token must stay valid at least this many seconds (0 to 86400,
    /// default 300); it is refreshed first when it would not.
    #[schema(minimum = 0, maximum = 86400)]
    pub min_valid_secs: Option<i64>,
}

/// A connection's Pinterest access token. Send it to Pinterest as
/// `Authorization: Bearer`; ask pinbridge again rather than refreshing it.
#[derive(Serialize, ToSchema)]
pub struct AccessToken {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    pub expires_at: String,
    /// Seconds from now until it expires.
    pub expires_in: i64,
    pub scopes: Vec<String>,
    pub account: Account,
    pub connection_id: String,
}

/// The result of `POST /v1/connections/{id}/check`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the probe ran now; false when another pinbridge process was
    /// working on the connection (the probe then runs as soon as it is free).
    pub ran: bool,
    /// ok, unauthorized, missing_scope, transient or skipped (null when not run).
    pub outcome: Option<String>,
    pub connection: Connection,
}

// Webhooks: the events pinbridge posts to an environment's endpoints (see the
// document's `webhooks`). Each is signed the Standard Webhooks way; these types
// are what the body is, exactly: no other field is sent.

/// The environment an event happened in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEnvironment {
    #[schema(format = "uuid")]
    pub id: String,
    /// Its name in the portal (e.g. `Development`).
    pub name: String,
}

/// A Pinterest account as webhook events name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookAccount {
    /// Pinterest's id of the account.
    pub id: String,
    pub username: String,
}

/// The connection an event is about, as it is after the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookConnection {
    /// The connection's id, as in `/v1/connections/{id}`.
    #[schema(format = "uuid")]
    pub id: String,
    /// Your product's id for the end user.
    pub end_user_id: String,
    pub state: ConnectionState,
    /// Why it is in this state, in words.
    pub state_reason: String,
    /// Since when it is in this state.
    #[schema(format = DateTime)]
    pub state_since: String,
    /// The Pinterest account connected.
    pub account: WebhookAccount,
}

/// The data of `connection.created`, `connection.reauthorized` and
/// `connection.disconnected`: the connection alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionEventData {
    pub connection: WebhookConnection,
}

/// The data of `connection.state_changed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChangedData {
    pub connection: WebhookConnection,
    /// The state before the change.
    pub previous_state: ConnectionState,
    /// The state now (the same as `connection.state`).
    pub state: ConnectionState,
    /// Why, in words (the same as `connection.state_reason`).
    pub reason: String,
}

/// The data of `connection.account_changed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChangedData {
    pub connection: WebhookConnection,
    /// The account that was connected.
    pub previous_account: WebhookAccount,
    /// The account Pinterest now answers for.
    pub account: WebhookAccount,
}

/// The data of `connection.refresh_failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshFailedData {
    pub connection: WebhookConnection,
    /// Why the refresh failed, in words.
    pub reason: String,
    /// Transient failures in a row before pinbridge gave up (0 when Pinterest
    /// refused the refresh token outright).
    #[schema(minimum = 0)]
    pub failures: i64,
}

/// The data of `webhook.test`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookTestData {
    /// The endpoint the test was sent to.
    #[schema(format = "uuid")]
    pub endpoint_id: String,
    pub message: String,
}

/// One webhook event type: its `type`, the schema of its body and the
/// schema's `type` value (a one-value enum).
macro_rules! webhook_event {
    ($(#[$doc:meta])* $event:ident, $kind:ident = $name:tt, $data:ty) => {
        #[doc = concat!("The `type` of [`", stringify!($event), "`].")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub enum $kind {
            #[serde(rename = $name)]
            Type,
        }

        impl $kind {
            pub const NAME: &str = $name;
        }

        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $event {
            /// The event's id, sent as the `webhook-id` header too: the same
            /// on every attempt, so deduplicate by it.
            #[schema(format = "uuid")]
            pub id: String,
            #[serde(rename = "type")]
            #[schema(inline)]
            pub event_type: $kind,
            /// When it happened (RFC 3339, UTC).
            #[schema(format = DateTime)]
            pub timestamp: String,
            pub environment: WebhookEnvironment,
            pub data: $data,
        }
    };
}

webhook_event!(
    /// `connection.created`: an end user connected Pinterest for the first time.
    ConnectionCreatedEvent,
    ConnectionCreatedType = "connection.created",
    ConnectionEventData
);
webhook_event!(
    /// `connection.reauthorized`: an end user who was connected authorized
    /// again; the connection keeps its id. When this changed its state or its
    /// account, `connection.state_changed` or `connection.account_changed` follows.
    ConnectionReauthorizedEvent,
    ConnectionReauthorizedType = "connection.reauthorized",
    ConnectionEventData
);
webhook_event!(
    /// `connection.state_changed`: the connection's state changed (a refresh or
    /// a health probe found it broken, or it recovered to `active`).
    ConnectionStateChangedEvent,
    ConnectionStateChangedType = "connection.state_changed",
    StateChangedData
);
webhook_event!(
    /// `connection.account_changed`: Pinterest now answers for a different
    /// account than the one connected (seen by a probe, or on re-authorization).
    ConnectionAccountChangedEvent,
    ConnectionAccountChangedType = "connection.account_changed",
    AccountChangedData
);
webhook_event!(
    /// `connection.disconnected`: the connection was disconnected and
    /// pinbridge deleted its tokens.
    ConnectionDisconnectedEvent,
    ConnectionDisconnectedType = "connection.disconnected",
    ConnectionEventData
);
webhook_event!(
    /// `connection.refresh_failed`: refreshing the tokens failed for good:
    /// Pinterest refused the refresh token, or transient failures went on past
    /// the backoff. The end user must connect again.
    ConnectionRefreshFailedEvent,
    ConnectionRefreshFailedType = "connection.refresh_failed",
    RefreshFailedData
);
webhook_event!(
    /// `webhook.test`: sent by the portal's "Send test event" to one endpoint;
    /// no endpoint subscribes to it.
    WebhookTestEvent,
    WebhookTestType = "webhook.test",
    WebhookTestData
);

/// Any webhook event, told apart by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("connection.created" = "#/components/schemas/ConnectionCreatedEvent"),
    ("connection.reauthorized" = "#/components/schemas/ConnectionReauthorizedEvent"),
    ("connection.state_changed" = "#/components/schemas/ConnectionStateChangedEvent"),
    ("connection.account_changed" = "#/components/schemas/ConnectionAccountChangedEvent"),
    ("connection.disconnected" = "#/components/schemas/ConnectionDisconnectedEvent"),
    ("connection.refresh_failed" = "#/components/schemas/ConnectionRefreshFailedEvent"),
    ("webhook.test" = "#/components/schemas/WebhookTestEvent"),
)))]
pub enum WebhookEvent {
    ConnectionCreated(ConnectionCreatedEvent),
    ConnectionReauthorized(ConnectionReauthorizedEvent),
    ConnectionStateChanged(ConnectionStateChangedEvent),
    ConnectionAccountChanged(ConnectionAccountChangedEvent),
    ConnectionDisconnected(ConnectionDisconnectedEvent),
    ConnectionRefreshFailed(ConnectionRefreshFailedEvent),
    WebhookTest(WebhookTestEvent),
    Audit(AuditEvent),
}

/// Every webhook event type with its body's schema (a component schema's name).
pub const WEBHOOK_EVENTS: [(&str, &str); 8] = [
    (ConnectionCreatedType::NAME, "ConnectionCreatedEvent"),
    (
        ConnectionReauthorizedType::NAME,
        "ConnectionReauthorizedEvent",
    ),
    (
        ConnectionStateChangedType::NAME,
        "ConnectionStateChangedEvent",
    ),
    (
        ConnectionAccountChangedType::NAME,
        "ConnectionAccountChangedEvent",
    ),
    (
        ConnectionDisconnectedType::NAME,
        "ConnectionDisconnectedEvent",
    ),
    (
        ConnectionRefreshFailedType::NAME,
        "ConnectionRefreshFailedEvent",
    ),
    (WebhookTestType::NAME, "WebhookTestEvent"),
    (AUDIT_EVENT_TYPE, AUDIT_EVENT_SCHEMA),
];

/// The audit stream's subscription: its key in the document's `webhooks`.
pub const AUDIT_EVENT_TYPE: &str = "audit.*";
/// The component schema of the audit stream's events.
pub const AUDIT_EVENT_SCHEMA: &str = "AuditEvent";

/// `audit.*`: one audit record of the endpoint's environment or of its
/// workspace, as it was written (see the audit stream's webhook).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// The event's id, sent as the `webhook-id` header too: the same on
    /// every attempt, so deduplicate by it.
    #[schema(format = "uuid")]
    pub id: String,
    /// `audit.` and the record's action, e.g. `audit.environment.promoted`.
    #[serde(rename = "type")]
    #[schema(pattern = r"^audit\.[a-z0-9_]+\.[a-z0-9_]+$")]
    pub event_type: String,
    /// When it happened (RFC 3339, UTC): the record's time.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// The endpoint's environment (for a workspace's record, each
    /// environment's endpoints receive it with their own).
    pub environment: WebhookEnvironment,
    pub data: AuditEventData,
}

/// The data of an audit stream event: the audit record, as
/// `GET /v1/audit-events` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEventData {
    /// The record's id.
    #[schema(format = "uuid")]
    pub id: String,
    /// Its place in its workspace's hash chain, from 1.
    #[schema(minimum = 1)]
    pub seq: i64,
    /// Its hash (SHA-256, lowercase hex), which covers every field of the
    /// record and `prev_hash`.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub hash: String,
    /// The hash of the record before it in the chain (64 zeros for the first).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub prev_hash: String,
    /// The environment it is about; `null` for a record of the workspace itself.
    #[schema(format = "uuid")]
    pub environment_id: Option<String>,
    /// What happened, e.g. `environment.promoted` (the event's `type` without `audit.`).
    #[schema(pattern = r"^[a-z0-9_]+\.[a-z0-9_]+$")]
    pub action: String,
    pub actor: AuditEventActor,
    /// What was acted on, in words (an email, an environment's name).
    pub target: String,
    /// More about it, as pinbridge recorded it. Never a secret: values under
    /// names that look like one are stored as `[redacted]`.
    #[schema(value_type = Object)]
    pub detail: serde_json::Map<String, serde_json::Value>,
    /// The address the request came from, when a request did it.
    pub ip: Option<String>,
    /// The request's user agent, when a request did it.
    pub user_agent: Option<String>,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// Who did what an audit record records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEventActor {
    /// The operator, when a person signed in to the portal did it; `null`
    /// for pinbridge itself, the command line or an end user.
    #[schema(format = "uuid")]
    pub operator_id: Option<String>,
    /// Who, in words: an operator's email, `pinbridge`, `cli`, an end user.
    pub label: String,
}
