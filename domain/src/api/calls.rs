//! What an application does with connections through the API: connect
//! sessions, the connection list and one connection, access tokens, checks and
//! disconnecting. Each checks the key's permission, and finds connections by
//! the key's workspace and environment only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{ApiCaller, ApiError, CallKind};
use crate::Services;
use crate::accounts::{ConnectionId, RequestMeta};
use crate::connections::health::ProbeReport;
use crate::connections::links::{self, CreatedLink, LinkInput};
use crate::connections::portal;
use crate::connections::tokens::{self, FreshToken};
use crate::db::repo::connections::{self as rows, ConnectionRow, PageQuery, ProbeRow};
use crate::db::repo::pinterest_settings;
use crate::pinterest::ScopeSet;
use crate::shared::{ApiPermission, Health};

pub const LIMIT_MAX: i64 = 100;
pub const LIMIT_DEFAULT: i64 = 25;
/// The longest validity a caller may ask an access token to have left.
pub const MIN_VALID_MAX_SECS: i64 = 24 * 3600;

/// The connection of the caller's environment with this id (of the key's end
/// user only, for a key bound to one: another's is simply not found).
pub async fn find(
    services: &Services,
    caller: &ApiCaller,
    id: &str,
) -> Result<ConnectionRow, ApiError> {
    let id =
        ConnectionId::parse(id).ok_or_else(|| ApiError::NotAnId(id.chars().take(64).collect()))?;
    rows::find(&services.db, &caller.workspace_id, &id)
        .await?
        .filter(|row| row.environment_id == caller.environment_id && caller.may_reach(row))
        .ok_or(ApiError::NotFound)
}

pub async fn create_connect_session(
    services: &Services,
    caller: &ApiCaller,
    input: LinkInput,
    meta: &RequestMeta,
) -> Result<CreatedLink, ApiError> {
    caller.require(ApiPermission::Connect)?;
    if let Some(bound) = &caller.end_user_id
        && bound != &input.end_user_id
    {
        return Err(ApiError::invalid(
            "end_user_id",
            "This API key acts for one end user only: end_user_id must be that end user's id.",
        ));
    }
    Ok(links::create_as(
        &services.db,
        &caller.workspace_id,
        &caller.environment_id,
        input,
        &services.config.public_url,
        caller.audit_actor(),
        meta,
    )
    .await?)
}

/// An opaque position in the connection list.
pub fn encode_cursor(row: &ConnectionRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", row.created_at, row.id))
}

pub fn decode_cursor(text: &str) -> Result<(i64, ConnectionId), ApiError> {
    let bad = || {
        ApiError::invalid(
            "cursor",
            "This cursor is not one pinbridge gave out: pass `next_cursor` from the previous page unchanged.",
        )
    };
    if text.len() > 200 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    let id = ConnectionId::parse(id).ok_or_else(bad)?;
    Ok((at, id))
}

pub struct ListFilter {
    pub end_user_id: Option<String>,
    pub state: Option<Health>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub struct Page {
    pub rows: Vec<ConnectionRow>,
    pub next_cursor: Option<String>,
    /// The scopes the environment requires now.
    pub required: ScopeSet,
}

pub async fn list(
    services: &Services,
    caller: &ApiCaller,
    filter: ListFilter,
) -> Result<Page, ApiError> {
    caller.require(ApiPermission::ConnectionsRead)?;
    page_for(services, caller, filter).await
}

/// One page of the connections the key may reach, whatever its permissions
/// (the caller checked them).
pub(crate) async fn page_for(
    services: &Services,
    caller: &ApiCaller,
    filter: ListFilter,
) -> Result<Page, ApiError> {
    let limit = filter.limit.unwrap_or(LIMIT_DEFAULT);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be from 1 to {LIMIT_MAX}."),
        ));
    }
    if let Some(e) = &filter.end_user_id
        && (e.is_empty() || e.chars().count() > links::END_USER_MAX)
    {
        return Err(ApiError::invalid(
            "end_user_id",
            format!(
                "end_user_id must be 1 to {} characters.",
                links::END_USER_MAX
            ),
        ));
    }
    let end_user_id = match (&caller.end_user_id, filter.end_user_id) {
        (None, asked) => asked,
        (Some(bound), None) => Some(bound.clone()),
        (Some(bound), Some(asked)) if *bound == asked => Some(asked),
        // Another end user's connections: none this key can see.
        (Some(_), Some(_)) => {
            return Ok(Page {
                rows: Vec::new(),
                next_cursor: None,
                required: ScopeSet::from_stored(""),
            });
        }
    };
    let after = filter.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut rows = rows::page(
        &services.db,
        &caller.workspace_id,
        &caller.environment_id,
        &PageQuery {
            end_user_id,
            health: filter.state,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(encode_cursor)
    } else {
        None
    };
    let required = match rows.first() {
        Some(row) => required_scopes(services, row).await?,
        None => ScopeSet::from_stored(""),
    };
    Ok(Page {
        rows,
        next_cursor,
        required,
    })
}

/// One connection with its latest probe and the scopes required now.
pub struct Detail {
    pub row: ConnectionRow,
    pub last_probe: Option<ProbeRow>,
    pub required: ScopeSet,
}

pub async fn detail(services: &Services, caller: &ApiCaller, id: &str) -> Result<Detail, ApiError> {
    caller.require(ApiPermission::ConnectionsRead)?;
    let row = find(services, caller, id).await?;
    let last_probe = rows::recent_probes(&services.db, &caller.workspace_id, &row.id, 1)
        .await?
        .into_iter()
        .next();
    let required = required_scopes(services, &row).await?;
    Ok(Detail {
        row,
        last_probe,
        required,
    })
}

async fn required_scopes(services: &Services, row: &ConnectionRow) -> Result<ScopeSet, ApiError> {
    Ok(
        pinterest_settings::find(&services.db, &row.workspace_id, &row.environment_id)
            .await?
            .map_or_else(
                || ScopeSet::from_stored(&row.scopes_required),
                |s| ScopeSet::from_stored(&s.scopes),
            ),
    )
}

/// A token valid for at least `min_valid_secs` (default five minutes),
/// refreshed first when needed: one refresh between any number of callers.
pub async fn access_token(
    services: &Services,
    caller: &ApiCaller,
    id: &str,
    min_valid_secs: Option<i64>,
) -> Result<FreshToken, ApiError> {
    caller.require(ApiPermission::Tokens)?;
    let min_valid_ms = match min_valid_secs {
        None => tokens::MIN_VALIDITY_MS,
        Some(s) if (0..=MIN_VALID_MAX_SECS).contains(&s) => s * 1000,
        Some(_) => {
            return Err(ApiError::invalid(
                "min_valid_secs",
                format!("min_valid_secs must be from 0 to {MIN_VALID_MAX_SECS} (a day)."),
            ));
        }
    };
    let row = find(services, caller, id).await?;
    let id = row.id.clone();
    let fresh = tokens::fresh_token_of(services, &id, min_valid_ms, Some(row)).await??;
    services
        .api
        .count_call(&id, &caller.key_id, CallKind::Token);
    Ok(fresh)
}

pub async fn check(
    services: &Services,
    caller: &ApiCaller,
    id: &str,
) -> Result<(Option<ProbeReport>, Detail), ApiError> {
    caller.require(ApiPermission::ConnectionsWrite)?;
    let row = find(services, caller, id).await?;
    let report = portal::check_row(services, &row).await?;
    let after = find(services, caller, id).await?;
    let last_probe = rows::recent_probes(&services.db, &caller.workspace_id, &after.id, 1)
        .await?
        .into_iter()
        .next();
    let required = required_scopes(services, &after).await?;
    Ok((
        report,
        Detail {
            row: after,
            last_probe,
            required,
        },
    ))
}

pub async fn disconnect(
    services: &Services,
    caller: &ApiCaller,
    id: &str,
    meta: &RequestMeta,
) -> Result<ConnectionRow, ApiError> {
    caller.require(ApiPermission::ConnectionsWrite)?;
    let row = find(services, caller, id).await?;
    portal::disconnect_row(&services.db, &row, caller.audit_actor(), meta).await?;
    find(services, caller, id).await
}
