//! Which connection a tool call acts for, and `list_connections`.

use serde_json::{Map, Value};

use super::Tool;
use super::error::{ToolError, connect_offer, from_api};
use super::input::{ConnectionState, ListConnectionsArgs, TargetArgs};
use super::output::{Connection, ConnectionList};
use crate::Services;
use crate::accounts::RequestMeta;
use crate::api::calls::{self, ListFilter};
use crate::api::{ApiCaller, ApiError};
use crate::connections::links;
use crate::db::repo::connections::ConnectionRow;
use crate::shared::{Health, ToolOutcome};

const LIST_DEFAULT: i64 = 50;

/// Takes `connection_id` and `end_user_id` out of the arguments.
pub(super) fn take(arguments: &mut Map<String, Value>) -> Result<TargetArgs, ToolError> {
    let mut target = Map::new();
    for field in ["connection_id", "end_user_id"] {
        if let Some(v) = arguments.remove(field).filter(|v| !v.is_null()) {
            target.insert(field.to_owned(), v);
        }
    }
    serde_json::from_value(Value::Object(target)).map_err(|e| {
        ToolError::invalid(format!(
            "connection_id and end_user_id must be strings: {e}."
        ))
    })
}

fn not_bound_to(caller: &ApiCaller) -> String {
    caller
        .end_user_id
        .as_ref()
        .map_or_else(String::new, |bound| {
            format!(" This key acts for end user \u{201c}{bound}\u{201d} only.")
        })
}

/// The connection the call acts for.
pub(super) async fn resolve(
    services: &Services,
    caller: &ApiCaller,
    target: TargetArgs,
    meta: &RequestMeta,
) -> Result<ConnectionRow, ToolError> {
    match (target.connection_id, target.end_user_id) {
        (Some(_), Some(_)) => Err(ToolError::invalid(
            "Pass either connection_id or end_user_id, not both: they could name different accounts.",
        )),
        (Some(id), None) => match calls::find(services, caller, &id).await {
            Ok(row) => Ok(row),
            Err(ApiError::NotAnId(_)) => Err(ToolError::invalid(format!(
                "\u{201c}{}\u{201d} is not a connection id: connection ids are UUIDs, as connection_id in list_connections.",
                id.chars().take(64).collect::<String>()
            ))),
            Err(ApiError::NotFound) => Err(ToolError::new(
                ToolOutcome::NotFound,
                format!(
                    "No connection {id} that this key may use in this environment: list_connections shows the ones it may use.{}",
                    not_bound_to(caller)
                ),
            )),
            Err(e) => Err(from_api(e)),
        },
        (None, asked) => {
            let end_user = match (&caller.end_user_id, asked) {
                (Some(bound), Some(asked)) if *bound != asked => {
                    return Err(ToolError::new(
                        ToolOutcome::NotFound,
                        format!(
                            "This key acts for end user \u{201c}{bound}\u{201d} only: it cannot act for \u{201c}{}\u{201d}. Leave end_user_id out.",
                            asked.chars().take(200).collect::<String>()
                        ),
                    ));
                }
                (Some(bound), _) => bound.clone(),
                (None, Some(asked)) => asked,
                (None, None) => {
                    return Err(ToolError::invalid(
                        "Say whose Pinterest account to act for: pass connection_id (from list_connections) or end_user_id (your product's id for the person).",
                    ));
                }
            };
            by_end_user(services, caller, &end_user, meta).await
        }
    }
}

async fn by_end_user(
    services: &Services,
    caller: &ApiCaller,
    end_user: &str,
    meta: &RequestMeta,
) -> Result<ConnectionRow, ToolError> {
    if end_user.is_empty() || end_user.chars().count() > links::END_USER_MAX {
        return Err(ToolError::invalid(format!(
            "end_user_id must be 1 to {} characters.",
            links::END_USER_MAX
        )));
    }
    let page = calls::page_for(
        services,
        caller,
        ListFilter {
            end_user_id: Some(end_user.to_owned()),
            state: None,
            cursor: None,
            limit: Some(1),
        },
    )
    .await
    .map_err(from_api)?;
    if let Some(row) = page.rows.into_iter().next() {
        return Ok(row);
    }
    let mut message = format!(
        "End user \u{201c}{end_user}\u{201d} has not connected Pinterest in this environment."
    );
    message.push_str(&connect_offer(services, caller, end_user, meta).await);
    Err(ToolError::new(ToolOutcome::NotFound, message))
}

pub(super) async fn list_connections(
    services: &Services,
    caller: &ApiCaller,
    arguments: Map<String, Value>,
) -> Result<Value, ToolError> {
    let args: ListConnectionsArgs = super::parse(Tool::ListConnections, arguments)?;
    let state = args.state.map(|s| match s {
        ConnectionState::Active => Health::Active,
        ConnectionState::Degraded => Health::Degraded,
        ConnectionState::NeedsReauth => Health::NeedsReauth,
        ConnectionState::InsufficientScope => Health::InsufficientScope,
        ConnectionState::Revoked => Health::Revoked,
    });
    let page = calls::page_for(
        services,
        caller,
        ListFilter {
            end_user_id: args.end_user_id,
            state,
            cursor: args.cursor,
            limit: Some(args.limit.unwrap_or(LIST_DEFAULT)),
        },
    )
    .await
    .map_err(|e| match e {
        ApiError::Invalid { message, .. } => ToolError::invalid(message),
        e => from_api(e),
    })?;
    let list = ConnectionList {
        connections: page
            .rows
            .into_iter()
            .map(|row| Connection {
                connection_id: row.id.to_string(),
                end_user_id: row.end_user_id,
                display_name: row.display_name,
                pinterest_username: row.account_username,
                state: row.health.as_str().to_owned(),
                state_reason: Some(row.health_reason).filter(|r| !r.is_empty()),
                usable: row.health.usable(),
                scopes: row
                    .scopes_granted
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
            .collect(),
        next_cursor: page.next_cursor,
    };
    Ok(serde_json::to_value(list).unwrap_or(Value::Null))
}
