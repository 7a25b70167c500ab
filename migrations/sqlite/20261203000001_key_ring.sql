-- Each serving pinbridge process, seen again every few seconds, with the ids
-- of its key ring (the first seals). `pinbridge keys rotate` refuses while a
-- live process lacks the newest key, and `keys retire` while one still seals
-- with the key being retired. A row whose process died goes stale and is ignored.
create table instances (
    id          text    primary key not null,
    host        text    not null,
    pid         integer not null,
    version     text    not null,
    key_ids     text    not null,
    started_at  integer not null,
    seen_at     integer not null
);

-- Installation-wide changes of the key ring: a key added, a rotation started
-- or finished, a key retired. Never key material. (Each workspace's own audit
-- log also records the re-sealing of its values.)
create table key_ring_events (
    id          text    primary key not null,
    action      text    not null,
    key_id      text    not null,
    detail      text    not null default '{}',
    actor_label text    not null,
    host        text    not null,
    created_at  integer not null
);
create index key_ring_events_time on key_ring_events (created_at desc, id desc);
