-- Sign-in throttling counts attempts, not failures after the fact: an attempt
-- is reserved (counted) atomically before its password is hashed, so a burst
-- of parallel guesses cannot all pass a check made before any was recorded.
-- One row per key: `e:<email> <client>` (one account from one client) and
-- `i:<client>` (one client across accounts), where a client is an IPv4
-- address or an IPv6 /64. `prev_at` is the attempt before the latest, which
-- the wait is counted from. Rows idle longer than the window are pruned.
drop table sign_in_failures;

create table sign_in_attempts (
    key      text    primary key not null,
    count    bigint  not null,
    last_at  bigint  not null,
    prev_at  bigint
);
create index sign_in_attempts_last_at on sign_in_attempts (last_at);
