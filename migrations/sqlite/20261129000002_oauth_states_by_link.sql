-- A connect link keeps at most a few outstanding OAuth states: starting another
-- trip to Pinterest looks up (and invalidates the oldest of) the link's states.
create index oauth_states_link on oauth_states (link_id, created_at);
