-- One sealed canary per encryption key that has ever sealed data here.
-- Start-up opens each canary with the configured key ring: a missing key id or a
-- key whose material changed is reported before any secret is needed.
-- Timestamps everywhere are Unix milliseconds (integers).
create table key_canaries (
    key_id     text    primary key not null,
    sealed     text    not null,
    created_at integer not null
);
