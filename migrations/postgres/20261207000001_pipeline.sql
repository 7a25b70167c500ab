-- Environments as a pipeline, and the audit log taken out.
--
-- The audit log's hash chain: per workspace, each record has its place
-- (`seq`, from 1), the hash of the record before it and its own hash, which
-- covers its fields and the previous hash, so an edited, removed or inserted
-- record breaks the chain at that place (`pinbridge audit verify`). Records
-- written before this migration are chained, in their order, by the first
-- record written after it.
alter table audit_events add column seq bigint;
alter table audit_events add column prev_hash text;
alter table audit_events add column hash text;
create unique index audit_events_chain on audit_events (workspace_id, seq);

-- Each workspace's chain head: the last record's place and hash. Appending
-- takes this row's lock, so records of one workspace are chained one at a
-- time; removing the newest record leaves the head pointing past it.
create table audit_chain_heads (
    workspace_id  text    primary key not null references workspaces (id) on delete cascade,
    seq           bigint not null,
    hash          text    not null
);

-- Workspace keys: an owner's key for the workspace's whole audit log
-- (`GET /v1/audit-events`). Like API keys, only the SHA-256 is stored.
create table workspace_keys (
    id            text    primary key not null,
    workspace_id  text    not null references workspaces (id) on delete cascade,
    name          text    not null,
    prefix        text    not null,
    last_four     text    not null,
    key_hash      text    not null unique,
    -- Permission names, space-separated (today only 'audit:read').
    permissions   text    not null,
    created_by    text    not null,
    created_at    bigint not null,
    revoked_at    bigint,
    revoked_by    text,
    last_used_at  bigint
);
create index workspace_keys_workspace on workspace_keys (workspace_id, created_at);

-- Who last changed a webhook endpoint (the drift view says who changed what).
alter table webhook_endpoints add column updated_by text;
update webhook_endpoints set updated_by = created_by;
