//! The application API under `/v1`: environment API keys as bearer tokens
//! (and owners' workspace keys, for the audit log alone), JSON in and out,
//! errors as problem details, and its OpenAPI 3.1 document at
//! `/v1/openapi.json`, generated from the handlers and their types.

pub mod audit;
pub mod auth;
pub mod connections;
pub mod extract;
pub mod models;
pub mod problem;
pub mod proxy;
pub mod webhooks;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::{Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Services;
use domain::accounts::RequestMeta;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use problem::ApiProblem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pinbridge application API",
        description = "Connect your users' Pinterest accounts, get fresh access tokens and call Pinterest on their behalf. Authenticate with an environment API key: `Authorization: Bearer pinbridge_…` (the audit log also takes an owner's workspace key, `pinbridge_ws_…`, and nothing else does). Errors are RFC 9457 problem details (`application/problem+json`); their types are listed under `x-problem-types`.",
    ),
    components(schemas(problem::Problem, models::WebhookEvent)),
    tags(
        (name = "Connect", description = "Links for end users to connect Pinterest"),
        (name = "Connections", description = "End users' Pinterest connections"),
        (name = "Tokens", description = "Fresh Pinterest access tokens"),
        (name = "Pinterest proxy", description = "Pinterest's API with a connection's token"),
        (name = "Webhooks", description = "Events pinbridge posts to your webhook endpoints (see `webhooks`)"),
        (name = "Audit log", description = "Who changed what, for security tooling: an environment's records, or a workspace's with a workspace key"),
    )
)]
struct ApiDoc;

/// Where the API's audit records say a request came from.
pub fn request_meta(parts: &axum::http::request::Parts) -> RequestMeta {
    app::functions::meta_of(&parts.extensions, &parts.headers)
}

fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(connections::create_connect_session))
        .routes(routes!(connections::list_connections))
        .routes(routes!(
            connections::get_connection,
            connections::disconnect
        ))
        .routes(routes!(connections::access_token))
        .routes(routes!(connections::check))
}

/// The audit log's route: behind a front door of its own, which takes
/// workspace keys as well as API keys (every other route refuses the former).
fn audit_routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new().routes(routes!(audit::list_audit_events))
}

/// The proxy's route takes the rest of the path (`{*path}`, several
/// segments); OpenAPI has no such parameter, so the document names it
/// `{path}` and the router serves it separately.
const PROXY_ROUTE: &str = "/connections/{id}/pinterest/{*path}";

/// The OpenAPI document, built once per process.
pub fn document() -> Arc<serde_json::Value> {
    static DOC: OnceLock<Arc<serde_json::Value>> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut api) = routes()
            .merge(audit_routes())
            .routes(routes!(proxy::forward))
            .split_for_parts();
        api.servers = Some(vec![utoipa::openapi::Server::new("/v1")]);
        api.webhooks = Some(webhooks::webhooks());
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pinbridge API key")
                    .description(Some(
                        "An environment API key from the portal's API keys page.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "workspace_key",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pinbridge workspace key")
                    .description(Some(
                        "A workspace key (`pinbridge_ws_…`) from the portal's Audit log page, made by an owner: it reads the whole workspace's audit log (`GET /audit-events`) and nothing else.",
                    ))
                    .build(),
            ),
        );
        let mut value = serde_json::to_value(&api).unwrap_or_default();
        // One handler serves the proxy's four methods; each operation gets its
        // own id (`pinterest_get`, …), as OpenAPI requires.
        if let Some(ops) = value
            .pointer_mut("/paths/~1connections~1{id}~1pinterest~1{path}")
            .and_then(serde_json::Value::as_object_mut)
        {
            for (method, op) in ops.iter_mut() {
                if let Some(op) = op.as_object_mut() {
                    op.insert("operationId".into(), format!("pinterest_{method}").into());
                }
            }
        }
        if let Some(map) = value.as_object_mut() {
            map.insert("openapi".into(), "3.1.0".into());
            map.insert("x-problem-types".into(), problem::documented());
        }
        Arc::new(value)
    })
    .clone()
}

/// The `/v1` router (to be nested at `/v1`).
pub fn router<S: Clone + Send + Sync + 'static>(services: Services) -> Router<S> {
    let (api, _) = routes().split_for_parts();
    let (audit_api, _) = audit_routes().split_for_parts();
    let audit_log = audit_api
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            services.clone(),
            auth::authenticate_audit_reader,
        ))
        .layer(middleware::from_fn(crate::metrics::count_api_requests))
        .with_state(services.clone());
    let authenticated = api
        .route(
            PROXY_ROUTE,
            get(proxy::forward)
                .post(proxy::forward)
                .patch(proxy::forward)
                .delete(proxy::forward),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            services.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn(crate::metrics::count_api_requests))
        .with_state(services);
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(audit_log)
        .merge(authenticated)
        .layer(middleware::from_fn(auth::api_headers))
}

async fn openapi_json() -> Response {
    let doc = document();
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::Json((*doc).clone()),
    )
        .into_response()
}

async fn not_found() -> ApiProblem {
    ApiProblem::new(
        &problem::NOT_FOUND,
        "No such endpoint: see /v1/openapi.json for the API's endpoints.",
    )
}

async fn method_not_allowed(method: Method) -> ApiProblem {
    ApiProblem::new(
        &problem::METHOD,
        format!("This endpoint does not take {method}: see /v1/openapi.json."),
    )
}
