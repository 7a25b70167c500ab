-- Remote assistants sign in to the agent gateway with OAuth 2.1 (the MCP
-- authorization specification): pinbridge is their authorization server, and
-- each environment's MCP URL (/mcp/{environment id}) is a protected resource.

-- What an assistant acts as once an end user has let it in: one row of
-- api_keys per grant, bound to that end user and holding `agent` only, so
-- that rate limits, usage counts, tool-call records and MCP sessions work as
-- for any key. Such a row has no key text anyone holds: its hash is of
-- random bytes thrown away. 'key' rows are the API keys page's; 'agent_grant'
-- rows are the Agents page's.
alter table api_keys add column kind text not null default 'key';

-- MCP clients registered with pinbridge (RFC 7591), or known by their client
-- ID metadata document (the id is its https URL). Only the client secret's
-- SHA-256 is kept (confidential clients), as for API keys.
create table agent_clients (
    id             text    primary key not null,
    name           text    not null,
    -- JSON array of the exact redirect URIs the client may use.
    redirect_uris  text    not null,
    -- 'none', 'client_secret_post' or 'client_secret_basic'.
    auth_method    text    not null,
    secret_hash    text,
    -- The client metadata as registered (JSON), answered back to the client.
    metadata       text    not null,
    created_at     integer not null,
    -- The address it registered from (clients never authorized are pruned).
    registered_ip  text,
    -- A client whose id is its metadata document's URL: when pinbridge
    -- last fetched that document (null for a registration).
    fetched_at     integer
);
create index agent_clients_created on agent_clients (created_at);

-- An end user's permission for one client in one environment.
create table agent_grants (
    id              text    primary key not null,
    client_id       text    not null references agent_clients (id) on delete cascade,
    workspace_id    text    not null references workspaces (id) on delete cascade,
    environment_id  text    not null references environments (id) on delete cascade,
    end_user_id     text    not null,
    key_id          text    not null unique references api_keys (id) on delete cascade,
    -- Space-separated scopes the end user allowed.
    scope           text    not null,
    created_at      integer not null,
    revoked_at      integer,
    -- Who revoked it: an operator's label, or the end user.
    revoked_by      text
);
create unique index agent_grants_active on agent_grants (client_id, environment_id, end_user_id)
    where revoked_at is null;
create index agent_grants_environment on agent_grants (environment_id, end_user_id);

-- Authorization codes (their SHA-256), single use, a few minutes long.
create table agent_codes (
    code_hash       text    primary key not null,
    grant_id        text    not null references agent_grants (id) on delete cascade,
    redirect_uri    text    not null,
    -- PKCE: base64url(SHA-256(verifier)); S256 is the only method.
    code_challenge  text    not null,
    resource        text    not null,
    scope           text    not null,
    expires_at      integer not null,
    used_at         integer
);
create index agent_codes_expires on agent_codes (expires_at);

-- Access and refresh tokens (their SHA-256). A refresh token is used once:
-- its use issues the next pair, and presenting a used one again ends every
-- token of the grant (it was stolen, or the client is confused).
create table agent_tokens (
    token_hash  text    primary key not null,
    grant_id    text    not null references agent_grants (id) on delete cascade,
    -- 'access' or 'refresh'.
    kind        text    not null,
    -- The MCP URL the token is for (RFC 8707): its audience.
    resource    text    not null,
    scope       text    not null,
    created_at  integer not null,
    expires_at  integer not null,
    used_at     integer,
    revoked_at  integer
);
create index agent_tokens_grant on agent_tokens (grant_id);
create index agent_tokens_expires on agent_tokens (expires_at);

-- How end users sign in to the agent gateway, per environment: the
-- operator's own OpenID Connect provider, of which pinbridge is a client.
create table agent_sign_in (
    environment_id  text    primary key not null references environments (id) on delete cascade,
    workspace_id    text    not null references workspaces (id) on delete cascade,
    issuer          text    not null,
    client_id       text    not null,
    -- The provider's client secret, sealed with the key ring like the
    -- Pinterest app secret (bound to its workspace, environment and column).
    client_secret   text    not null,
    -- The ID token claim that is the end user's id in the operator's product.
    user_claim      text    not null,
    updated_by      text    not null,
    updated_at      integer not null
);

-- Authorization requests in progress: from /oauth/authorize through the end
-- user's sign-in at the provider, consent and, if needed, connecting
-- Pinterest, to the code. Bound to the browser that began it by a cookie
-- (its SHA-256 here). An operator's "Test sign-in" is one too, without a
-- client (test_by: the operator).
create table agent_authorizations (
    id                text    primary key not null,
    browser_hash      text    not null,
    workspace_id      text    not null references workspaces (id) on delete cascade,
    environment_id    text    not null references environments (id) on delete cascade,
    client_id         text    references agent_clients (id) on delete cascade,
    test_by           text,
    redirect_uri      text    not null,
    state             text,
    code_challenge    text    not null,
    resource          text    not null,
    scope             text    not null,
    -- The sign-in at the provider: its nonce and PKCE verifier, until used.
    sign_in_nonce     text,
    sign_in_verifier  text,
    end_user_id       text,
    -- When the end user allowed it (before connecting Pinterest, if needed).
    consented_at      integer,
    created_at        integer not null,
    expires_at        integer not null,
    finished_at       integer
);
create index agent_authorizations_expires on agent_authorizations (expires_at);
