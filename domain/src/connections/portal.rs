//! What operators see and do with connections: the list with counts per state,
//! one connection with its probe history, Check now, Check all, Refresh now and
//! Disconnect. Every function takes an [`Actor`]: reading needs membership,
//! acting needs the configure right.

use std::collections::BTreeMap;

use super::error::ConnectionError;
use super::health::{self, ProbeReport};
use super::scheduler;
use super::state::{Event, Health};
use super::tokens::{self, Refreshed};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent};
use crate::accounts::{Actor, ConnectionId, EnvironmentId, HealthRunId, RequestMeta};
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, HealthRunRow};
pub use crate::db::repo::connections::{ConnectionRow, Cursor, Position, ProbeRow};
use crate::db::repo::{environments, pinterest_settings};
use crate::db::{Db, DbError};
use crate::pinterest::ScopeSet;
use crate::webhooks::events::{self, Change, Subject};

pub const PAGE_SIZE: i64 = 25;
/// Probes shown (and charted) on a connection's page.
pub const HISTORY: i64 = 50;
/// Longest search text, in characters.
pub const SEARCH_MAX: usize = 100;
/// A search that finds at most this many connections per name (end user id,
/// display name, username) sorts them all and counts them exactly; one that
/// finds more reads the list in order instead, comparing as it goes.
pub const SEARCH_SORTED_MAX: i64 = 1000;
/// Connections such a search reads per query…
const SEARCH_WINDOW: i64 = 2000;
/// …and per page at most: a page it has not filled by then ends there, and
/// its "Older" (or "Newer") link goes on from the last one read.
pub const SEARCH_BUDGET: i64 = 20_000;

/// Counts per state, every state present (zeros included).
pub type Counts = BTreeMap<Health, i64>;

pub fn empty_counts() -> Counts {
    Health::ALL.into_iter().map(|h| (h, 0)).collect()
}

/// Connection counts per environment of the actor's workspace.
pub async fn counts_by_environment(
    db: &Db,
    actor: &Actor,
) -> Result<BTreeMap<EnvironmentId, Counts>, DbError> {
    let mut out: BTreeMap<EnvironmentId, Counts> = BTreeMap::new();
    for (env, health, n) in rows::counts(db, actor.workspace_id()).await? {
        out.entry(env)
            .or_insert_with(empty_counts)
            .insert(health, n);
    }
    Ok(out)
}

/// Connection counts of one environment (every state, zeros included): read
/// from the counts the database keeps, never by counting the connections.
pub async fn counts_for(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Counts, DbError> {
    let mut counts = empty_counts();
    for (health, n) in rows::counts_in(db, actor.workspace_id(), environment_id).await? {
        counts.insert(health, n);
    }
    Ok(counts)
}

/// The latest "Check all" and how far it got.
#[derive(Clone, Debug)]
pub struct RunProgress {
    pub run: HealthRunRow,
    pub done: i64,
}

/// What the Connections list shows: a state, a search, a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    pub health: Option<Health>,
    /// Trimmed, never empty.
    pub search: Option<String>,
    pub position: Position,
}

impl Default for ListRequest {
    fn default() -> Self {
        Self {
            health: None,
            search: None,
            position: Position::Newest,
        }
    }
}

/// The field a refusal names, as the list's address calls it.
pub const STATE_FIELD: &str = "state";
pub const SEARCH_FIELD: &str = "search";
pub const PAGE_FIELD: &str = "page";
pub const AFTER_FIELD: &str = "after";
pub const BEFORE_FIELD: &str = "before";

/// Longest cursor the list hands out: 20 digits, `_`, a UUID.
const CURSOR_MAX: usize = 60;

/// Up to 40 characters of `raw` for a message, control characters dropped.
fn quoted(raw: &str) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > 40 {
        format!("{}…", clean.chars().take(40).collect::<String>())
    } else {
        clean
    }
}

/// A query parameter's value, trimmed; `None` when absent or blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `"{created_at}_{id}"`, as [`ListPage`]'s links carry it.
pub fn format_cursor(cursor: &Cursor) -> String {
    format!("{}_{}", cursor.created_at, cursor.id)
}

fn parse_cursor(raw: &str) -> Option<Cursor> {
    if raw.len() > CURSOR_MAX {
        return None;
    }
    let (at, id) = raw.split_once('_')?;
    let created_at: i64 = at.parse().ok()?;
    (created_at >= 0).then_some(())?;
    Some(Cursor {
        created_at,
        id: ConnectionId::parse(id)?,
    })
}

fn bad_link(field: &'static str) -> ConnectionError {
    ConnectionError::invalid(
        field,
        "This page link is not valid (it names no connection in this list): start again from the newest connections.",
    )
}

impl ListRequest {
    /// Reads the list's address: `state`, `search` (`q` on the page), `page`
    /// (`last`, or `1` and `first` for the newest), and the cursors `after` and
    /// `before` the page links carry. Anything else is refused with a message
    /// that says what would work, before the database is asked anything.
    pub fn parse(
        state: Option<&str>,
        search: Option<&str>,
        page: Option<&str>,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Self, ConnectionError> {
        let health = given(state)
            .map(|s| {
                Health::parse(s).ok_or_else(|| {
                    let names = Health::ALL.map(Health::as_str).join(", ");
                    ConnectionError::invalid(
                        STATE_FIELD,
                        format!("“{}” is not a state: filter by one of {names}.", quoted(s)),
                    )
                })
            })
            .transpose()?;
        let search = match given(search) {
            None => None,
            Some(text) if text.chars().count() > SEARCH_MAX => {
                return Err(ConnectionError::invalid(
                    SEARCH_FIELD,
                    format!(
                        "Search for at most {SEARCH_MAX} characters: the start of an end user id, a display name or a @username."
                    ),
                ));
            }
            Some(text) if text.chars().any(char::is_control) => {
                return Err(ConnectionError::invalid(
                    SEARCH_FIELD,
                    "Search for text without line breaks, tabs or other control characters.",
                ));
            }
            Some(text) => Some(text.to_owned()),
        };
        let cursor = |raw: Option<&str>, field| {
            given(raw)
                .map(|r| parse_cursor(r).ok_or_else(|| bad_link(field)))
                .transpose()
        };
        let after = cursor(after, AFTER_FIELD)?;
        let before = cursor(before, BEFORE_FIELD)?;
        let last = match given(page) {
            None | Some("1" | "first") => false,
            Some("last") => true,
            Some(other) => {
                return Err(ConnectionError::invalid(
                    PAGE_FIELD,
                    format!(
                        "“{}” is not a page: move through the list with Newer and Older, or ask for page=last for the oldest connections.",
                        quoted(other)
                    ),
                ));
            }
        };
        let position = match (after, before, last) {
            (None, None, false) => Position::Newest,
            (None, None, true) => Position::Oldest,
            (Some(c), None, false) => Position::After(c),
            (None, Some(c), false) => Position::Before(c),
            _ => {
                return Err(ConnectionError::invalid(
                    PAGE_FIELD,
                    "This page link asks for two places at once (after, before or page=last): follow one link at a time.",
                ));
            }
        };
        Ok(Self {
            health,
            search,
            position,
        })
    }
}

/// How many connections match the list's state and search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matching {
    Exactly(i64),
    /// A search that matches more than this many (not counted further).
    MoreThan(i64),
    /// A search in one state that matches too many connections to count.
    Uncounted,
}

pub struct ListPage {
    /// Newest first.
    pub rows: Vec<ConnectionRow>,
    pub matching: Matching,
    /// Where the next older page starts (`after`); `None` on the oldest.
    pub older: Option<Cursor>,
    /// Where the next newer page ends (`before`); `None` on the newest.
    pub newer: Option<Cursor>,
    /// A search that read [`SEARCH_BUDGET`] connections without filling the
    /// page: `older` (or `newer`) goes on from the last one it read.
    pub search_stopped: bool,
    pub counts: Counts,
    pub run: Option<RunProgress>,
    pub origins: Vec<String>,
    /// Whether links can be made: Pinterest configured and enabled here.
    pub integration_ready: bool,
}

/// One page of a list, before its rows are read in full.
struct Paged {
    /// Newest first.
    ids: Vec<ConnectionId>,
    older: Option<Cursor>,
    newer: Option<Cursor>,
    matching: Option<Matching>,
    search_stopped: bool,
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    request: &ListRequest,
) -> Result<ListPage, ConnectionError> {
    let ws = actor.workspace_id();
    environments::find(db, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if let Some(cursor) = request.position.cursor()
        && !rows::cursor_exists(db, ws, environment_id, cursor).await?
    {
        return Err(bad_link(match request.position {
            Position::Before(_) => BEFORE_FIELD,
            _ => AFTER_FIELD,
        }));
    }
    let counts = counts_for(db, actor, environment_id).await?;
    let (rows, paged) = match &request.search {
        None => browse(db, actor, environment_id, request).await?,
        Some(text) => {
            let paged = search(db, actor, environment_id, request, text).await?;
            (rows::find_many(db, ws, &paged.ids).await?, paged)
        }
    };
    let matching = paged.matching.unwrap_or_else(|| {
        Matching::Exactly(match request.health {
            Some(h) => counts.get(&h).copied().unwrap_or(0),
            None => counts.values().sum(),
        })
    });
    let run = rows::latest_run(db, ws, environment_id)
        .await?
        .map(|(run, remaining)| RunProgress {
            done: (run.total - remaining).clamp(0, run.total),
            run,
        });
    let origins = rows::list_origins(db, ws, environment_id).await?;
    let integration_ready = pinterest_settings::find(db, ws, environment_id)
        .await?
        .is_some_and(|s| s.enabled);
    Ok(ListPage {
        rows,
        matching,
        older: paged.older,
        newer: paged.newer,
        search_stopped: paged.search_stopped,
        counts,
        run,
        origins,
        integration_ready,
    })
}

/// A page of the list without a search: one walk of its index from the
/// position, a row more than the page to know whether more follow.
async fn browse(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    request: &ListRequest,
) -> Result<(Vec<ConnectionRow>, Paged), ConnectionError> {
    let ws = actor.workspace_id();
    let read = |position: Position| async move {
        rows::list(
            db,
            ws,
            environment_id,
            request.health,
            &position,
            PAGE_SIZE + 1,
        )
        .await
    };
    let position = &request.position;
    let mut got = read(position.clone()).await?;
    let more = got.len() as i64 > PAGE_SIZE;
    got.truncate(PAGE_SIZE as usize);
    if position.ascending() {
        got.reverse();
    }
    let first = got.first().map(Cursor::of);
    let last = got.last().map(Cursor::of);
    let (older, newer) = match position {
        Position::Newest => (more.then_some(last).flatten(), None),
        Position::After(c) => (
            more.then_some(last).flatten(),
            first.or_else(|| Some(c.clone())),
        ),
        Position::Before(c) => (
            last.or_else(|| Some(c.clone())),
            more.then_some(first).flatten(),
        ),
        Position::Oldest => (None, more.then_some(first).flatten()),
    };
    let ids = got.iter().map(|r| r.id.clone()).collect();
    Ok((
        got,
        Paged {
            ids,
            older,
            newer,
            matching: None,
            search_stopped: false,
        },
    ))
}

/// A page of the connections whose end user id, display name or username
/// starts with `text` (case-insensitive; a leading `@` is the username's).
/// Found through the search indexes when they hold at most
/// [`SEARCH_SORTED_MAX`] per name (then sorted and counted exactly);
/// otherwise the list is read in order, at most [`SEARCH_BUDGET`] per page.
async fn search(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    request: &ListRequest,
    text: &str,
) -> Result<Paged, ConnectionError> {
    let ws = actor.workspace_id();
    let prefix = rows::fold(db, text.strip_prefix('@').unwrap_or(text)).await?;
    let (found, capped) =
        rows::search_candidates(db, ws, environment_id, &prefix, SEARCH_SORTED_MAX).await?;
    if !capped {
        let mut found: Vec<Cursor> = found
            .into_iter()
            .filter(|c| request.health.is_none_or(|h| c.health == h))
            .map(|c| Cursor {
                created_at: c.created_at,
                id: c.id,
            })
            .collect();
        // Newest first, as the list runs.
        found.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        return Ok(page_of_sorted(&found, &request.position));
    }
    walk(db, actor, environment_id, request, &prefix).await
}

/// The page at `position` of `all` (newest first, every match).
fn page_of_sorted(all: &[Cursor], position: &Position) -> Paged {
    let page = PAGE_SIZE as usize;
    let newer_than =
        |c: &Cursor| all.partition_point(|x| (x.created_at, &x.id) > (c.created_at, &c.id));
    let (start, end) = match position {
        Position::Newest => (0, page),
        // From the first one older than the cursor.
        Position::After(c) => {
            let start = newer_than(c) + usize::from(all.get(newer_than(c)) == Some(c));
            (start, start + page)
        }
        // Up to the last one newer than the cursor (a shorter page at the start).
        Position::Before(c) => (newer_than(c).saturating_sub(page), newer_than(c)),
        Position::Oldest => (all.len().saturating_sub(page), all.len()),
    };
    let start = start.min(all.len());
    let end = end.clamp(start, all.len());
    let shown = &all[start..end];
    Paged {
        ids: shown.iter().map(|c| c.id.clone()).collect(),
        older: (end < all.len()).then(|| all[end - 1].clone()),
        newer: (start > 0 && start < all.len()).then(|| all[start].clone()),
        matching: Some(Matching::Exactly(all.len() as i64)),
        search_stopped: false,
    }
}

/// A search that matches too many to sort: the list read in order from the
/// position, [`SEARCH_WINDOW`] at a time, until a page is found or
/// [`SEARCH_BUDGET`] were read.
async fn walk(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    request: &ListRequest,
    prefix: &str,
) -> Result<Paged, ConnectionError> {
    let ws = actor.workspace_id();
    let ascending = request.position.ascending();
    let mut position = request.position.clone();
    let mut found: Vec<Cursor> = Vec::new();
    let mut read = 0;
    let mut reached_end = false;
    loop {
        let want = SEARCH_WINDOW.min(SEARCH_BUDGET - read);
        if want <= 0 {
            break;
        }
        let window =
            rows::search_window(db, ws, environment_id, request.health, &position, want).await?;
        read += window.len() as i64;
        for fields in &window {
            if fields.starts_with(prefix) {
                found.push(Cursor {
                    created_at: fields.created_at,
                    id: fields.id.clone(),
                });
                if found.len() as i64 > PAGE_SIZE {
                    break;
                }
            }
        }
        if found.len() as i64 > PAGE_SIZE {
            break;
        }
        match window.last() {
            Some(last) if window.len() as i64 == want => {
                let last = Cursor {
                    created_at: last.created_at,
                    id: last.id.clone(),
                };
                position = if ascending {
                    Position::Before(last)
                } else {
                    Position::After(last)
                };
            }
            _ => {
                reached_end = true;
                break;
            }
        }
    }
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    // Stopped by the budget: the next page goes on from the last one read.
    let stopped = !more && !reached_end;
    let go_on = if more {
        found.last().cloned()
    } else if stopped {
        position.cursor().cloned()
    } else {
        None
    };
    if ascending {
        found.reverse();
    }
    let (older, newer) = match &request.position {
        Position::Newest => (go_on, None),
        Position::After(c) => (go_on, found.first().cloned().or_else(|| Some(c.clone()))),
        Position::Before(c) => (found.last().cloned().or_else(|| Some(c.clone())), go_on),
        Position::Oldest => (None, go_on),
    };
    Ok(Paged {
        ids: found.iter().map(|c| c.id.clone()).collect(),
        older,
        newer,
        matching: Some(match request.health {
            None => Matching::MoreThan(SEARCH_SORTED_MAX),
            Some(_) => Matching::Uncounted,
        }),
        search_stopped: stopped,
    })
}

/// One connection as its page shows it.
pub struct Detail {
    pub row: ConnectionRow,
    /// The most recent probes, newest first.
    pub probes: Vec<ProbeRow>,
    /// The scopes the environment requires now (those of the grant's time
    /// when Pinterest is no longer configured).
    pub required: ScopeSet,
}

/// One connection of the actor's workspace in `environment_id`.
pub async fn detail(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    id: &ConnectionId,
) -> Result<Detail, ConnectionError> {
    let ws = actor.workspace_id();
    let row = rows::find(db, ws, id)
        .await?
        .filter(|row| &row.environment_id == environment_id)
        .ok_or(ConnectionError::NotFound)?;
    let probes = rows::recent_probes(db, ws, id, HISTORY).await?;
    let required = pinterest_settings::find(db, ws, environment_id)
        .await?
        .map_or_else(
            || ScopeSet::from_stored(&row.scopes_required),
            |s| ScopeSet::from_stored(&s.scopes),
        );
    Ok(Detail {
        row,
        probes,
        required,
    })
}

/// Deletes our copy of the tokens (Pinterest has no revocation for user tokens)
/// and marks the connection revoked.
pub async fn disconnect(
    db: &Db,
    actor: &Actor,
    id: &ConnectionId,
    meta: &RequestMeta,
) -> Result<ConnectionRow, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    disconnect_row(db, &row, actor.into(), meta).await?;
    Ok(row)
}

/// Disconnects `row` (already found in the caller's tenancy) as `by`, audited.
pub(crate) async fn disconnect_row(
    db: &Db,
    row: &ConnectionRow,
    by: AuditActor,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    let already = || ConnectionError::Refused("This connection is already disconnected.".into());
    if row.health == Health::Revoked {
        return Err(already());
    }
    let ws = &row.workspace_id;
    let now = now_ms();
    let after = super::state_of(row).after(
        &Event::Disconnected {
            by: by.label.clone(),
        },
        now,
    );
    let mut tx = db.begin().await?;
    if !rows::disconnect_tx(&mut tx, ws, &row.id, &after.reason, now).await? {
        return Err(already());
    }
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(row.environment_id.clone()),
            actor: by,
            action: AuditAction::ConnectionDisconnected,
            target: format!("@{}", row.account_username),
            detail: audit::detail([
                ("end_user_id", row.end_user_id.clone().into()),
                ("health_before", row.health.as_str().into()),
            ]),
        },
        meta,
    )
    .await?;
    // Its webhook goes out within the worker's poll (no process is woken here).
    let subject = Subject::of(row, &after);
    events::emit_tx(&mut tx, &subject, Change::Disconnected, now).await?;
    tx.commit().await?;
    Ok(())
}

/// "Check now". `None` when another process is working on the connection: the
/// probe is then made due and runs as soon as it is free.
pub async fn check_now(
    services: &Services,
    actor: &Actor,
    id: &ConnectionId,
) -> Result<Option<ProbeReport>, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(&services.db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    check_row(services, &row).await
}

/// Probes `row` (already found in the caller's tenancy) now.
pub(crate) async fn check_row(
    services: &Services,
    row: &ConnectionRow,
) -> Result<Option<ProbeReport>, ConnectionError> {
    if row.health == Health::Revoked {
        return Err(ConnectionError::Refused(
            "This connection is disconnected: there is nothing to check.".into(),
        ));
    }
    health::check_now(services, row).await
}

/// "Refresh now". `None` when the connection is busy.
pub async fn refresh_now(
    services: &Services,
    actor: &Actor,
    id: &ConnectionId,
) -> Result<Option<Refreshed>, ConnectionError> {
    actor.require_configure()?;
    let row = rows::find(&services.db, actor.workspace_id(), id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if !row.health.usable() {
        return Err(ConnectionError::Refused(format!(
            "This connection is {}: only the end user connecting again can fix that.",
            row.health.label().to_lowercase()
        )));
    }
    tokens::refresh_now(services, &row).await
}

/// "Check all": every connection in the environment is made due for a probe;
/// the schedulers (of every process) work through them, and progress is how
/// many were probed since. This process starts on them at once rather than at
/// its scheduler's next round.
pub async fn check_all(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    meta: &RequestMeta,
) -> Result<i64, ConnectionError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = services.db.begin().await?;
    let env = environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let now = now_ms();
    let total = i64::try_from(rows::make_probes_due_tx(&mut tx, ws, environment_id, now).await?)
        .unwrap_or(i64::MAX);
    if total == 0 {
        return Err(ConnectionError::Refused(
            "There are no connections to check in this environment.".into(),
        ));
    }
    rows::insert_run_tx(
        &mut tx,
        &HealthRunRow {
            id: HealthRunId::generate(),
            workspace_id: ws.clone(),
            environment_id: environment_id.clone(),
            started_by: actor.label().to_owned(),
            started_at: now,
            total,
        },
    )
    .await?;
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: actor.into(),
            action: AuditAction::ConnectionsCheckAll,
            target: env.name,
            detail: audit::detail([("connections", total.into())]),
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    let worker = services.clone();
    tokio::spawn(async move {
        loop {
            match scheduler::run_round(&worker, scheduler::BATCH).await {
                Ok(round) if round.probed > 0 => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "check all: a round failed");
                    break;
                }
            }
        }
    });
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(at: i64) -> Cursor {
        Cursor {
            created_at: at,
            id: ConnectionId::parse(&format!(
                "00000000-0000-7000-8000-{:012}",
                at % 1_000_000_000_000
            ))
            .unwrap(),
        }
    }

    fn parse(
        state: Option<&str>,
        search: Option<&str>,
        page: Option<&str>,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<ListRequest, String> {
        ListRequest::parse(state, search, page, after, before).map_err(|e| match e {
            ConnectionError::Invalid { field, message } => format!("{field}: {message}"),
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn list_addresses_are_read_or_refused_with_a_message() {
        let c = cursor(1_700_000_000_000);
        let text = format_cursor(&c);
        assert_eq!(
            parse(None, None, None, None, None),
            Ok(ListRequest::default())
        );
        assert_eq!(
            parse(
                Some(" revoked "),
                Some(" @demo "),
                Some("1"),
                Some(""),
                None
            ),
            Ok(ListRequest {
                health: Some(Health::Revoked),
                search: Some("@demo".into()),
                position: Position::Newest,
            })
        );
        assert_eq!(
            parse(None, None, Some("last"), None, None)
                .unwrap()
                .position,
            Position::Oldest
        );
        assert_eq!(
            parse(None, None, None, Some(&text), None).unwrap().position,
            Position::After(c.clone())
        );
        assert_eq!(
            parse(None, None, Some("first"), None, Some(&text))
                .unwrap()
                .position,
            Position::Before(c.clone())
        );
        for page in ["-1", "0", "2", "99999999999999999999", "abc", "last page"] {
            let refused = parse(None, None, Some(page), None, None).unwrap_err();
            assert!(refused.starts_with("page: “"), "{page}: {refused}");
        }
        for (after, field) in [
            ("garbage", "after"),
            ("-1_00000000-0000-7000-8000-000000000001", "after"),
            ("12_not-a-uuid", "after"),
            (
                "99999999999999999999_00000000-0000-7000-8000-000000000001",
                "after",
            ),
        ] {
            let refused = parse(None, None, None, Some(after), None).unwrap_err();
            assert!(
                refused.starts_with(&format!("{field}: This page link")),
                "{refused}"
            );
        }
        let long = "1".repeat(1000);
        assert!(
            parse(None, None, None, None, Some(&long))
                .unwrap_err()
                .starts_with("before: ")
        );
        assert!(
            parse(None, None, Some("last"), Some(&text), None)
                .unwrap_err()
                .contains("two places at once")
        );
        assert!(
            parse(None, None, None, Some(&text), Some(&text))
                .unwrap_err()
                .contains("two places at once")
        );
        let state = parse(Some(&"x".repeat(5000)), None, None, None, None).unwrap_err();
        assert!(
            state.starts_with("state: “xxxx") && state.len() < 300,
            "{state}"
        );
        let search = parse(None, Some(&"é".repeat(101)), None, None, None).unwrap_err();
        assert!(search.contains("at most 100 characters"), "{search}");
        assert!(parse(None, Some(&"é".repeat(100)), None, None, None).is_ok());
        assert!(
            parse(None, Some("a\u{0}b"), None, None, None)
                .unwrap_err()
                .contains("control characters")
        );
    }

    #[test]
    fn a_sorted_search_is_paged_like_the_list() {
        // 60 matches, newest (60) first.
        let all: Vec<Cursor> = (1..=60).rev().map(cursor).collect();
        let at = |p: &Paged| {
            p.ids
                .iter()
                .map(|id| id.as_str()[24..].parse::<i64>().unwrap())
                .collect::<Vec<_>>()
        };
        let first = page_of_sorted(&all, &Position::Newest);
        assert_eq!(at(&first), (36..=60).rev().collect::<Vec<_>>());
        assert_eq!(
            (first.older.clone(), first.newer.clone()),
            (Some(cursor(36)), None)
        );
        assert_eq!(first.matching, Some(Matching::Exactly(60)));
        let second = page_of_sorted(&all, &Position::After(cursor(36)));
        assert_eq!(at(&second), (11..=35).rev().collect::<Vec<_>>());
        assert_eq!(
            (second.older.clone(), second.newer.clone()),
            (Some(cursor(11)), Some(cursor(35)))
        );
        let third = page_of_sorted(&all, &Position::After(cursor(11)));
        assert_eq!(at(&third), (1..=10).rev().collect::<Vec<_>>());
        assert_eq!(
            (third.older.clone(), third.newer.clone()),
            (None, Some(cursor(10)))
        );
        // Back: the 25 just newer than the cursor, then the few newest.
        let back = page_of_sorted(&all, &Position::Before(cursor(10)));
        assert_eq!(at(&back), (11..=35).rev().collect::<Vec<_>>());
        let start = page_of_sorted(&all, &Position::Before(cursor(55)));
        assert_eq!(at(&start), (56..=60).rev().collect::<Vec<_>>());
        assert_eq!(
            (start.older.clone(), start.newer.clone()),
            (Some(cursor(56)), None)
        );
        let oldest = page_of_sorted(&all, &Position::Oldest);
        assert_eq!(at(&oldest), (1..=25).rev().collect::<Vec<_>>());
        assert_eq!(
            (oldest.older.clone(), oldest.newer.clone()),
            (None, Some(cursor(25)))
        );
        // A cursor past the end: an empty page.
        let past = page_of_sorted(&all, &Position::After(cursor(1)));
        assert!(past.ids.is_empty() && past.older.is_none());
        let none = page_of_sorted(&[], &Position::Oldest);
        assert!(none.ids.is_empty() && none.older.is_none() && none.newer.is_none());
    }
}
