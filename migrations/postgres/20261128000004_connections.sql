-- End users' Pinterest connections, how they are made (connect links, OAuth
-- states) and how their health is known (probes, check-all runs).
--
-- Conventions as before: timestamps are Unix milliseconds; ids are UUIDv7 text;
-- one-time tokens are stored only as their SHA-256 (hex); tokens from Pinterest
-- are sealed with the key ring, bound to their row and column.

-- Origins (scheme://host[:port]) a connect link's return URL may point at, one
-- row each, per environment.
create table return_origins (
    environment_id text    not null references environments (id) on delete cascade,
    workspace_id   text    not null references workspaces (id) on delete cascade,
    origin         text    not null,
    added_by       text    not null,
    added_at       bigint not null,
    primary key (environment_id, origin)
);

-- A link an operator (or their application) hands to one end user. It can be
-- opened until it expires; it is used up by the connection it makes.
create table connect_links (
    id             text    primary key not null,
    token_hash     text    not null unique,
    workspace_id   text    not null references workspaces (id) on delete cascade,
    environment_id text    not null references environments (id) on delete cascade,
    end_user_id    text    not null,
    display_name   text,
    return_url     text,
    created_by     text    not null,
    created_at     bigint not null,
    expires_at     bigint not null,
    used_at        bigint,
    connection_id  text
);
create index connect_links_environment on connect_links (environment_id, created_at);

-- One trip to Pinterest's consent page: `state` is random, stored hashed, bound
-- to the browser that started it (hash of a cookie), used once.
create table oauth_states (
    state_hash     text    primary key not null,
    link_id        text    not null references connect_links (id) on delete cascade,
    workspace_id   text    not null references workspaces (id) on delete cascade,
    environment_id text    not null references environments (id) on delete cascade,
    browser_hash   text    not null,
    created_at     bigint not null,
    expires_at     bigint not null,
    used_at        bigint
);
create index oauth_states_expiry on oauth_states (expires_at);

create table connections (
    id                  text    primary key not null,
    workspace_id        text    not null references workspaces (id) on delete cascade,
    environment_id      text    not null references environments (id) on delete cascade,
    -- The operator's own id for the end user; one connection per end user.
    end_user_id         text    not null,
    display_name        text,
    -- The Pinterest account behind it, from GET /v5/user_account at connect time.
    account_id          text    not null,
    account_username    text    not null,
    account_type        text    not null,
    scopes_granted      text    not null,
    scopes_required     text    not null,
    -- Sealed; null once disconnected.
    access_token        text,
    refresh_token       text,
    access_expires_at   bigint,
    refresh_expires_at  bigint,
    -- Every stored token pair gets a new version: a refresh writes only over the
    -- version it read, so a rotated refresh token is never overwritten by a stale one.
    token_version       bigint not null,
    health              text    not null check (health in ('active', 'degraded', 'needs_reauth', 'insufficient_scope', 'revoked')),
    health_reason       text    not null,
    health_since        bigint not null,
    created_at          bigint not null,
    authorized_at       bigint not null,
    last_refresh_at     bigint,
    refresh_count       bigint not null default 0,
    -- When the scheduler refreshes next, and how many transient failures in a row.
    next_refresh_at     bigint,
    refresh_failures    bigint not null default 0,
    last_refresh_error  text,
    next_probe_at       bigint,
    last_probe_at       bigint,
    -- Set when a probe saw a different Pinterest account than the one connected.
    account_mismatch    text,
    -- The lease: one process at a time works on a connection's tokens. `lease_fence`
    -- grows with every grant, so a holder whose lease lapsed cannot write.
    lease_owner         text,
    lease_until         bigint,
    lease_fence         bigint not null default 0,
    unique (environment_id, end_user_id)
);
create index connections_refresh_due on connections (next_refresh_at);
create index connections_probe_due on connections (next_probe_at);
create index connections_environment_health on connections (environment_id, health);

-- One health probe (GET /v5/user_account) of one connection.
create table connection_probes (
    id               text    primary key not null,
    connection_id    text    not null references connections (id) on delete cascade,
    workspace_id     text    not null references workspaces (id) on delete cascade,
    checked_at       bigint not null,
    trigger          text    not null,
    outcome          text    not null,
    latency_ms       bigint not null,
    http_status      bigint,
    error_code       bigint,
    error_message    text,
    account_id       text,
    account_username text,
    account_changed  boolean not null
);
create index connection_probes_connection on connection_probes (connection_id, checked_at desc);

-- "Check all" in an environment: its connections are made due, and progress is
-- how many of them were probed since it started.
create table health_runs (
    id             text    primary key not null,
    workspace_id   text    not null references workspaces (id) on delete cascade,
    environment_id text    not null references environments (id) on delete cascade,
    started_by     text    not null,
    started_at     bigint not null,
    total          bigint not null
);
create index health_runs_environment on health_runs (environment_id, started_at desc);
