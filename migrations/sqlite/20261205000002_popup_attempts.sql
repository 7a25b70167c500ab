-- Whether a connection attempt was started in a popup opened by the
-- operator's page (the JavaScript SDK's connect()): its last page then tells
-- the opener the result with postMessage, to the link's return origin only,
-- instead of redirecting to the return URL.
alter table oauth_states add column popup boolean not null default false;
