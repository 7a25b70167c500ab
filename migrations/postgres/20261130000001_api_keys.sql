-- Environment API keys: what the operator's application authenticates to /v1
-- with. Only the key's SHA-256 is stored (a dump reveals no usable key), with
-- its visible prefix and last four characters for people to recognise it.
create table api_keys (
    id              text    primary key not null,
    workspace_id    text    not null references workspaces (id) on delete cascade,
    environment_id  text    not null references environments (id) on delete cascade,
    name            text    not null,
    -- e.g. 'pinbridge_prod_': says pinbridge and the environment's kind.
    prefix          text    not null,
    last_four       text    not null,
    key_hash        text    not null unique,
    -- Permission names, space-separated (closed set `ApiPermission`).
    permissions     text    not null,
    -- Requests per minute.
    rate_limit      bigint not null,
    created_by      text    not null,
    created_at      bigint not null,
    -- Chosen at creation, or set by a rotation's grace period.
    expires_at      bigint,
    revoked_at      bigint,
    revoked_by      text,
    -- The key a rotation made in its place.
    replaced_by     text,
    -- Written at most once a minute per key and process.
    last_used_at    bigint,
    request_count   bigint not null default 0,
    -- Set once the expiry has been audited (by whichever process saw it first).
    expiry_audited  bigint not null default 0
);
create index api_keys_environment on api_keys (environment_id, created_at);

-- Calls an API key made on one connection (the token call and the proxy).
create table connection_api_calls (
    connection_id  text    not null references connections (id) on delete cascade,
    key_id         text    not null references api_keys (id) on delete cascade,
    token_calls    bigint not null default 0,
    proxy_calls    bigint not null default 0,
    last_at        bigint not null,
    primary key (connection_id, key_id)
);
