//! The admin API under `/_sim/`: JSON in and out, errors Pinterest-shaped.
//! Every handler is a thin call into [`SimState`]; `pinterest-sim --help` lists them.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::api::input::json_body;
use super::config::{AppSpec, BoardSpec, ConsentSetting, UserSpec};
use super::errors::ApiError;
use super::faults::FaultSet;
use super::query::QueryParams;
use super::state::{MintRequest, RevokeRequest, SimState};

pub fn routes() -> Router<SimState> {
    Router::new()
        .route("/_sim/health", get(health))
        .route("/_sim/state", get(state_view))
        .route("/_sim/apps", get(list_apps).post(register_app))
        .route(
            "/_sim/apps/{client_id}/faults",
            put(set_app_faults).delete(clear_app_faults),
        )
        .route("/_sim/users", post(create_user))
        .route("/_sim/users/{username}", get(get_user))
        .route("/_sim/users/{username}/boards", post(add_boards))
        .route("/_sim/tokens", post(mint_tokens))
        .route("/_sim/tokens/revoke", post(revoke))
        .route("/_sim/tokens/expire", post(expire))
        .route(
            "/_sim/faults",
            get(get_faults).put(set_faults).delete(clear_faults),
        )
        .route("/_sim/consent", get(get_consent).put(set_consent))
        .route("/_sim/requests", get(requests).delete(clear_requests))
}

fn path_text(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|_| ApiError::invalid_parameters("invalid path parameter"))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn state_view(State(state): State<SimState>) -> Response {
    Json(state.view()).into_response()
}

async fn list_apps(State(state): State<SimState>) -> Response {
    Json(json!({"items": state.apps()})).into_response()
}

async fn register_app(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let spec: AppSpec = json_body(&headers, &body)?;
    let app = state.register_app(spec)?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

async fn create_user(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let spec: UserSpec = json_body(&headers, &body)?;
    let user = state.create_user(spec)?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn get_user(
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let username = path_text(path)?;
    let user = state
        .user(&username)
        .ok_or_else(|| ApiError::with_status_code(StatusCode::NOT_FOUND, "User not found."))?;
    Ok(Json(user).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBoards {
    boards: Vec<BoardSpec>,
}

async fn add_boards(
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let username = path_text(path)?;
    let input: AddBoards = json_body(&headers, &body)?;
    let user = state.add_boards(&username, input.boards)?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn mint_tokens(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: MintRequest = json_body(&headers, &body)?;
    let tokens = state.mint_tokens(request)?;
    Ok((StatusCode::CREATED, Json(json!({"items": tokens}))).into_response())
}

async fn revoke(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: RevokeRequest = json_body(&headers, &body)?;
    let revoked = state.revoke(request)?;
    Ok(Json(json!({"revoked": revoked})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpireRequest {
    token: String,
}

async fn expire(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ExpireRequest = json_body(&headers, &body)?;
    let kind = state.expire_now(&request.token)?;
    Ok(Json(json!({"expired": kind})).into_response())
}

async fn get_faults(State(state): State<SimState>) -> Response {
    Json(state.faults()).into_response()
}

async fn set_faults(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let faults: FaultSet = json_body(&headers, &body)?;
    state.set_faults(None, Some(faults))?;
    Ok(Json(state.faults()).into_response())
}

async fn clear_faults(State(state): State<SimState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}

async fn set_app_faults(
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = path_text(path)?;
    let faults: FaultSet = json_body(&headers, &body)?;
    state.set_faults(Some(&app), Some(faults))?;
    Ok(Json(state.faults()).into_response())
}

async fn clear_app_faults(
    State(state): State<SimState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let app = path_text(path)?;
    state.set_faults(Some(&app), None)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_consent(State(state): State<SimState>) -> Response {
    Json(state.consent()).into_response()
}

async fn set_consent(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let setting: ConsentSetting = json_body(&headers, &body)?;
    state.set_consent(setting)?;
    Ok(Json(state.consent()).into_response())
}

const MAX_LOG_PAGE: usize = 10_000;

async fn requests(
    State(state): State<SimState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = QueryParams::parse(raw.as_deref());
    let number = |name: &str, default: u64| -> Result<u64, ApiError> {
        query.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                ApiError::invalid_parameters(format!("{name}: not a non-negative integer"))
            })
        })
    };
    let since = number("since", 0)?;
    let limit = usize::try_from(number("limit", 1000)?)
        .unwrap_or(MAX_LOG_PAGE)
        .min(MAX_LOG_PAGE);
    let items = state.requests(since, limit);
    let last = items.last().map_or(since, |e| e.seq);
    Ok(Json(json!({"items": items, "last_seq": last})).into_response())
}

async fn clear_requests(State(state): State<SimState>) -> StatusCode {
    state.clear_requests();
    StatusCode::NO_CONTENT
}
