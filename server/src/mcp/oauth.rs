//! The agent gateway's OAuth endpoints (see `domain::agent::oauth`):
//!
//! - `GET /.well-known/oauth-protected-resource/mcp/{environment}` (RFC 9728)
//! - `GET /.well-known/oauth-authorization-server` (RFC 8414)
//! - `POST /oauth/register` (RFC 7591), `POST /oauth/token`, `POST /oauth/revoke` (RFC 7009)
//!
//! They hold no cookies and are called by assistants' servers and by
//! browser-based MCP clients alike: every answer allows any origin (CORS),
//! and none is ever cached where it carries a token.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::Services;
use domain::accounts::EnvironmentId;
use domain::agent::oauth::{self, OAuthError};
use serde_json::{Value, json};

/// The largest form or registration these endpoints read.
const BODY_MAX: usize = 16 * 1024;

pub fn router<S: Clone + Send + Sync + 'static>(services: Services) -> Router<S> {
    Router::new()
        .route(
            "/.well-known/oauth-protected-resource/mcp/{environment}",
            get(protected_resource),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_server),
        )
        .route("/oauth/register", post(register))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .layer(middleware::from_fn(cors))
        .with_state(services)
}

/// Any origin may read these answers (no cookie is ever involved), and a
/// preflight is answered here.
async fn cors(request: Request, next: Next) -> Response {
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, mcp-protocol-version"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An RFC 6749 §5.2 error answer (401 `invalid_client` asks for Basic when
/// the client tried it).
fn refused(error: &OAuthError, tried_basic: bool) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_answer(status, &error.body());
    if error.status == 401 && tried_basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"pinbridge\""),
        );
    }
    if error.status == 429 || error.status == 503 {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    response
}

async fn protected_resource(
    State(services): State<Services>,
    Path(environment): Path<String>,
) -> Response {
    let not_found = || {
        json_answer(
            StatusCode::NOT_FOUND,
            &json!({"error": "not_found", "error_description": "No such MCP URL."}),
        )
    };
    let Some(id) = EnvironmentId::parse(&environment).filter(|id| id.as_str() == environment)
    else {
        return not_found();
    };
    let resource = oauth::resource_url(&services.config.public_url, &id);
    match oauth::environment_of_resource(&services, Some(&resource)).await {
        Ok(row) => json_answer(
            StatusCode::OK,
            &oauth::protected_resource_metadata(&services.config.public_url, &row),
        ),
        Err(e) if e.status == 503 => refused(&e, false),
        Err(_) => not_found(),
    }
}

async fn authorization_server(State(services): State<Services>) -> Response {
    json_answer(
        StatusCode::OK,
        &oauth::authorization_server_metadata(&services.config.public_url),
    )
}

/// The body, at most [`BODY_MAX`] bytes, of the media type the endpoint takes.
async fn read_body(
    request: Request,
    media_type: &str,
    wrong_type: OAuthError,
) -> Result<(HeaderMap, Bytes), OAuthError> {
    let (parts, body) = request.into_parts();
    let typed = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(media_type));
    if !typed {
        return Err(wrong_type);
    }
    let bytes = axum::body::to_bytes(Body::new(body), BODY_MAX)
        .await
        .map_err(|_| {
            OAuthError::new(
                413,
                wrong_type.error,
                format!("The request body is larger than {BODY_MAX} bytes."),
            )
        })?;
    Ok((parts.headers, bytes))
}

async fn register(State(services): State<Services>, request: Request) -> Response {
    let meta = app::functions::meta_of(request.extensions(), request.headers());
    let (_, body) = match read_body(
        request,
        "application/json",
        OAuthError::new(
            400,
            "invalid_client_metadata",
            "Send the client metadata as JSON (Content-Type: application/json).",
        ),
    )
    .await
    {
        Ok(read) => read,
        Err(e) => return refused(&e, false),
    };
    match oauth::register(&services, &body, meta.ip.as_deref()).await {
        Ok(client) => json_answer(StatusCode::CREATED, &client.body),
        Err(e) => refused(&e, false),
    }
}

/// The form's parameters, and the `Authorization` header.
async fn form_of(request: Request) -> Result<(Vec<(String, String)>, Option<String>), OAuthError> {
    let (headers, body) = read_body(
        request,
        "application/x-www-form-urlencoded",
        OAuthError::invalid_request(
            "Send the parameters as a form (Content-Type: application/x-www-form-urlencoded).",
        ),
    )
    .await?;
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    let authorization = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| OAuthError::invalid_client("The Authorization header is not text."))?
                .to_owned(),
        ),
    };
    Ok((form, authorization))
}

async fn token(State(services): State<Services>, request: Request) -> Response {
    let meta = app::functions::meta_of(request.extensions(), request.headers());
    let (form, authorization) = match form_of(request).await {
        Ok(read) => read,
        Err(e) => return refused(&e, false),
    };
    match oauth::token(&services, &form, authorization.as_deref(), &meta).await {
        Ok(answer) => json_answer(StatusCode::OK, &answer.body),
        Err(e) => refused(&e, authorization.is_some()),
    }
}

async fn revoke(State(services): State<Services>, request: Request) -> Response {
    let (form, authorization) = match form_of(request).await {
        Ok(read) => read,
        Err(e) => return refused(&e, false),
    };
    match oauth::revoke(&services, &form, authorization.as_deref()).await {
        Ok(()) => json_answer(StatusCode::OK, &json!({})),
        Err(e) => refused(&e, authorization.is_some()),
    }
}
