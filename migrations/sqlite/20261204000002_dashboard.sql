-- The environment dashboard: small aggregate tables that the dashboard reads
-- by (environment, hour) and (environment, day) keys, so that no page load
-- scans history. They are kept up to date where the events happen (a refresh
-- or a probe adds to its hour in the transaction that records it; API answers
-- and tool calls are counted in memory and added when they are flushed) and,
-- for the connections per state, by the scheduler's snapshot of the day. The
-- scheduler prunes rows older than 35 days.

-- One environment's activity in one hour (`hour`: its start, Unix ms, UTC).
create table dashboard_hours (
    environment_id        text    not null references environments (id) on delete cascade,
    hour                  integer not null,
    -- Token refreshes that got an answer (or none) from Pinterest: new tokens
    -- stored, or refused / failed (5xx, 429, timeouts, refused refresh tokens).
    refreshes_ok          integer not null default 0,
    refreshes_failed      integer not null default 0,
    -- Health probes by outcome (the closed set `ProbeOutcome`).
    probes_ok             integer not null default 0,
    probes_unauthorized   integer not null default 0,
    probes_missing_scope  integer not null default 0,
    probes_transient      integer not null default 0,
    probes_skipped        integer not null default 0,
    -- How long Pinterest took to answer refreshes and probes: count, sum and
    -- slowest, and a histogram for the 95th percentile. Each `latency_le_N`
    -- counts calls that took more than the previous bound and at most N ms;
    -- calls slower than 5000 ms are `latency_count` less all the buckets.
    latency_count         integer not null default 0,
    latency_sum_ms        integer not null default 0,
    latency_max_ms        integer not null default 0,
    latency_le_100        integer not null default 0,
    latency_le_250        integer not null default 0,
    latency_le_500        integer not null default 0,
    latency_le_1000       integer not null default 0,
    latency_le_2500       integer not null default 0,
    latency_le_5000       integer not null default 0,
    -- `/v1` requests an API key of the environment made, by whether they were
    -- answered with success (status below 400); and MCP tool calls, by
    -- whether they ended `ok`.
    api_ok                integer not null default 0,
    api_failed            integer not null default 0,
    tools_ok              integer not null default 0,
    tools_failed          integer not null default 0,
    primary key (environment_id, hour)
);
-- For pruning by age.
create index dashboard_hours_hour on dashboard_hours (hour);

-- One environment's connections per state on one day (`day`: its start, Unix
-- ms, UTC), as the scheduler last counted them that day (`taken_at`).
create table dashboard_days (
    environment_id      text    not null references environments (id) on delete cascade,
    day                 integer not null,
    active              integer not null default 0,
    degraded            integer not null default 0,
    needs_reauth        integer not null default 0,
    insufficient_scope  integer not null default 0,
    revoked             integer not null default 0,
    -- Connections (not disconnected) whose probe saw another Pinterest account.
    account_changed     integer not null default 0,
    taken_at            integer not null,
    primary key (environment_id, day)
);
create index dashboard_days_day on dashboard_days (day);

-- The connections that need attention (re-authorization, missing scopes, a
-- different account), newest trouble first: the dashboard reads a few of them
-- and counts them through this index only, however many connections there are.
-- The condition must stay word for word the one in
-- domain/src/db/repo/dashboard.rs (`ATTENTION`), or the planners will not use it.
create index connections_attention on connections (workspace_id, environment_id, health_since)
    where health in ('needs_reauth', 'insufficient_scope') or (account_mismatch is not null and health <> 'revoked');
