//! Each Pinterest tool: its arguments checked, one call to Pinterest as the
//! connection (through the proxy's client: fresh token, one refresh and retry
//! on a 401), and Pinterest's answer made compact, or its error made plain.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::error::{connect_offer, from_api};
use super::input::*;
use super::output::{self, Account, Board, BoardPage, Deleted, Pin, PinPage};
use super::{Tool, ToolError, parse};
use crate::Services;
use crate::accounts::RequestMeta;
use crate::api::proxy::{self, Answer, ProxyRequest};
use crate::api::{ApiCaller, ApiError};
use crate::db::repo::connections::ConnectionRow;
use crate::db::repo::pinterest_settings;
use crate::pinterest::ScopeSet;
use crate::shared::ToolOutcome;

/// Pinterest's answers read at most (a page of 250 pins is far less).
const ANSWER_MAX: usize = 8 * 1024 * 1024;

/// A call to make: method, path after `/v5/`, query pairs, JSON body.
struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl Call {
    fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn with(method: Method, path: String, body: Value) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }

    fn query(mut self, name: &'static str, value: Option<String>) -> Self {
        if let Some(v) = value {
            self.query.push((name, v));
        }
        self
    }
}

/// Pinterest's ids are digits.
fn id(field: &str, value: &str) -> Result<String, ToolError> {
    if !value.is_empty() && value.len() <= 30 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(ToolError::invalid(format!(
            "{field} must be a Pinterest id: digits only, e.g. 549755885175 (got \u{201c}{}\u{201d}).",
            value.chars().take(40).collect::<String>()
        )))
    }
}

fn web_url(field: &str, value: &str) -> Result<(), ToolError> {
    let ok = value.len() <= 2048
        && url::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} must be an http or https URL of at most 2048 characters."
        )))
    }
}

fn bookmark(value: Option<String>) -> Result<Option<String>, ToolError> {
    match value {
        Some(b) if b.len() > 2048 => Err(ToolError::invalid(
            "bookmark is too long: pass the bookmark of the previous page unchanged.",
        )),
        other => Ok(other.filter(|b| !b.is_empty())),
    }
}

fn page_size(value: Option<u32>) -> Result<Option<String>, ToolError> {
    match value {
        Some(n) if !(1..=250).contains(&n) => {
            Err(ToolError::invalid("page_size must be from 1 to 250."))
        }
        other => Ok(other.map(|n| n.to_string())),
    }
}

/// Inserts the fields that are set.
fn fields(pairs: [(&str, Option<Value>); 6]) -> Value {
    let mut map = Map::new();
    for (name, value) in pairs {
        if let Some(v) = value {
            map.insert(name.to_owned(), v);
        }
    }
    Value::Object(map)
}

fn text(value: Option<String>) -> Option<Value> {
    value.map(Value::from)
}

/// The Pinterest call a tool makes, from its arguments.
fn plan(tool: Tool, arguments: Map<String, Value>) -> Result<Call, ToolError> {
    Ok(match tool {
        Tool::ListConnections => unreachable_list(),
        Tool::GetUserAccount => {
            let _: NoArgs = parse(tool, arguments)?;
            Call::get("user_account".into())
        }
        Tool::ListBoards => {
            let a: ListBoardsArgs = parse(tool, arguments)?;
            Call::get("boards".into())
                .query("page_size", page_size(a.page_size)?)
                .query("bookmark", bookmark(a.bookmark)?)
        }
        Tool::GetBoard => {
            let a: BoardArgs = parse(tool, arguments)?;
            Call::get(format!("boards/{}", id("board_id", &a.board_id)?))
        }
        Tool::DeleteBoard => {
            let a: BoardArgs = parse(tool, arguments)?;
            Call {
                method: Method::DELETE,
                ..Call::get(format!("boards/{}", id("board_id", &a.board_id)?))
            }
        }
        Tool::CreateBoard => {
            let a: CreateBoardArgs = parse(tool, arguments)?;
            if a.name.trim().is_empty() {
                return Err(ToolError::invalid("name must not be empty."));
            }
            Call::with(
                Method::POST,
                "boards".into(),
                fields([
                    ("name", Some(a.name.into())),
                    ("description", text(a.description)),
                    ("privacy", a.privacy.map(|p| json!(p))),
                    ("", None),
                    ("", None),
                    ("", None),
                ]),
            )
        }
        Tool::UpdateBoard => {
            let a: UpdateBoardArgs = parse(tool, arguments)?;
            let path = format!("boards/{}", id("board_id", &a.board_id)?);
            if a.name.is_none() && a.description.is_none() && a.privacy.is_none() {
                return Err(ToolError::invalid(
                    "Nothing to change: pass name, description or privacy.",
                ));
            }
            Call::with(
                Method::PATCH,
                path,
                fields([
                    ("name", text(a.name)),
                    ("description", text(a.description)),
                    ("privacy", a.privacy.map(|p| json!(p))),
                    ("", None),
                    ("", None),
                    ("", None),
                ]),
            )
        }
        Tool::ListBoardPins => {
            let a: ListBoardPinsArgs = parse(tool, arguments)?;
            Call::get(format!("boards/{}/pins", id("board_id", &a.board_id)?))
                .query("page_size", page_size(a.page_size)?)
                .query("bookmark", bookmark(a.bookmark)?)
        }
        Tool::GetPin => {
            let a: PinArgs = parse(tool, arguments)?;
            Call::get(format!("pins/{}", id("pin_id", &a.pin_id)?))
        }
        Tool::DeletePin => {
            let a: PinArgs = parse(tool, arguments)?;
            Call {
                method: Method::DELETE,
                ..Call::get(format!("pins/{}", id("pin_id", &a.pin_id)?))
            }
        }
        Tool::CreatePin => {
            let a: CreatePinArgs = parse(tool, arguments)?;
            let board = id("board_id", &a.board_id)?;
            web_url("image_url", &a.image_url)?;
            if let Some(link) = &a.link {
                web_url("link", link)?;
            }
            Call::with(
                Method::POST,
                "pins".into(),
                fields([
                    ("board_id", Some(board.into())),
                    (
                        "media_source",
                        Some(json!({"source_type": "image_url", "url": a.image_url})),
                    ),
                    ("title", text(a.title)),
                    ("description", text(a.description)),
                    ("link", text(a.link)),
                    ("alt_text", text(a.alt_text)),
                ]),
            )
        }
        Tool::UpdatePin => {
            let a: UpdatePinArgs = parse(tool, arguments)?;
            let path = format!("pins/{}", id("pin_id", &a.pin_id)?);
            if let Some(link) = &a.link {
                web_url("link", link)?;
            }
            let board = a
                .board_id
                .as_deref()
                .map(|b| id("board_id", b))
                .transpose()?;
            let body = fields([
                ("title", text(a.title)),
                ("description", text(a.description)),
                ("link", text(a.link)),
                ("alt_text", text(a.alt_text)),
                ("board_id", text(board)),
                ("", None),
            ]);
            if body.as_object().is_some_and(Map::is_empty) {
                return Err(ToolError::invalid(
                    "Nothing to change: pass title, description, link, alt_text or board_id.",
                ));
            }
            Call::with(Method::PATCH, path, body)
        }
        Tool::SearchPins => {
            let a: SearchPinsArgs = parse(tool, arguments)?;
            let query = a.query.trim().to_owned();
            if query.is_empty() || query.chars().count() > 200 {
                return Err(ToolError::invalid("query must be 1 to 200 characters."));
            }
            Call::get("search/pins".into())
                .query("query", Some(query))
                .query("bookmark", bookmark(a.bookmark)?)
        }
    })
}

fn unreachable_list() -> Call {
    // `list_connections` is answered by `target`, never planned.
    Call::get("user_account".into())
}

/// Pinterest's answer, made compact.
fn shape(tool: Tool, call: &Call, body: &Value) -> Value {
    match tool {
        Tool::GetUserAccount => json!(Account::of(body)),
        Tool::GetBoard | Tool::CreateBoard | Tool::UpdateBoard => json!(Board::of(body)),
        Tool::GetPin | Tool::CreatePin | Tool::UpdatePin => json!(Pin::of(body)),
        Tool::ListBoards => {
            let (items, bookmark) = output::page(body);
            json!(BoardPage {
                boards: items.iter().map(Board::of).collect(),
                bookmark,
            })
        }
        Tool::ListBoardPins | Tool::SearchPins => {
            let (items, bookmark) = output::page(body);
            json!(PinPage {
                pins: items.iter().map(Pin::of).collect(),
                bookmark,
            })
        }
        Tool::DeleteBoard | Tool::DeletePin => json!(Deleted {
            deleted: true,
            id: call.path.rsplit('/').next().unwrap_or_default().to_owned(),
        }),
        Tool::ListConnections => Value::Null,
    }
}

pub(super) async fn run(
    services: &Services,
    caller: &ApiCaller,
    tool: Tool,
    row: ConnectionRow,
    arguments: Map<String, Value>,
    meta: &RequestMeta,
) -> Result<Value, ToolError> {
    let call = plan(tool, arguments)?;
    let query = (!call.query.is_empty()).then(|| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())))
            .finish()
    });
    let url = proxy::url_for(services, &row, &call.path, query.as_deref())
        .await
        .map_err(from_api)?;
    let request = ProxyRequest {
        method: call.method.clone(),
        path: call.path.clone(),
        query,
        headers: vec![
            ("accept".into(), b"application/json".to_vec()),
            ("content-type".into(), b"application/json".to_vec()),
        ],
        body: call
            .body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default(),
    };
    let end_user = row.end_user_id.clone();
    let granted = row.scopes_granted.clone();
    let environment = (row.workspace_id.clone(), row.environment_id.clone());
    let answer = match proxy::send_as(services, row, &request, &url).await {
        Ok(answer) => answer,
        Err(ApiError::Reconnect { reason, .. }) => {
            let mut message = format!(
                "The end user \u{201c}{end_user}\u{201d} must reconnect Pinterest before tools can act for them: {reason}"
            );
            message.push_str(&connect_offer(services, caller, &end_user, meta).await);
            return Err(ToolError::new(ToolOutcome::Reconnect, message));
        }
        Err(e) => return Err(from_api(e)),
    };
    let (status, headers, body) = match answer {
        Answer::Read {
            status,
            headers,
            body,
        } => (status, headers, body),
        Answer::Streaming(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = read(response).await?;
            (status, headers, body)
        }
    };
    let json: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    if (200..300).contains(&status) {
        return Ok(shape(tool, &call, &json));
    }
    let said = json
        .get("message")
        .and_then(Value::as_str)
        .map(|m| m.chars().take(300).collect::<String>())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code = json.get("code").and_then(Value::as_i64);
    Err(match status {
        401 if code == Some(3) => {
            missing_scope(
                services,
                caller,
                tool,
                &granted,
                &environment,
                &end_user,
                meta,
            )
            .await
        }
        401 => {
            let mut message = format!(
                "Pinterest no longer accepts this connection's authorization, even after refreshing it: the end user \u{201c}{end_user}\u{201d} must reconnect."
            );
            message.push_str(&connect_offer(services, caller, &end_user, meta).await);
            ToolError::new(ToolOutcome::Reconnect, message)
        }
        404 => ToolError::new(
            ToolOutcome::NotFound,
            format!(
                "Pinterest found no such {} on this account (Pinterest said: {said}). Check the id: list_boards, list_board_pins and search_pins give ids.",
                noun(tool, &call)
            ),
        ),
        429 => {
            let after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            ToolError::new(
                ToolOutcome::RateLimited,
                match after {
                    Some(secs) => format!(
                        "Pinterest's rate limit for this account was reached. Retry after {secs} seconds."
                    ),
                    None => "Pinterest's rate limit for this account was reached. Wait about a minute, then retry, backing off if it happens again.".into(),
                },
            )
        }
        400 | 409 | 422 => {
            ToolError::invalid(format!("Pinterest refused the request as invalid: {said}"))
        }
        500.. => ToolError::new(
            ToolOutcome::Unavailable,
            format!("Pinterest had a problem (HTTP {status}): try again in a moment."),
        ),
        _ => ToolError::new(
            ToolOutcome::Refused,
            format!("Pinterest refused the request (HTTP {status}): {said}"),
        ),
    })
}

fn noun(tool: Tool, call: &Call) -> &'static str {
    match tool {
        Tool::GetBoard | Tool::UpdateBoard | Tool::DeleteBoard | Tool::ListBoardPins => "board",
        Tool::CreatePin if call.path == "pins" => "board to pin to",
        Tool::UpdatePin
            if call
                .body
                .as_ref()
                .is_some_and(|b| b.get("board_id").is_some()) =>
        {
            "pin or board"
        }
        _ => "pin",
    }
}

async fn read(mut response: reqwest::Response) -> Result<Vec<u8>, ToolError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| from_api(proxy::upstream_error(&e)))?
    {
        if body.len() + chunk.len() > ANSWER_MAX {
            return Err(ToolError::new(
                ToolOutcome::Unavailable,
                "Pinterest's answer was too large to pass on; ask for a smaller page (page_size).",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn missing_scope(
    services: &Services,
    caller: &ApiCaller,
    tool: Tool,
    granted: &str,
    (workspace, environment): &(crate::accounts::WorkspaceId, crate::accounts::EnvironmentId),
    end_user: &str,
    meta: &RequestMeta,
) -> ToolError {
    let granted = ScopeSet::from_stored(granted);
    let granted: Vec<&str> = granted.names().collect();
    let mut missing: Vec<String> = tool
        .scopes()
        .iter()
        .filter(|s| !granted.contains(s))
        .map(|s| (*s).to_owned())
        .collect();
    let mut secret = false;
    if missing.is_empty() {
        // Every scope the tool always needs is granted: what is missing is
        // the secret variant (a SECRET board, or a pin on one).
        missing = tool
            .scopes()
            .iter()
            .map(|s| format!("{s}_secret"))
            .filter(|s| !granted.contains(&s.as_str()))
            .collect();
        secret = !missing.is_empty();
    }
    if missing.is_empty() {
        missing = tool.scopes().iter().map(|s| (*s).to_owned()).collect();
    }
    let list = missing.join(", ");
    let asked = pinterest_settings::find(&services.db, workspace, environment)
        .await
        .ok()
        .flatten()
        .map(|s| ScopeSet::from_stored(&s.scopes));
    let environment_asks = asked.is_some_and(|asked| {
        let names: Vec<&str> = asked.names().collect();
        missing.iter().all(|m| names.contains(&m.as_str()))
    });
    let mut message = format!(
        "This connection's Pinterest authorization lacks the scope {list}, which {} needs{}. ",
        tool.name(),
        if secret {
            " for secret boards and their pins"
        } else {
            ""
        }
    );
    if environment_asks {
        message.push_str(&format!(
            "The environment already asks for it: the end user \u{201c}{end_user}\u{201d} must reconnect to grant it."
        ));
    } else {
        message.push_str(&format!(
            "The operator must add {list} to the environment's scopes in pinbridge (Integrations \u{2192} Pinterest), then the end user \u{201c}{end_user}\u{201d} must reconnect."
        ));
    }
    message.push_str(&connect_offer(services, caller, end_user, meta).await);
    ToolError::new(ToolOutcome::MissingScope, message)
}
