-- The portal at scale (issue 18): an environment of 100 000 connections and a
-- workspace of a million audit records stay quick to list, filter, search,
-- page and count. Every list is read in index order and paged by keyset
-- (`created_at`, then `id`), never by OFFSET, and no page counts a table.

-- The Connections page, newest first: all of an environment's connections,
-- or those in one state. The second replaces `connections_environment_health`,
-- which is its first two columns.
create index connections_list on connections (environment_id, created_at, id);
create index connections_state_list on connections (environment_id, health, created_at, id);
drop index connections_environment_health;

-- A "Check all"'s progress: how many of the environment's connections are
-- still due from before it started (none, soon after it ends).
create index connections_probe_due_by_environment on connections (environment_id, next_probe_at);

-- Search: the start of the end user id, the display name or the Pinterest
-- username, case-insensitive (`lower`, as the search text is folded), each a
-- range of one of these indexes.
create index connections_search_end_user on connections (environment_id, lower(end_user_id));
create index connections_search_name on connections (environment_id, lower(display_name));
create index connections_search_username on connections (environment_id, lower(account_username));

-- How many connections each environment has in each state, kept by triggers
-- in the statement that inserts, changes or deletes a connection, so the
-- Connections page and the Integrations card read five rows instead of
-- counting the environment.
create table connection_counts (
    environment_id text    not null references environments (id) on delete cascade,
    health         text    not null,
    n              integer not null,
    primary key (environment_id, health)
);
insert into connection_counts (environment_id, health, n)
    select environment_id, health, count(*) from connections group by environment_id, health;

create trigger connection_counts_insert after insert on connections
begin
    insert into connection_counts (environment_id, health, n)
        values (new.environment_id, new.health, 1)
        on conflict (environment_id, health) do update set n = n + 1;
end;

-- Both rows in one statement, in the order of their names: the same order in
-- every transaction (what PostgreSQL needs to never deadlock; the same here).
create trigger connection_counts_update after update of health on connections
    when old.health <> new.health
begin
    insert into connection_counts (environment_id, health, n)
        select new.environment_id, v.h, v.d
        from (select old.health as h, -1 as d union all select new.health, 1) as v
        where true order by v.h
        on conflict (environment_id, health) do update set n = n + excluded.n;
end;

create trigger connection_counts_delete after delete on connections
begin
    update connection_counts set n = n - 1
        where environment_id = old.environment_id and health = old.health;
end;

-- The audit log filtered by environment, actor or action, newest first (the
-- unfiltered log has `audit_events_workspace_time`).
create index audit_events_environment on audit_events (workspace_id, environment_id, created_at, id);
create index audit_events_actor on audit_events (workspace_id, actor_operator_id, created_at, id);
create index audit_events_action on audit_events (workspace_id, action, created_at, id);
