//! The audit log taken out: the records an application or security tool
//! reads at `GET /v1/audit-events` ([`read`]), and the record each export
//! from the portal leaves ([`record_export`]).
//!
//! Who reads what ([`AuditReader`]): an environment API key holding
//! `audit:read` reads its environment's records; an owner's workspace key
//! ([`super::workspace_keys`]) reads every record of its workspace,
//! workspace-level ones (members, sign-ins, branding) included, or one
//! environment's. Ids of other environments or workspaces simply match
//! nothing; they are never an error that would tell they exist.
//!
//! Order: oldest first by each record's place in its workspace's hash chain
//! (`seq`). A place is taken under the chain head's lock, which the record's
//! transaction holds until it commits, so places follow commit order: a
//! poller resuming after the last place it saw never skips a record that
//! committed late, as one ordered by time could (a record stamped earlier
//! can commit later). Records not chained yet (written before the chain
//! began; the workspace's next record chains them, ahead of itself) are
//! listed once they are.
//!
//! A cursor is the last record's place and id. One that names no record of
//! the reader's log is refused: a garbled or edited cursor is an error, never
//! a page from some other place.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::workspace_keys::WorkspaceCaller;
use super::{ApiCaller, ApiError};
use crate::Services;
use crate::accounts::audit::{
    self, AuditAction, AuditEventRow, AuditFilter, NewAuditEvent, RequestMeta, detail,
};
use crate::accounts::{AccountsError, Actor, AuditEventId, EnvironmentId, WorkspaceId};
use crate::db::Db;
use crate::db::repo::audit_feed::{self as rows, FeedQuery};
use crate::shared::ApiPermission;

/// Records per page when the caller does not say.
pub const LIMIT_DEFAULT: i64 = 100;
pub const LIMIT_MAX: i64 = 500;
/// Longest value each parameter may have: anything longer is refused before
/// it is parsed or reaches a query.
const INSTANT_MAX: usize = 64;
/// An operator's email (254) or an API key's label, with room to spare.
const ACTOR_MAX: usize = 320;
const ACTION_MAX: usize = 80;
const ID_MAX: usize = 64;
const LIMIT_TEXT_MAX: usize = 20;
const CURSOR_MAX: usize = 200;

/// Whose audit log a caller reads.
#[derive(Clone, Debug)]
pub enum AuditReader {
    /// An environment API key: its environment's records, with `audit:read`.
    Environment(ApiCaller),
    /// An owner's workspace key: every record of its workspace.
    Workspace(WorkspaceCaller),
}

impl AuditReader {
    pub fn workspace_id(&self) -> &WorkspaceId {
        match self {
            Self::Environment(caller) => &caller.workspace_id,
            Self::Workspace(caller) => &caller.workspace_id,
        }
    }

    /// The one environment whose records it may read; `None`: all of them.
    fn environment_id(&self) -> Option<&EnvironmentId> {
        match self {
            Self::Environment(caller) => Some(&caller.environment_id),
            Self::Workspace(_) => None,
        }
    }
}

/// The query parameters as sent. An empty value counts as absent.
#[derive(Clone, Debug, Default)]
pub struct FeedParams {
    /// Written at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// Written before this instant (RFC 3339).
    pub until: Option<String>,
    /// The actor as recorded (an operator's email, an API key's label), exactly.
    pub actor: Option<String>,
    /// An action by its exact name, or a prefix ending in `.*`.
    pub action: Option<String>,
    pub environment_id: Option<String>,
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of the log, oldest first.
#[derive(Debug)]
pub struct FeedPage {
    pub events: Vec<AuditEventRow>,
    /// Where to read on: after this page's last record, or (a page with
    /// none) where the cursor given was. A poller keeps the last one and
    /// asks with it again later. `None` only when nothing matched yet and no
    /// cursor was given.
    pub next_cursor: Option<String>,
    /// More records match already: ask again at once with `next_cursor`.
    pub has_more: bool,
}

/// One page of the reader's log matching `params`. Every parameter is
/// checked before the log is read; a refusal names the parameter.
pub async fn read(
    services: &Services,
    reader: &AuditReader,
    params: &FeedParams,
) -> Result<FeedPage, ApiError> {
    if let AuditReader::Environment(caller) = reader {
        caller.require(ApiPermission::AuditRead)?;
    }
    let filter = Filter::parse(params)?;
    let workspace_id = reader.workspace_id();
    if let Some(cursor) = &filter.after
        && !rows::has_place(
            &services.db,
            workspace_id,
            cursor.seq,
            &cursor.id,
            reader.environment_id(),
        )
        .await?
    {
        return Err(bad_cursor());
    }
    let environment_id = match reader.environment_id() {
        // An API key asked for another environment's records: it has none.
        Some(own)
            if filter
                .environment_id
                .as_ref()
                .is_some_and(|asked| asked != own) =>
        {
            return Ok(FeedPage {
                events: Vec::new(),
                next_cursor: filter.after.as_ref().map(Cursor::encode),
                has_more: false,
            });
        }
        Some(own) => Some(own.clone()),
        None => filter.environment_id.clone(),
    };
    let query = FeedQuery {
        environment_id: environment_id.as_ref(),
        actor_label: filter.actor.as_deref(),
        actions: &filter.actions,
        since: filter.since,
        until: filter.until,
        after_seq: filter.after.as_ref().map(|c| c.seq),
        // One more than asked tells whether another page follows.
        limit: filter.limit + 1,
    };
    let mut events = rows::page(&services.db, workspace_id, &query).await?;
    let limit = usize::try_from(filter.limit).unwrap_or(usize::MAX);
    let has_more = events.len() > limit;
    events.truncate(limit);
    let next_cursor = events
        .last()
        .and_then(Cursor::of)
        .or(filter.after)
        .map(|c| c.encode());
    Ok(FeedPage {
        events,
        next_cursor,
        has_more,
    })
}

/// The parameters, parsed.
struct Filter {
    since: Option<i64>,
    until: Option<i64>,
    actor: Option<String>,
    /// Empty: any action.
    actions: Vec<AuditAction>,
    environment_id: Option<EnvironmentId>,
    limit: i64,
    after: Option<Cursor>,
}

impl Filter {
    fn parse(params: &FeedParams) -> Result<Self, ApiError> {
        let since = given(&params.since, "since", INSTANT_MAX)?
            .map(|text| instant("since", text))
            .transpose()?;
        let until = given(&params.until, "until", INSTANT_MAX)?
            .map(|text| instant("until", text))
            .transpose()?;
        if let (Some(since), Some(until)) = (since, until)
            && until < since
        {
            return Err(ApiError::invalid(
                "until",
                "`until` is before `since`: no record can match. Give `since` the earlier instant.",
            ));
        }
        let actor = given(&params.actor, "actor", ACTOR_MAX)?.map(str::to_owned);
        let actions = match given(&params.action, "action", ACTION_MAX)? {
            None => Vec::new(),
            Some(text) => actions_named(text).ok_or_else(|| unknown_action(text))?,
        };
        let environment_id = given(&params.environment_id, "environment_id", ID_MAX)?
            .map(|text| {
                EnvironmentId::parse(text).ok_or_else(|| {
                    ApiError::invalid(
                        "environment_id",
                        "`environment_id` must be an environment's id: a UUID, as `environment_id` in the records.",
                    )
                })
            })
            .transpose()?;
        let limit = match given(&params.limit, "limit", LIMIT_TEXT_MAX)? {
            None => LIMIT_DEFAULT,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=LIMIT_MAX).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "limit",
                        format!("`limit` must be a whole number from 1 to {LIMIT_MAX}."),
                    )
                })?,
        };
        let after = given(&params.cursor, "cursor", CURSOR_MAX)?
            .map(|text| Cursor::decode(text).ok_or_else(bad_cursor))
            .transpose()?;
        Ok(Self {
            since,
            until,
            actor,
            actions,
            environment_id,
            limit,
            after,
        })
    }
}

/// A parameter's value when one was given (an empty one counts as absent),
/// refused when longer than `max` characters or holding a control character
/// (no record holds one, and PostgreSQL refuses a NUL outright).
fn given<'a>(
    value: &'a Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<&'a str>, ApiError> {
    match value.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            let count = text.chars().count();
            if count > max {
                return Err(ApiError::invalid(
                    field,
                    format!(
                        "`{field}` is too long: at most {max} characters (this one has {count})."
                    ),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(ApiError::invalid(
                    field,
                    format!(
                        "`{field}` must not contain control characters such as tabs or line breaks."
                    ),
                ));
            }
            Ok(Some(text))
        }
    }
}

/// An RFC 3339 instant, in Unix milliseconds.
fn instant(field: &'static str, text: &str) -> Result<i64, ApiError> {
    let refused = || {
        ApiError::invalid(
            field,
            format!(
                "`{field}` must be a date and time in RFC 3339, such as 2026-12-01T09:30:00Z; \u{201c}{text}\u{201d} is not one."
            ),
        )
    };
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| refused())?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| refused())
}

/// The actions `text` names: one by its exact name, or every one a prefix
/// ending in `.*` names (`pinterest.*`). `None` when it names none.
pub fn actions_named(text: &str) -> Option<Vec<AuditAction>> {
    if let Some(action) = AuditAction::parse(text) {
        return Some(vec![action]);
    }
    let prefix = text
        .strip_suffix('*')
        .filter(|p| p.len() > 1 && p.ends_with('.'))?;
    let named: Vec<AuditAction> = AuditAction::ALL
        .into_iter()
        .filter(|a| a.as_str().starts_with(prefix))
        .collect();
    (!named.is_empty()).then_some(named)
}

/// Every prefix an action filter may name, sorted: `account.*`, `agent.*`, ….
pub fn action_prefixes() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for action in AuditAction::ALL {
        if let Some((head, _)) = action.as_str().split_once('.') {
            let prefix = format!("{head}.*");
            if !out.contains(&prefix) {
                out.push(prefix);
            }
        }
    }
    out.sort();
    out
}

fn unknown_action(text: &str) -> ApiError {
    ApiError::invalid(
        "action",
        format!(
            "Unknown action \u{201c}{text}\u{201d}: give an action exactly, such as `member.added`, or a prefix ending in `.*`: {}.",
            action_prefixes().join(", ")
        ),
    )
}

fn bad_cursor() -> ApiError {
    ApiError::invalid(
        "cursor",
        "This cursor is not one pinbridge gave out for this audit log: pass `next_cursor` from the previous page unchanged.",
    )
}

/// A place in the log: after the record `id` at chain place `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cursor {
    seq: i64,
    id: AuditEventId,
}

impl Cursor {
    fn of(row: &AuditEventRow) -> Option<Self> {
        row.seq.map(|seq| Self {
            seq,
            id: row.id.clone(),
        })
    }

    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.seq, self.id))
    }

    /// A cursor exactly as [`Cursor::encode`] writes it: any other spelling
    /// of the same place is refused too, so an edit never passes.
    fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let plain = String::from_utf8(bytes).ok()?;
        let (seq, id) = plain.split_once('.')?;
        let cursor = Self {
            seq: seq.parse::<i64>().ok().filter(|s| *s >= 1)?,
            id: AuditEventId::parse(id)?,
        };
        (cursor.encode() == text).then_some(cursor)
    }
}

/// How the portal's export writes the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180, with a header row.
    Csv,
    /// One JSON object per line, as `GET /v1/audit-events` answers each.
    JsonLines,
}

impl ExportFormat {
    /// The name the export link carries (`format=csv`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" => Some(Self::Csv),
            "jsonl" => Some(Self::JsonLines),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

/// Records that `actor` exported their workspace's log in `format` with the
/// page's `filter` (which environment, actor and action: never a record's
/// content). Written before the export's first byte: every export leaves
/// its record, and one that cannot be recorded does not happen.
pub async fn record_export(
    db: &Db,
    actor: &Actor,
    format: ExportFormat,
    filter: &AuditFilter,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let mut d = detail([("format", format.as_str().into())]);
    if let Some(environment_id) = &filter.environment_id {
        d.insert("environment_id".into(), environment_id.as_str().into());
    }
    if let Some(operator_id) = &filter.actor_operator_id {
        d.insert("actor_operator_id".into(), operator_id.as_str().into());
    }
    if let Some(action) = filter.action {
        d.insert("action".into(), action.as_str().into());
    }
    audit::append(
        db,
        NewAuditEvent {
            workspace_id: actor.workspace_id().clone(),
            environment_id: filter.environment_id.clone(),
            actor: actor.into(),
            action: AuditAction::AuditExported,
            target: "audit log".into(),
            detail: d,
        },
        meta,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_named_exactly_or_by_a_prefix() {
        assert_eq!(
            actions_named("member.added"),
            Some(vec![AuditAction::MemberAdded])
        );
        let pinterest = actions_named("pinterest.*").unwrap();
        assert!(pinterest.len() > 1);
        assert!(
            pinterest
                .iter()
                .all(|a| a.as_str().starts_with("pinterest."))
        );
        assert_eq!(actions_named("pinterest"), None);
        assert_eq!(actions_named("pinterest.nope"), None);
        assert_eq!(actions_named("nothing.*"), None);
        assert_eq!(actions_named("*"), None);
        assert_eq!(actions_named(".*"), None);
        assert!(action_prefixes().contains(&"api_key.*".to_owned()));
    }

    #[test]
    fn cursors_round_trip_and_refuse_any_edit() {
        let cursor = Cursor {
            seq: 42,
            id: AuditEventId::generate(),
        };
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text), Some(cursor.clone()));
        assert_eq!(Cursor::decode("garbage"), None);
        assert_eq!(Cursor::decode(""), None);
        let upper = URL_SAFE_NO_PAD.encode(format!("42.{}", cursor.id.as_str().to_uppercase()));
        assert_eq!(Cursor::decode(&upper), None, "another spelling");
        let zero = URL_SAFE_NO_PAD.encode(format!("0.{}", cursor.id));
        assert_eq!(Cursor::decode(&zero), None);
        let mut edited = text.clone().into_bytes();
        edited[0] = if edited[0] == b'A' { b'B' } else { b'A' };
        assert_ne!(
            Cursor::decode(std::str::from_utf8(&edited).unwrap()),
            Some(cursor)
        );
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let field = |params: FeedParams| match Filter::parse(&params) {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("{:?}", other.map(|f| f.limit)),
        };
        assert_eq!(
            field(FeedParams {
                since: Some("yesterday".into()),
                ..FeedParams::default()
            }),
            "since"
        );
        assert_eq!(
            field(FeedParams {
                limit: Some("0".into()),
                ..FeedParams::default()
            }),
            "limit"
        );
        assert_eq!(
            field(FeedParams {
                limit: Some("501".into()),
                ..FeedParams::default()
            }),
            "limit"
        );
        assert_eq!(
            field(FeedParams {
                actor: Some("x".repeat(10_000)),
                ..FeedParams::default()
            }),
            "actor"
        );
        assert_eq!(
            field(FeedParams {
                actor: Some("ada\u{0}@audit.test".into()),
                ..FeedParams::default()
            }),
            "actor"
        );
        assert_eq!(
            field(FeedParams {
                since: Some("2026-12-02T00:00:00Z".into()),
                until: Some("2026-12-01T00:00:00Z".into()),
                ..FeedParams::default()
            }),
            "until"
        );
        let parsed = Filter::parse(&FeedParams {
            since: Some("2026-12-01T00:00:00Z".into()),
            until: Some("2026-12-01T01:00:00+01:00".into()),
            limit: Some(String::new()),
            ..FeedParams::default()
        })
        .unwrap();
        assert_eq!(parsed.since, Some(1_796_083_200_000));
        assert_eq!(parsed.until, parsed.since, "the same instant");
        assert_eq!(parsed.limit, LIMIT_DEFAULT, "empty is absent");
    }
}
