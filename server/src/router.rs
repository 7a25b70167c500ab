//! The HTTP surface: portal pages and server functions (Leptos), operations
//! endpoints, and the layers every request passes through.

use std::sync::OnceLock;
use std::time::Duration;

use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Services;
use domain::db::SessionStore;
use leptos::prelude::provide_context;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

use crate::assets::{self, Site};
use crate::headers::{self, SecurityHeaders, security_headers};
use crate::state::AppState;
use crate::{compression, connect, ops};

/// Largest request body accepted anywhere.
const BODY_LIMIT: usize = 1024 * 1024;
/// Sessions end after this long without a request.
const SESSION_IDLE: time::Duration = time::Duration::days(7);

/// The app's routes, generated once per process.
///
/// Generating them renders the app with resource loading suppressed through a
/// flag that is global to the process (leptos_server's `SuppressResourceLoad`):
/// a page being rendered by another router in the same process at that moment
/// waits forever on its first resource (leptos issue #4773). Tests run many
/// servers in one process, so each start must not generate them again; the
/// first caller generates while the others wait, before any of them serves.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState, secure_cookies: bool) -> Router {
    let security = SecurityHeaders::new(&state.services.config.public_url);
    let routes = routes();
    let site = Site::load(std::path::Path::new(&*state.leptos_options.site_root));
    let context = {
        let services = state.services.clone();
        let api_document = app::functions::api_reference::ApiDocument(crate::api::document());
        let asset_urls = site.urls().clone();
        move || {
            provide_context(services.clone());
            provide_context(api_document.clone());
            provide_context(asset_urls.clone());
            headers::provide_request_nonce();
        }
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    let sessions = SessionManagerLayer::new(SessionStore::new(state.services.db.clone()))
        .with_name("pinbridge_session")
        .with_http_only(true)
        // Lax, not the library's Strict: Strict drops the cookie when a person
        // comes back from Pinterest's consent page.
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    // Pages and server functions: security headers, the same-origin check,
    // sessions, the sign-in guard for pages, the no-JavaScript form flash, and
    // preferences.
    let portal = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), render)
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(middleware::from_fn_with_state(
            RenderPool::new(),
            on_one_thread,
        ))
        .layer(middleware::from_fn(
            app::functions::preferences::load_preferences,
        ))
        .layer(middleware::from_fn(
            app::functions::branding::refuse_malformed_uploads,
        ))
        .layer(middleware::from_fn_with_state(
            app::functions::flash::FlashCookie::new(
                secure_cookies,
                app::functions::kept_fields::KEPT_FIELDS,
            ),
            app::functions::flash::form_flash,
        ))
        .layer(middleware::from_fn_with_state(
            state.services.clone(),
            app::functions::auth::route_guard,
        ))
        .layer(sessions.clone())
        .layer(middleware::from_fn_with_state(
            state.services.clone(),
            same_origin_writes,
        ))
        .layer(middleware::from_fn_with_state(
            security.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn(compression::compress));

    // The audit log's export: a download under the portal's session (the
    // page guard sends a signed-out visitor to sign in), outside the page
    // layers, which render on one thread and read each answer whole: a large
    // log streams out a page at a time. A GET that changes nothing but the
    // log's own record of it, so no same-origin check.
    let export = Router::new()
        .route("/w/{ws}/audit/export", get(crate::api::audit::export))
        .layer(middleware::from_fn_with_state(
            state.services.clone(),
            app::functions::auth::route_guard,
        ))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            security.clone(),
            security_headers,
        ));

    // Operations endpoints and the site's files (`assets::serve`) need no session:
    // keeping them outside those layers spares a session read per file a page loads.
    let request_id = header::HeaderName::from_static("x-request-id");
    let mut router = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz));
    // Off, or on a listener of its own only: `/metrics` is the portal's 404.
    if let Some(metrics) = state.metrics.as_ref().filter(|m| m.on_main_listener()) {
        router = router.route_service("/metrics", metrics.router());
    }
    let tracked = state.metrics.is_some();
    let router = router
        // The end user's pages: no operator session, no portal layers. But
        // "Continue to Pinterest" is a write another site's page could forge
        // (an attempt bound to the victim's browser): the portal's check.
        .route(
            "/connect/{token}",
            get(connect::show)
                .post(connect::continue_to_pinterest)
                .layer(middleware::from_fn_with_state(
                    state.services.clone(),
                    same_origin_writes,
                ))
                .layer(middleware::from_fn_with_state(
                    security.clone(),
                    headers::end_user_headers,
                )),
        )
        // Logos on the end user's pages: public, no session.
        .route(
            "/brand/logo/{file}",
            get(crate::brand::logo).layer(middleware::from_fn_with_state(
                security.clone(),
                headers::end_user_headers,
            )),
        )
        .route(
            "/integration-callback",
            get(connect::callback).layer(middleware::from_fn_with_state(
                security.clone(),
                headers::end_user_headers,
            )),
        )
        // An assistant's sign-in to the agent gateway: the end user's pages,
        // no operator session; the consent forms are checked like the
        // portal's writes.
        .merge(
            Router::new()
                .route("/oauth/authorize", get(connect::agent::authorize))
                .route("/oauth/sign-in/callback", get(connect::agent::signed_in))
                .route(
                    "/oauth/consent/{id}",
                    get(connect::agent::consent).post(connect::agent::decide),
                )
                .route(
                    "/oauth/consent/{id}/connected",
                    get(connect::agent::connected),
                )
                .route(
                    "/oauth/consent/{id}/assistants",
                    get(connect::agent::assistants).post(connect::agent::revoke_assistant),
                )
                .layer(middleware::from_fn_with_state(
                    state.services.clone(),
                    same_origin_writes,
                ))
                .layer(middleware::from_fn_with_state(
                    security,
                    headers::end_user_headers,
                )),
        )
        .merge(export)
        .merge(portal)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // The application API: API keys, not sessions; none of the portal's
        // layers. Its handlers limit the bodies they read themselves and
        // answer a refusal as a problem (413 `payload-too-large`).
        .nest("/v1", crate::api::router(state.services.clone()))
        // The agent gateway: API keys with `agent`; it limits its bodies itself.
        .merge(crate::mcp::router(
            state.services.clone(),
            state.mcp_shutdown.clone(),
        ))
        .layer(middleware::from_fn_with_state(site, assets::serve))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let client = app::functions::client_ip(req.extensions())
                        .map_or_else(|| "-".to_owned(), |ip| ip.to_string());
                    tracing::info_span!("request", method = %req.method(), path = %connect::logged_path(req), id, client = %client)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Every answer is logged once, above, with its status. A 5xx is
                // not logged again at ERROR: a failure inside is logged where it
                // happens, with its cause, and a flood of 503s (every hashing
                // slot busy) must not become a flood of error lines.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // First of all: who is asking, for everything after it (logs included).
        .layer(middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            crate::client_ip::resolve,
        ));
    // Counted and timed around everything else, once routing named the route.
    let router = if tracked {
        router.layer(middleware::from_fn(crate::metrics::track_requests))
    } else {
        router
    };
    router.with_state(state)
}

/// Single-threaded runtimes, one per core, that pages and server functions
/// run on: each request on one of them, with everything it spawns.
///
/// Leptos' reactive graph is shared by the tasks one render spawns, and it is
/// not safe for two threads computing one memo at once: `reactive_graph`'s
/// `ArcMemo` can be read just after another thread took its value out to
/// recompute it, and panics (`arc_memo.rs`, an `unwrap` on `None`), which the
/// load test in `server/tests/http/load.rs` made happen. On one thread per
/// request that cannot happen, while requests still spread over every core.
#[derive(Clone)]
struct RenderPool(tokio_util::task::LocalPoolHandle);

impl RenderPool {
    fn new() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(tokio_util::task::LocalPoolHandle::new(threads))
    }
}

async fn on_one_thread(State(pool): State<RenderPool>, request: Request, next: Next) -> Response {
    let rendered = pool.0.spawn_pinned(move || async move {
        let (parts, body) = next.run(request).await.into_parts();
        // A page streams while it renders: read it to the end on this thread too.
        axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|bytes| Response::from_parts(parts, Body::from(bytes)))
            .map_err(|e| e.to_string())
    });
    match rendered.await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a page stopped");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Refuses state-changing requests sent by another site's page: server
/// functions have no CSRF token of their own, and cookies are SameSite=Lax.
async fn same_origin_writes(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match cross_site_reason(request.headers(), &services.config.public_url) {
        None => next.run(request).await,
        Some(reason) => {
            tracing::warn!(%reason, "refused a cross-site request");
            (StatusCode::FORBIDDEN, reason).into_response()
        }
    }
}

fn cross_site_reason(headers: &HeaderMap, public_url: &str) -> Option<String> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Some("This request came from another site and was refused.".into());
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("invalid");
    (origin != public_url).then(|| {
        format!(
            "This request came from {origin}, but pinbridge's public URL is {public_url}; open pinbridge at its public URL and try again."
        )
    })
}

/// Removes expired sessions every hour.
pub fn spawn_session_cleanup(services: &Services) -> tokio::task::JoinHandle<()> {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = SessionStore::new(services.db.clone());
    tokio::spawn(async move {
        if let Err(e) = store
            .continuously_delete_expired(Duration::from_secs(3600))
            .await
        {
            tracing::warn!(error = %e, "expired-session cleanup stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn cross_site_writes_are_recognised() {
        let public = "https://bridge.example.com";
        assert!(cross_site_reason(&headers(&[]), public).is_none());
        assert!(
            cross_site_reason(
                &headers(&[("origin", "https://bridge.example.com")]),
                public
            )
            .is_none()
        );
        assert!(
            cross_site_reason(&headers(&[("origin", "https://evil.example")]), public).is_some()
        );
        assert!(cross_site_reason(&headers(&[("sec-fetch-site", "cross-site")]), public).is_some());
        assert!(
            cross_site_reason(&headers(&[("sec-fetch-site", "same-origin")]), public).is_none()
        );
    }
}
