-- The agent gateway (/mcp). A key may be bound to one end user: it then
-- reaches that end user's connection only, whatever a request says.
alter table api_keys add column end_user_id text;

-- Calls counted per key and connection now include MCP tool calls.
alter table connection_api_calls add column tool_calls bigint not null default 0;

-- Every MCP tool call: which tool, for which connection, how it ended and how
-- long it took. Never its arguments or any token.
create table agent_tool_calls (
    id              text    primary key not null,
    workspace_id    text    not null references workspaces (id) on delete cascade,
    environment_id  text    not null references environments (id) on delete cascade,
    key_id          text    not null references api_keys (id) on delete cascade,
    -- Null when the call never resolved to a connection (e.g. a bad argument).
    connection_id   text    references connections (id) on delete cascade,
    tool            text    not null,
    -- 'ok', or the kind of tool error (closed set `ToolOutcome`).
    outcome         text    not null,
    latency_ms      bigint not null,
    at              bigint not null
);
create index agent_tool_calls_environment on agent_tool_calls (environment_id, at);
create index agent_tool_calls_connection on agent_tool_calls (connection_id, at);
create index agent_tool_calls_at on agent_tool_calls (at);

-- MCP sessions (protocol versions before 2026-07-28), so that any instance
-- behind a load balancer can continue a session another one started. The
-- state is the client's initialize parameters; a session belongs to the key
-- that opened it (written as the session's first answer leaves, so null only
-- for that moment, or if that write failed: then no key may use it).
create table mcp_sessions (
    id            text    primary key not null,
    key_id        text    references api_keys (id) on delete cascade,
    state         text,
    created_at    bigint not null,
    last_seen_at  bigint not null
);
create index mcp_sessions_last_seen on mcp_sessions (last_seen_at);
