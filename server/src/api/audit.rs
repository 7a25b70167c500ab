//! The audit log taken out, in one shape: `GET /v1/audit-events` for
//! applications and security tooling (an API key with `audit:read`, or an
//! owner's workspace key), and the portal's export
//! (`GET /w/{ws}/audit/export`, under the portal's session), which writes
//! every record the Audit log page's filters match as CSV or JSON lines.

use std::borrow::Cow;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::accounts::Actor;
use domain::accounts::audit::{
    self, AUDIT_PAGE_MAX, AuditCursor, AuditEventRow, AuditFilter, AuditPage,
};
use domain::accounts::environments::EnvironmentRow;
use domain::api::audit_feed::{self, AuditReader, ExportFormat, FeedParams};
use domain::api::{ApiCaller, ApiError};
use domain::db::{now_ms, rfc3339};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_sessions::Session;
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use super::problem::{self, ApiProblem, Problem};
use super::request_meta;

/// Filters and paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only records written at or after this instant (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    pub since: Option<String>,
    /// Only records written before this instant (RFC 3339).
    pub until: Option<String>,
    /// Only this actor's records, exactly as recorded: an operator's email,
    /// an API key's label, `pinbridge` for pinbridge itself.
    pub actor: Option<String>,
    /// Only this action (`member.added`), or every action under a prefix
    /// ending in `.*` (`pinterest.*`).
    pub action: Option<String>,
    /// Only this environment's records (with a workspace key; an API key
    /// reads its own environment's, and another's id matches nothing).
    pub environment_id: Option<String>,
    /// Records per page, 1 to 500 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Who did it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogActor {
    /// The operator's id, when an operator did it (null for pinbridge
    /// itself, an API key, the command line).
    #[schema(format = "uuid")]
    pub operator_id: Option<String>,
    /// How the record names the actor: an operator's email, an API key's
    /// label, `pinbridge`, `cli`.
    pub label: String,
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogRecord {
    #[schema(format = "uuid")]
    pub id: String,
    /// Its place in its workspace's hash chain, from 1 (null only in a
    /// portal export, for a record written before the chain began and not
    /// chained yet).
    pub seq: Option<i64>,
    /// Its hash, over its fields and `prev_hash` (`pinbridge audit verify`
    /// checks the chain).
    pub hash: Option<String>,
    /// The hash of the record before it in the chain.
    pub prev_hash: Option<String>,
    /// What happened, e.g. `member.added`, `pinterest.secret_replaced`.
    pub action: String,
    pub actor: AuditLogActor,
    /// What was acted on, in words (an email, an environment's or key's name).
    pub target: String,
    /// What else pinbridge recorded, as a JSON object. Secrets never appear.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// The environment it happened in; null for the workspace's own records
    /// (members, sign-ins, branding).
    #[schema(format = "uuid")]
    pub environment_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl AuditLogRecord {
    pub fn of(row: &AuditEventRow) -> Self {
        Self {
            id: row.id.to_string(),
            seq: row.seq,
            hash: row.hash.clone(),
            prev_hash: row.prev_hash.clone(),
            action: row.action.as_str().to_owned(),
            actor: AuditLogActor {
                operator_id: row.actor_operator_id.as_ref().map(ToString::to_string),
                label: row.actor_label.clone(),
            },
            target: row.target.clone(),
            // Always an object: pinbridge stores one.
            detail: serde_json::from_str::<Value>(&row.detail)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::Object(serde_json::Map::new())),
            environment_id: row.environment_id.as_ref().map(ToString::to_string),
            ip: row.ip.clone(),
            user_agent: row.user_agent.clone(),
            created_at: rfc3339(row.created_at),
        }
    }
}

/// One page of the audit log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogPage {
    pub data: Vec<AuditLogRecord>,
    /// Pass as `cursor` to read on: after this page's last record (on an
    /// empty page, where the cursor given was). Keep the last one and ask
    /// again later for the records written since. Null only when nothing
    /// matched yet and no cursor was given.
    pub next_cursor: Option<String>,
    /// More records match already: ask again at once with `next_cursor`.
    pub has_more: bool,
}

/// Who reads the log: what the audit log's authentication layer found (a
/// workspace key's reader, or an API key's caller).
pub struct Reader(pub AuditReader);

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(reader) = parts.extensions.get::<AuditReader>() {
            return Ok(Self(reader.clone()));
        }
        parts
            .extensions
            .get::<ApiCaller>()
            .cloned()
            .map(|caller| Self(AuditReader::Environment(caller)))
            .ok_or_else(|| ApiProblem::new(&problem::INTERNAL, "No caller was authenticated."))
    }
}

/// List audit records
///
/// The audit log, oldest first in the order of the workspace's hash chain.
/// With an environment's API key (permission `audit:read`): that
/// environment's records. With a workspace key (`pinbridge_ws_…`, made by an
/// owner on the portal's Audit log page): every record of the workspace,
/// its own (members, sign-ins) included. Page with `cursor`; keep the last
/// `next_cursor` and ask with it later for what was written since: a record
/// that commits late never lands before one already read. Workspace keys may
/// make 600 requests a minute.
#[utoipa::path(
    get, path = "/audit-events", tag = "Audit log",
    params(AuditParams),
    responses(
        (status = 200, description = "One page, oldest first", body = AuditLogPage),
        (status = 400, description = "A parameter is unknown, repeated, too long or malformed: a bad instant, an unknown action, a limit out of range, a cursor pinbridge did not give out (`field` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks `audit:read`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("workspace_key" = []))
)]
pub async fn list_audit_events(
    State(services): State<Services>,
    Reader(reader): Reader,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<Json<AuditLogPage>, ApiProblem> {
    let params = FeedParams {
        since: q.since,
        until: q.until,
        actor: q.actor,
        action: q.action,
        environment_id: q.environment_id,
        limit: q.limit,
        cursor: q.cursor,
    };
    let page = audit_feed::read(&services, &reader, &params)
        .await
        .map_err(|e| match e {
            // Every input here is a query parameter: a bad one makes the
            // request malformed (400), named, as an unknown one does.
            ApiError::Invalid { field, message } => {
                ApiProblem::new(&problem::MALFORMED, message).field(field)
            }
            other => ApiProblem::from(other),
        })?;
    Ok(Json(AuditLogPage {
        data: page.events.iter().map(AuditLogRecord::of).collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}

/// What an export link carries: the Audit log page's filters, and the format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    format: Option<String>,
    environment: Option<String>,
    actor: Option<String>,
    action: Option<String>,
}

/// The header row of a CSV export, in the order of each record's cells.
const CSV_HEADER: [&str; 12] = [
    "id",
    "seq",
    "created_at",
    "environment",
    "actor",
    "action",
    "target",
    "detail",
    "ip",
    "user_agent",
    "hash",
    "prev_hash",
];

/// Downloads every record the Audit log page shows for the link's filters,
/// newest first as the page lists them, for any member who may read the page.
///
/// The log is read a page at a time as the download goes, so a large log
/// never sits in memory whole. It holds the log as it was when the export
/// began: the first page is read before the export is recorded
/// (`audit.exported`), and each later one starts below the last.
pub async fn export(
    State(services): State<Services>,
    session: Session,
    Path(ws): Path<String>,
    parts: Parts,
) -> Response {
    match start_export(services, &session, &ws, &parts).await {
        Ok(answer) | Err(answer) => answer,
    }
}

async fn start_export(
    services: Services,
    session: &Session,
    ws: &str,
    parts: &Parts,
) -> Result<Response, Response> {
    let params: ExportParams = serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
        .map_err(|e| {
            refusal(
                StatusCode::BAD_REQUEST,
                format!("This export link is not valid: {e}."),
            )
        })?;
    let format = match params.format.as_deref().filter(|f| !f.is_empty()) {
        None => ExportFormat::Csv,
        Some(text) => ExportFormat::parse(text).ok_or_else(|| {
            refusal(
                StatusCode::BAD_REQUEST,
                "Export as format=csv or format=jsonl.".into(),
            )
        })?,
    };
    let scope = app::functions::audit::export_scope(
        &services,
        session,
        ws,
        params.environment,
        params.actor,
        params.action,
    )
    .await
    .map_err(|e| {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        refusal(status, e.to_string())
    })?;
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let name = file_name(&scope.workspace_name, ws, extension);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    // A HEAD (a link checker, a prefetch) reads nothing and is no export.
    if parts.method == Method::HEAD {
        return Ok((headers, Body::empty()).into_response());
    }
    let filter = AuditFilter {
        limit: AUDIT_PAGE_MAX,
        after: None,
        ..scope.filter
    };
    let first = audit::list(&services.db, &scope.actor, &filter)
        .await
        .map_err(|e| failed(&e))?;
    audit_feed::record_export(
        &services.db,
        &scope.actor,
        format,
        &filter,
        &request_meta(parts),
    )
    .await
    .map_err(|e| failed(&e))?;
    let writer = ExportWriter {
        services,
        actor: scope.actor,
        filter,
        environments: scope.environments,
        format,
        first: Some(first),
        after: None,
        started: false,
        done: false,
    };
    let body = Body::from_stream(futures::stream::unfold(writer, ExportWriter::next_chunk));
    Ok((headers, body).into_response())
}

/// An export refused before its first byte: the status and what to do, as text.
fn refusal(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// An export that could not start: logged here, answered without internals.
fn failed(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "an audit log export could not start");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. It has been logged; please try again.".into(),
    )
}

/// `pinbridge-audit-<workspace>-<date>.<extension>`: the workspace's name in
/// lower-case letters, digits and dashes (its id when nothing is left), and
/// today's date (UTC).
fn file_name(workspace_name: &str, workspace_id: &str, extension: &str) -> String {
    let mut slug = String::new();
    for c in workspace_name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = match slug.trim_end_matches('-') {
        "" => workspace_id,
        slug => slug,
    };
    let now = rfc3339(now_ms());
    let date = now.get(..10).unwrap_or_default();
    format!("pinbridge-audit-{slug}-{date}.{extension}")
}

/// An export on its way out: the pages still to read, and how to write them.
struct ExportWriter {
    services: Services,
    actor: Actor,
    /// The page's filter, at the page size the log hands out at most.
    filter: AuditFilter,
    environments: Vec<EnvironmentRow>,
    format: ExportFormat,
    /// The page read before the export was recorded, written first.
    first: Option<AuditPage>,
    /// Where the next page starts.
    after: Option<AuditCursor>,
    started: bool,
    done: bool,
}

impl ExportWriter {
    /// The next piece of the file: one page of the log (the CSV header
    /// before the first), or `None` once the last page was written. A page
    /// that cannot be read ends the download with an error, so the file is
    /// seen to be cut short rather than taken for the whole log.
    async fn next_chunk(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        if self.done {
            return None;
        }
        let page = match self.first.take() {
            Some(page) => page,
            None => {
                let filter = AuditFilter {
                    after: self.after.clone(),
                    ..self.filter.clone()
                };
                match audit::list(&self.services.db, &self.actor, &filter).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::error!(error = %e, "an audit log export stopped: a page could not be read");
                        self.done = true;
                        return Some((
                            Err(std::io::Error::other("the audit log could not be read")),
                            self,
                        ));
                    }
                }
            }
        };
        let chunk = match self.write(&page.events) {
            Ok(chunk) => chunk,
            Err(e) => {
                tracing::error!(error = %e, "an audit log export stopped: a record could not be written");
                self.done = true;
                return Some((Err(std::io::Error::other(e)), self));
            }
        };
        self.after = page.next;
        self.done = self.after.is_none();
        Some((Ok(Bytes::from(chunk)), self))
    }

    fn write(&mut self, rows: &[AuditEventRow]) -> Result<Vec<u8>, serde_json::Error> {
        let mut out = Vec::new();
        let first = !self.started;
        self.started = true;
        match self.format {
            ExportFormat::Csv => {
                if first {
                    out.extend_from_slice(csv_line(&CSV_HEADER).as_bytes());
                }
                for row in rows {
                    out.extend_from_slice(csv_record(row, &self.environments).as_bytes());
                }
            }
            ExportFormat::JsonLines => {
                for row in rows {
                    serde_json::to_writer(&mut out, &AuditLogRecord::of(row))?;
                    out.push(b'\n');
                }
            }
        }
        Ok(out)
    }
}

/// One record as a CSV line: its environment by name (as the page shows it;
/// its id once it is deleted), its detail as the JSON object it is.
fn csv_record(row: &AuditEventRow, environments: &[EnvironmentRow]) -> String {
    let environment = row
        .environment_id
        .as_ref()
        .map(|id| {
            environments
                .iter()
                .find(|e| &e.id == id)
                .map_or_else(|| id.to_string(), |e| e.name.clone())
        })
        .unwrap_or_default();
    let seq = row.seq.map(|s| s.to_string()).unwrap_or_default();
    csv_line(&[
        row.id.as_str(),
        &seq,
        &rfc3339(row.created_at),
        &environment,
        &row.actor_label,
        row.action.as_str(),
        &row.target,
        &row.detail,
        row.ip.as_deref().unwrap_or_default(),
        row.user_agent.as_deref().unwrap_or_default(),
        row.hash.as_deref().unwrap_or_default(),
        row.prev_hash.as_deref().unwrap_or_default(),
    ])
}

/// One CSV line (RFC 4180): cells separated by commas, quoted when they hold
/// a comma, a quote or a line break (quotes doubled), ending in CRLF. A cell
/// a spreadsheet would run as a formula (beginning with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) is written with a leading `'`, so it shows as
/// the text it is: a target or user agent is whatever someone typed.
fn csv_line(cells: &[&str]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().copied().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let cell: Cow<'_, str> = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            Cow::Owned(format!("'{cell}"))
        } else {
            Cow::Borrowed(cell)
        };
        if cell.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_line(&["a", "b"]), "a,b\r\n");
        assert_eq!(
            csv_line(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(csv_line(&["line\nbreak"]), "\"line\nbreak\"\r\n");
        assert_eq!(
            csv_line(&["=1+1", "+2", "-3", "@SUM(A1)"]),
            "'=1+1,'+2,'-3,'@SUM(A1)\r\n"
        );
        assert_eq!(
            csv_line(&["=HYPERLINK(\"x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n"
        );
        assert_eq!(csv_line(&["", "x"]), ",x\r\n");
        assert_eq!(csv_line(&["{\"a\":1}"]), "\"{\"\"a\"\":1}\"\r\n");
    }

    #[test]
    fn file_names_are_plain() {
        let name = file_name("Acme Pins, Inc.", "ws-id", "csv");
        assert!(name.starts_with("pinbridge-audit-acme-pins-inc-"), "{name}");
        assert!(name.ends_with(".csv"), "{name}");
        assert_eq!(
            name.len(),
            "pinbridge-audit-acme-pins-inc-2026-12-07.csv".len()
        );
        let fallback = file_name("Ünïcödé", "0190-ab", "jsonl");
        assert!(fallback.starts_with("pinbridge-audit-n-c-d-"), "{fallback}");
        let only_symbols = file_name("***", "0190-ab", "jsonl");
        assert!(
            only_symbols.starts_with("pinbridge-audit-0190-ab-"),
            "{only_symbols}"
        );
    }
}
