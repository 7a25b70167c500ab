-- Webhooks: an environment's endpoints, the outbox of events (written in the
-- same transaction as the change that caused them) and one delivery per event
-- and subscribed endpoint, which the schedulers of every instance claim by lease.
create table webhook_endpoints (
    id                        text    primary key not null,
    workspace_id              text    not null references workspaces (id) on delete cascade,
    environment_id            text    not null references environments (id) on delete cascade,
    url                       text    not null,
    description               text    not null,
    -- Event type names, space-separated (closed set `WebhookEventType`).
    event_types               text    not null,
    enabled                   boolean not null,
    -- Why it was switched off by pinbridge (the receiver answered 410 Gone).
    disabled_reason           text,
    -- The signing secret (`whsec_…`), sealed; and the one a rotation replaced,
    -- which keeps signing beside it until `previous_secret_until`.
    secret                    text    not null,
    previous_secret           text,
    previous_secret_until     bigint,
    -- Set when a delivery was given up on; cleared by the next success.
    flagged_at                bigint,
    flag_reason               text,
    created_by                text    not null,
    created_at                bigint not null,
    updated_at                bigint not null
);
create index webhook_endpoints_environment on webhook_endpoints (environment_id, created_at);

create table webhook_events (
    -- The order events were written in: per connection, the order of delivery.
    seq             bigint generated always as identity primary key,
    id              text    not null unique,
    workspace_id    text    not null references workspaces (id) on delete cascade,
    environment_id  text    not null references environments (id) on delete cascade,
    connection_id   text,
    event_type      text    not null,
    -- The JSON body every endpoint receives, exactly as signed.
    payload         text    not null,
    created_at      bigint not null
);
create index webhook_events_created on webhook_events (created_at);

create table webhook_deliveries (
    id                text    primary key not null,
    event_seq         bigint not null references webhook_events (seq) on delete cascade,
    endpoint_id       text    not null references webhook_endpoints (id) on delete cascade,
    -- Deliveries with the same key go out one at a time in `event_seq` order:
    -- the connection's id, or the event's for events of no connection.
    order_key         text    not null,
    -- 'pending', 'succeeded' or 'failed' (closed set `DeliveryStatus`).
    status            text    not null,
    attempts          bigint not null default 0,
    next_attempt_at   bigint not null,
    lease_owner       text,
    lease_until       bigint,
    lease_fence       bigint not null default 0,
    last_attempt_at   bigint,
    last_status       bigint,
    last_error        text,
    last_latency_ms   bigint,
    -- The start of the receiver's last answer (at most 4 KB read), trimmed.
    response_excerpt  text,
    created_at        bigint not null,
    finished_at       bigint 
);
create index webhook_deliveries_due on webhook_deliveries (status, next_attempt_at);
create index webhook_deliveries_order on webhook_deliveries (endpoint_id, order_key, status, event_seq);
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at);
