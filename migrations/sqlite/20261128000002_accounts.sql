-- Accounts and tenancy: workspaces (tenants), operators (people who sign in to the
-- portal), their memberships with a role, each workspace's environments,
-- invitations, the first-start setup tokens, the audit log and sign-in failures.
--
-- Conventions (the same in migrations/postgres): ids are UUIDv7 text, never
-- sequential integers; timestamps are Unix milliseconds (integer); secrets and
-- tokens are never stored, only the SHA-256 hex of a random token.
-- `*_folded` columns hold a name lower-cased by pinbridge itself (Rust's Unicode
-- lower-casing), so "unique regardless of case" means the same thing on both
-- backends (SQLite's lower() only folds ASCII).

create table workspaces (
    id          text    primary key not null,
    name        text    not null,
    name_folded text    not null unique,
    created_at  integer not null
);

-- Emails are stored normalised (trimmed, lower-case) by the `Email` type.
create table operators (
    id            text    primary key not null,
    email         text    not null unique,
    display_name  text    not null,
    -- argon2id PHC string, e.g. $argon2id$v=19$m=19456,t=2,p=1$…
    password_hash text    not null,
    created_at    integer not null
);

create table memberships (
    workspace_id text    not null references workspaces (id) on delete cascade,
    operator_id  text    not null references operators (id) on delete cascade,
    role         text    not null check (role in ('owner', 'admin', 'viewer')),
    created_at   integer not null,
    primary key (workspace_id, operator_id)
);
-- "Which workspaces may this operator switch to?"
create index memberships_operator on memberships (operator_id);

-- The slug is the environment's part of portal URLs (/w/{workspace}/e/{slug}/…).
create table environments (
    id           text    primary key not null,
    workspace_id text    not null references workspaces (id) on delete cascade,
    name         text    not null,
    name_folded  text    not null,
    slug         text    not null,
    created_at   integer not null,
    unique (workspace_id, name_folded),
    unique (workspace_id, slug)
);

-- A single-use link an owner passes on. Only the token's hash is stored.
create table invitations (
    id           text    primary key not null,
    workspace_id text    not null references workspaces (id) on delete cascade,
    email        text    not null,
    role         text    not null check (role in ('owner', 'admin', 'viewer')),
    token_hash   text    not null unique,
    invited_by   text    not null references operators (id),
    created_at   integer not null,
    expires_at   integer not null,
    accepted_at  integer,
    accepted_by  text    references operators (id)
);
create index invitations_workspace on invitations (workspace_id, created_at);

-- First-start setup links. Valid while `used_at` is null and no owner exists.
create table setup_tokens (
    token_hash text    primary key not null,
    created_at integer not null,
    used_at    integer
);

-- Append-only. No foreign keys on environment or actor: the record outlives them.
-- `detail` is a JSON object that never holds a secret value.
create table audit_events (
    id                text    primary key not null,
    workspace_id      text    not null references workspaces (id) on delete cascade,
    environment_id    text,
    actor_operator_id text,
    actor_label       text    not null,
    action            text    not null,
    target            text    not null,
    detail            text    not null default '{}',
    ip                text,
    user_agent        text,
    created_at        integer not null
);
-- The log page lists one workspace newest first; ids (UUIDv7) break ties.
create index audit_events_workspace_time on audit_events (workspace_id, created_at desc, id desc);

-- One row per failed sign-in, counted per email and per client IP over a
-- recent window to slow down guessing. Old rows are pruned. A successful
-- sign-in clears the row's email (its IP still counts).
create table sign_in_failures (
    id         text    primary key not null,
    email      text,
    ip         text,
    created_at integer not null
);
create index sign_in_failures_email on sign_in_failures (email, created_at);
create index sign_in_failures_ip on sign_in_failures (ip, created_at);
