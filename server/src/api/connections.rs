//! `/v1/connect-sessions` and `/v1/connections…`: thin handlers that parse,
//! call one domain operation for the authenticated key, and map the result.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Services;
use domain::api::calls::{self, ListFilter};
use domain::connections::links::LinkInput;
use domain::db::now_ms;

use super::extract::{ApiJson, ApiQuery, Caller, OptionalJson};
use super::models::{
    AccessToken, AccessTokenRequest, Account, CheckResult, ConnectSession, Connection,
    ConnectionList, ListParams, NewConnectSession, rfc3339,
};
use super::problem::{ApiProblem, Problem};
use super::request_meta;

/// Create a connect session
///
/// A link for one end user to connect their Pinterest account. Hand them its
/// `url`; after Pinterest they return to `return_url` (with
/// `status=connected&connection_id=…`) or see pinbridge's result page.
#[utoipa::path(
    post, path = "/connect-sessions", tag = "Connect",
    request_body = NewConnectSession,
    responses(
        (status = 201, description = "Created", body = ConnectSession),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `connect`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Pinterest not configured or disabled", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not acceptable", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create_connect_session(
    State(services): State<Services>,
    Caller(caller): Caller,
    parts: axum::http::request::Parts,
    ApiJson(body): ApiJson<NewConnectSession>,
) -> Result<impl IntoResponse, ApiProblem> {
    let input = LinkInput::parse(
        &body.end_user_id,
        body.display_name.as_deref().unwrap_or(""),
        body.return_url.as_deref().unwrap_or(""),
    )
    .map_err(domain::api::ApiError::from)?;
    let link =
        calls::create_connect_session(&services, &caller, input, &request_meta(&parts)).await?;
    Ok((
        StatusCode::CREATED,
        Json(ConnectSession {
            url: link.url,
            expires_at: rfc3339(link.expires_at),
            end_user_id: link.end_user_id,
        }),
    ))
}

/// List connections
///
/// The environment's connections, newest first, a page at a time.
#[utoipa::path(
    get, path = "/connections", tag = "Connections",
    params(ListParams),
    responses(
        (status = 200, description = "One page", body = ConnectionList),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `connections:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad limit, cursor or end_user_id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn list_connections(
    State(services): State<Services>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<ConnectionList>, ApiProblem> {
    let page = calls::list(
        &services,
        &caller,
        ListFilter {
            end_user_id: q.end_user_id,
            state: q.state.map(Into::into),
            cursor: q.cursor,
            limit: q.limit,
        },
    )
    .await?;
    Ok(Json(ConnectionList {
        data: page
            .rows
            .iter()
            .map(|row| Connection::of(row, &page.required, None))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Get a connection
///
/// Its state and why, the Pinterest account, scopes granted and required,
/// token expiries (never tokens) and the latest probe.
#[utoipa::path(
    get, path = "/connections/{id}", tag = "Connections",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    responses(
        (status = 200, description = "The connection", body = Connection),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `connections:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in the key's environment", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn get_connection(
    State(services): State<Services>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Connection>, ApiProblem> {
    let detail = calls::detail(&services, &caller, &id).await?;
    Ok(Json(Connection::of_detail(&detail)))
}

/// Get a fresh access token
///
/// The connection's Pinterest access token, valid for at least
/// `min_valid_secs`. It is refreshed first when it would expire sooner; any
/// number of concurrent callers cause one refresh. When the end user must
/// connect again the answer is 409 `reconnect-required`.
#[utoipa::path(
    post, path = "/connections/{id}/access-token", tag = "Tokens",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    request_body(content = Option<AccessTokenRequest>, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "A token", body = AccessToken),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `tokens`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in the key's environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The end user must connect again", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "min_valid_secs out of range", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Pinterest unavailable and the token expires soon", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn access_token(
    State(services): State<Services>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<AccessTokenRequest>,
) -> Result<Json<AccessToken>, ApiProblem> {
    let min = body.unwrap_or_default().min_valid_secs;
    let fresh = calls::access_token(&services, &caller, &id, min).await?;
    let expires = fresh.row.access_expires_at.unwrap_or_default();
    let scopes = domain::pinterest::ScopeSet::from_granted(&fresh.row.scopes_granted);
    Ok(Json(AccessToken {
        access_token: fresh.token.expose().to_owned(),
        token_type: "bearer".into(),
        expires_at: rfc3339(expires),
        expires_in: ((expires - now_ms()) / 1000).max(0),
        scopes: scopes.names().map(str::to_owned).collect(),
        account: Account {
            id: fresh.row.account_id.clone(),
            username: fresh.row.account_username.clone(),
            account_type: fresh.row.account_type.clone(),
        },
        connection_id: fresh.row.id.to_string(),
    }))
}

/// Check a connection now
///
/// Probes Pinterest with the connection's token (`GET /v5/user_account`) and
/// records the result in its history.
#[utoipa::path(
    post, path = "/connections/{id}/check", tag = "Connections",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    responses(
        (status = 200, description = "The probe's result", body = CheckResult),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `connections:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in the key's environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Disconnected: nothing to check", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn check(
    State(services): State<Services>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<CheckResult>, ApiProblem> {
    let (report, detail) = calls::check(&services, &caller, &id).await?;
    Ok(Json(CheckResult {
        ran: report.is_some(),
        outcome: report.map(|r| r.outcome.as_str().to_owned()),
        connection: Connection::of_detail(&detail),
    }))
}

/// Disconnect a connection
///
/// Deletes pinbridge's copy of its tokens and marks it revoked, as in the
/// portal. The end user can connect again later (same id).
#[utoipa::path(
    delete, path = "/connections/{id}", tag = "Connections",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    responses(
        (status = 200, description = "Disconnected", body = Connection),
        (status = 401, description = "Missing or unusable key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `connections:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in the key's environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already disconnected", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn disconnect(
    State(services): State<Services>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Json<Connection>, ApiProblem> {
    let row = calls::disconnect(&services, &caller, &id, &request_meta(&parts)).await?;
    let required = domain::pinterest::ScopeSet::from_stored(&row.scopes_required);
    Ok(Json(Connection::of(&row, &required, None)))
}
