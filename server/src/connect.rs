//! The end user's pages: `/connect/{token}` (what will be shared, "Continue to
//! Pinterest") and `GET /integration-callback` (the way back from Pinterest),
//! with their success and error pages.
//!
//! They are plain server-rendered HTML with one form and no script, so they
//! work without JavaScript. Nothing here is for operators: no session is read.
//! Every answer is `no-store`, sends no referrer (the link's token and
//! Pinterest's code must not travel onwards) and refuses to be framed.

use std::net::SocketAddr;

use app::domain::accounts::RequestMeta;
use app::domain::connections::handshake::{self, BROWSER_COOKIE, Outcome, Problem};
use app::domain::connections::links::{self, LinkStatus};
use app::domain::state::AppState;
use app::models::html::escape as esc;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{} · pinbridge</title>\
         <link rel=\"stylesheet\" href=\"/pkg/pinbridge.css\"></head><body>\
         <div class=\"app\" data-theme=\"system\"><header class=\"topbar\"><span class=\"brand\"><span class=\"brand-mark\" aria-hidden=\"true\">pb</span>\
         <span class=\"brand-name\">pinbridge</span></span></header>\
         <main id=\"main\" class=\"main main-public\"><section class=\"page page-narrow end-user\">{}</section></main>\
         </div></body></html>",
        esc(title),
        body
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    response
}

fn message_page(status: StatusCode, title: &str, text: &str, back: Option<&str>) -> Response {
    let back = back
        .map(|url| {
            format!(
                "<p><a class=\"button button-secondary\" href=\"{}\">Back to the app</a></p>",
                esc(url)
            )
        })
        .unwrap_or_default();
    page(
        status,
        title,
        &format!(
            "<div class=\"card\"><h1>{}</h1><p>{}</p>{back}</div>",
            esc(title),
            esc(text)
        ),
    )
}

fn link_problem(status: &LinkStatus) -> Response {
    match status {
        LinkStatus::Unknown => message_page(
            StatusCode::NOT_FOUND,
            "This connect link is not valid",
            "pinbridge does not know this link: it may have been mistyped or cut short when it was copied. Ask whoever sent it for a new one.",
            None,
        ),
        LinkStatus::Expired => message_page(
            StatusCode::GONE,
            "This connect link has expired",
            "Connect links work for 30 minutes. Ask whoever sent it for a new one.",
            None,
        ),
        LinkStatus::Used => message_page(
            StatusCode::GONE,
            "This connect link was already used",
            "It has already connected a Pinterest account, and each link works once. Ask whoever sent it for a new one if you need to connect again.",
            None,
        ),
        LinkStatus::Unavailable { why, .. } => message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Connecting is not available right now",
            why,
            None,
        ),
        LinkStatus::Open(_) => message_page(StatusCode::OK, "", "", None),
    }
}

fn internal() -> Response {
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. It has been logged; please try again in a moment.",
        None,
    )
}

/// `GET /connect/{token}`.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let open = match links::open(&state.db, &token).await {
        Ok(LinkStatus::Open(open)) => open,
        Ok(other) => return link_problem(&other),
        Err(e) => {
            tracing::error!(error = %e, "connect link lookup failed");
            return internal();
        }
    };
    let workspace = esc(&open.workspace);
    let greeting = open
        .link
        .display_name
        .as_deref()
        .map(|n| format!("<p class=\"lead\">Hi {},</p>", esc(n)))
        .unwrap_or_default();
    let scopes: String = open
        .scopes
        .iter()
        .map(|s| {
            format!(
                "<li><strong>{}</strong> <code class=\"small muted\">{}</code></li>",
                esc(s.description()),
                esc(s.as_str())
            )
        })
        .collect();
    let expires = app::models::format_utc(open.link.expires_at);
    let body = format!(
        "<div class=\"card\">\
         <p class=\"eyebrow\">Connect Pinterest</p>\
         {greeting}\
         <h1>{workspace} would like to connect to your Pinterest account</h1>\
         <p>On Pinterest you will be asked to allow access. If you do, {workspace} will be able to:</p>\
         <ul class=\"scope-list end-user-scopes\">{scopes}</ul>\
         <form method=\"post\" action=\"/connect/{token}\">\
         <button class=\"button\" type=\"submit\">Continue to Pinterest</button></form>\
         <p class=\"hint\">pinbridge connects {workspace} to Pinterest on their behalf and keeps your access tokens encrypted. \
         You can ask {workspace} to disconnect at any time. This link works once, until {expires}.</p>\
         </div>",
        token = esc(&token),
        expires = esc(&expires),
    );
    page(
        StatusCode::OK,
        &format!("Connect Pinterest to {}", open.workspace),
        &body,
    )
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == BROWSER_COOKIE).then(|| value.to_owned())
        })
}

/// `POST /connect/{token}`: "Continue to Pinterest".
pub async fn continue_to_pinterest(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let cookie = browser_cookie(&headers);
    match handshake::begin(&state, &token, cookie.as_deref()).await {
        Ok(Ok(begun)) => {
            let secure = if state.config.public_url.starts_with("https://") {
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
        Ok(Err(status)) => link_problem(&status),
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
        Problem::StateUsed | Problem::StateExpired | Problem::LinkUsed => StatusCode::GONE,
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
pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let meta = RequestMeta {
        ip: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let cookie = browser_cookie(&headers);
    match handshake::callback(&state, query.as_deref(), cookie.as_deref(), &meta).await {
        Ok(Outcome::Connected {
            username,
            workspace,
            redirect,
            reauthorized,
            ..
        }) => {
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
            let again = if reauthorized {
                " (your existing connection was renewed)"
            } else {
                ""
            };
            page(
                StatusCode::OK,
                &format!("Connected as @{username}"),
                &format!(
                    "<div class=\"card\" role=\"status\"><p class=\"eyebrow\">Pinterest</p>\
                     <h1>Connected as @{}</h1>\
                     <p>{} can now work with your Pinterest account{again}. You can close this window.</p></div>",
                    esc(&username),
                    esc(&workspace)
                ),
            )
        }
        Ok(Outcome::Failed {
            problem,
            back,
            retry,
        }) => {
            let mut text = problem.explanation();
            if retry {
                text.push_str(" Your connect link still works until it expires.");
            }
            message_page(
                problem_status(&problem),
                problem.title(),
                &text,
                back.as_deref(),
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
