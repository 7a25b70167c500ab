-- Each environment's Pinterest app (the seed's "[Environment] → Integrations →
-- Pinterest"): at most one row per environment, deleted with it.
--
-- Conventions as in the accounts migration: timestamps are Unix milliseconds;
-- `*_by` columns hold the operator's label (their email) as the audit log does,
-- so the record survives the operator's removal.
create table pinterest_settings (
    environment_id     text    primary key not null references environments (id) on delete cascade,
    workspace_id       text    not null references workspaces (id) on delete cascade,
    -- Pinterest's "App id": digits only.
    client_id          text    not null,
    -- The "App secret key", sealed with the key ring (AES-256-GCM); the associated
    -- data binds it to this workspace, environment and column, so a ciphertext
    -- copied to another row fails to open.
    client_secret      text    not null,
    -- Its last four characters, shown so operators can recognise it.
    secret_last4       text    not null,
    secret_set_by      text    not null,
    secret_set_at      integer not null,
    -- A set of scopes: distinct, in pinbridge's catalogue order, space-separated.
    scopes             text    not null,
    api                text    not null check (api in ('production', 'sandbox')),
    enabled            integer not null check (enabled in (0, 1)),
    -- Optimistic concurrency: every change adds one, and a save names the version
    -- it was made from.
    version            integer not null,
    updated_by         text    not null,
    updated_at         integer not null,
    -- The last "Check credentials": null until one ran, reset when the App id or
    -- the secret changes.
    checked_at         integer,
    checked_by         text,
    check_outcome      text    check (check_outcome in ('accepted', 'rejected', 'failed')),
    check_http_status  integer,
    check_latency_ms   integer,
    -- What pinbridge concluded, and Pinterest's own message (never a secret).
    check_summary      text,
    check_message      text
);
create index pinterest_settings_workspace on pinterest_settings (workspace_id);
