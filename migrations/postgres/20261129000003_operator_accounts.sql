-- Operator accounts hardening: setup links that expire, sign-ins an operator can
-- list and end, and two-factor sign-in with TOTP.
--
-- Timestamps are Unix milliseconds, as everywhere.

-- Links issued before this column existed expire an hour after `created_at`.
alter table setup_tokens add column expires_at bigint;

-- One row per signed-in browser. The session record (tower-sessions' `sessions`
-- table) holds this row's id; a session whose row is gone is signed out, which
-- is how a password change or "end this session" ends sessions elsewhere.
create table operator_sessions (
    id               text    primary key not null,
    operator_id      text    not null references operators (id) on delete cascade,
    -- When the password was entered to start this sign-in: the absolute lifetime counts from here.
    signed_in_at     bigint not null,
    -- When the password was last entered (sign-in or re-authentication).
    authenticated_at bigint not null,
    last_seen_at     bigint not null,
    -- Wrong passwords typed in this sign-in (to confirm an action); too many end it.
    password_failures bigint not null default 0,
    ip               text,
    user_agent       text
);
create index operator_sessions_operator on operator_sessions (operator_id, signed_in_at);

-- An operator's TOTP secret, sealed with the key ring (bound to this table,
-- column and operator). Unconfirmed until the first correct code.
create table operator_totp (
    operator_id    text    primary key not null references operators (id) on delete cascade,
    secret_sealed  text    not null,
    confirmed_at   bigint,
    -- The last 30-second step a code was accepted for: a code works once.
    last_used_step bigint,
    created_at     bigint not null
);

-- Single-use recovery codes: only the SHA-256 hex of each is kept.
create table operator_recovery_codes (
    operator_id text    not null references operators (id) on delete cascade,
    code_hash   text    not null,
    used_at     bigint,
    primary key (operator_id, code_hash)
);

-- Owners may require two-factor sign-in of every member.
alter table workspaces add column require_two_factor boolean not null default false;
