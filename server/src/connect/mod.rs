//! The end user's pages: `/connect/{token}` (what will be shared, "Continue to
//! Pinterest") and `GET /integration-callback` (the way back from Pinterest),
//! with their success and error pages.
//!
//! They are plain server-rendered HTML ([`pages`]) with one form and no
//! script, so they work without JavaScript. Nothing here is for operators: no session is read.
//! Every answer is `no-store`, sends no referrer (the link's token and
//! Pinterest's code must not travel onwards) and refuses to be framed; the
//! request log shows the route (`/connect/{token}`), never the token
//! ([`logged_path`]).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::branding;
use domain::connections::handshake::{self, BROWSER_COOKIE, Display, Outcome, Problem};
use domain::connections::links::{self, LinkProblem};

pub mod agent;
mod log_path;
mod pages;

pub use log_path::logged_path;

/// A link problem's status, heading and explanation.
fn link_problem_text(problem: &LinkProblem) -> (StatusCode, &'static str, String) {
    match problem {
        LinkProblem::Unknown => (
            StatusCode::NOT_FOUND,
            "This connect link is not valid",
            "pinbridge does not know this link: it may have been mistyped or cut short when it was copied. Ask whoever sent it for a new one.".into(),
        ),
        LinkProblem::Expired => (
            StatusCode::GONE,
            "This connect link has expired",
            "Connect links work for 30 minutes. Ask whoever sent it for a new one.".into(),
        ),
        LinkProblem::Used => (
            StatusCode::GONE,
            "This connect link was already used",
            "It has already connected a Pinterest account, and each link works once. Ask whoever sent it for a new one if you need to connect again.".into(),
        ),
        LinkProblem::Unavailable { why } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Connecting is not available right now",
            why.clone(),
        ),
        LinkProblem::ReturnOriginRemoved { workspace } => (
            StatusCode::FORBIDDEN,
            "This connect link can no longer be used",
            format!(
                "{workspace} no longer allows this link to send you back to the address it was made with, so it cannot be used. Ask {workspace} for a new link."
            ),
        ),
    }
}

fn link_problem(problem: &LinkProblem) -> Response {
    let (status, title, text) = link_problem_text(problem);
    pages::message(status, title, text, None, None)
}

fn internal() -> Response {
    pages::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. It has been logged; please try again in a moment."
            .into(),
        None,
        None,
    )
}

/// `display=popup` in a query string or form body.
fn display_of(query: Option<&[u8]>) -> Display {
    let value = query.and_then(|q| {
        url::form_urlencoded::parse(q)
            .find(|(k, _)| k == "display")
            .map(|(_, v)| v.into_owned())
    });
    Display::from_param(value.as_deref())
}

/// An expired or used link opened in a popup: its page tells the opener
/// (when the link has an allowed return URL), so the SDK can say so.
async fn popup_link_problem(services: &Services, token: &str, problem: &LinkProblem) -> Response {
    let reason = match problem {
        LinkProblem::Expired => "link_expired",
        LinkProblem::Used => "link_used",
        _ => return link_problem(problem),
    };
    let origin = match links::popup_origin(&services.db, token, &services.config.public_url).await {
        Ok(origin) => origin,
        Err(e) => {
            tracing::warn!(error = %e, "a popup's return origin could not be read");
            None
        }
    };
    match origin {
        Some(origin) => {
            let result = pages::PopupResult::failed(origin, reason);
            let (status, title, text) = link_problem_text(problem);
            pages::message_with(status, title, text, None, None, Some(&result))
        }
        None => link_problem(problem),
    }
}

/// `GET /connect/{token}` (`?display=popup` in the SDK's popup).
pub async fn show(
    State(services): State<Services>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let display = display_of(query.as_deref().map(str::as_bytes));
    let open = match links::open(&services.db, &token, &services.config.public_url).await {
        Ok(Ok(open)) => open,
        Ok(Err(problem)) if display == Display::Popup => {
            return popup_link_problem(&services, &token, &problem).await;
        }
        Ok(Err(problem)) => return link_problem(&problem),
        Err(e) => {
            tracing::error!(error = %e, "connect link lookup failed");
            return internal();
        }
    };
    let brand =
        branding::for_end_user(&services.db, &open.link.workspace_id, Some(&open.workspace)).await;
    pages::connect(&open, &token, &brand, display == Display::Popup)
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    app::functions::cookie_value(headers, BROWSER_COOKIE)
}

/// `POST /connect/{token}`: "Continue to Pinterest". The router refuses it
/// when another site's page sent it, as it does the portal's writes.
pub async fn continue_to_pinterest(
    State(services): State<Services>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cookie = browser_cookie(&headers);
    let display = display_of(Some(&body));
    match handshake::begin(&services, &token, cookie.as_deref(), display).await {
        Ok(Ok(begun)) => {
            let secure = if services.config.public_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{BROWSER_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
                begun.browser_cookie,
                handshake::STATE_TTL_MS / 1000
            );
            let mut response = StatusCode::SEE_OTHER.into_response();
            let h = response.headers_mut();
            if let (Ok(location), Ok(cookie)) = (
                HeaderValue::from_str(&begun.authorize_url),
                HeaderValue::from_str(&cookie),
            ) {
                h.insert(header::LOCATION, location);
                h.insert(header::SET_COOKIE, cookie);
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                response
            } else {
                internal()
            }
        }
        Ok(Err(problem)) => link_problem(&problem),
        Err(e) => {
            tracing::error!(error = %e, "could not start a connection");
            internal()
        }
    }
}

fn problem_status(problem: &Problem) -> StatusCode {
    match problem {
        Problem::Denied => StatusCode::OK,
        Problem::NoCookie | Problem::OtherBrowser => StatusCode::FORBIDDEN,
        Problem::StateUsed | Problem::StateExpired | Problem::LinkUsed | Problem::LinkExpired => {
            StatusCode::GONE
        }
        Problem::ReturnOriginRemoved => StatusCode::FORBIDDEN,
        Problem::PinterestDown { .. } | Problem::CredentialsRejected | Problem::CodeRejected => {
            StatusCode::BAD_GATEWAY
        }
        Problem::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Problem::ScopesMissing { .. } | Problem::AccountUnreadable { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `GET /integration-callback`.
pub async fn callback(State(services): State<Services>, request: http::request::Parts) -> Response {
    let meta = app::functions::meta_of(&request.extensions, &request.headers);
    let query = request.uri.query();
    let cookie = browser_cookie(&request.headers);
    match handshake::callback(&services, query, cookie.as_deref(), &meta).await {
        Ok(Outcome::Connected {
            connection_id,
            username,
            workspace,
            workspace_id,
            popup_origin,
            redirect,
            reauthorized,
        }) => {
            if let Some(origin) = popup_origin {
                let brand =
                    branding::for_end_user(&services.db, &workspace_id, Some(&workspace)).await;
                let result = pages::PopupResult::connected(origin, connection_id.as_str());
                return pages::connected(&username, &brand, reauthorized, Some(&result));
            }
            if let Some(url) = redirect
                && let Ok(location) = HeaderValue::from_str(&url)
            {
                let mut response = StatusCode::SEE_OTHER.into_response();
                response.headers_mut().insert(header::LOCATION, location);
                response.headers_mut().insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                return response;
            }
            let brand = branding::for_end_user(&services.db, &workspace_id, Some(&workspace)).await;
            pages::connected(&username, &brand, reauthorized, None)
        }
        Ok(Outcome::Failed {
            problem,
            workspace_id,
            popup_origin,
            back,
            retry,
        }) => {
            let mut text = problem.explanation();
            if retry {
                text.push_str(" Your connect link still works until it expires.");
            }
            let brand = match &workspace_id {
                Some(id) => Some(branding::for_end_user(&services.db, id, None).await),
                None => None,
            };
            let result =
                popup_origin.map(|origin| pages::PopupResult::failed(origin, problem.code()));
            pages::message_with(
                problem_status(&problem),
                problem.title(),
                text,
                back,
                brand.as_ref(),
                result.as_ref(),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "the integration callback failed");
            internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; pinbridge_connect=abc; b=2"),
        );
        assert_eq!(browser_cookie(&h).as_deref(), Some("abc"));
        assert_eq!(browser_cookie(&HeaderMap::new()), None);
    }
}
