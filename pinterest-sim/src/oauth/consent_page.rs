//! HTML of the authorize leg: the consent form and the error page. Plain HTML
//! forms, no JavaScript, so it works in any browser and in headless tests.

use std::fmt::Write;

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::scope::ScopeSet;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f5f5f5;margin:0}\
main{max-width:32rem;margin:3rem auto;background:#fff;border-radius:1rem;padding:2rem;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.4rem}.sim{color:#767676;font-size:.85rem}\
ul{padding-left:1.2rem}li{margin:.4rem 0}.actions{display:flex;gap:1rem;margin-top:1.5rem}\
button{font-size:1rem;padding:.7rem 1.4rem;border-radius:2rem;border:0;cursor:pointer}\
.allow{background:#e60023;color:#fff}.deny{background:#e9e9e9}.error{color:#b00020}\
label{display:block;margin:1rem 0 .3rem}select{font-size:1rem;padding:.3rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}\
         <p class=\"sim\">pinterest-sim: a simulated Pinterest for tests and demos.</p>\
         </main></body></html>\n",
        escape(title)
    )
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// What the consent form shows.
pub struct ConsentView<'a> {
    pub request_id: &'a str,
    pub app_name: &'a str,
    pub app_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: ScopeSet,
    /// Every username, and the one signed in.
    pub users: Vec<&'a str>,
    pub signed_in: &'a str,
}

pub fn consent(view: &ConsentView<'_>) -> Response {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Give <strong>{app}</strong> access to your Pinterest account?</h1>\
         <p class=\"sim\">App id {id} · after your choice you go back to <code>{uri}</code></p>\
         <form method=\"post\" action=\"/oauth/\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{rid}\">\
         <label for=\"user\">Signed in as</label><select id=\"user\" name=\"user\">",
        app = escape(view.app_name),
        id = escape(view.app_id),
        uri = escape(view.redirect_uri),
        rid = escape(view.request_id),
    );
    for user in &view.users {
        let selected = if *user == view.signed_in {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{0}\"{selected}>{0}</option>",
            escape(user)
        );
    }
    body.push_str("</select><h2>It will be able to</h2><ul>");
    for scope in view.scopes.iter() {
        let _ = write!(
            body,
            "<li><strong>{}</strong>: {}</li>",
            scope.as_str(),
            escape(scope.description())
        );
    }
    body.push_str(
        "</ul><div class=\"actions\">\
         <button class=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </div></form>",
    );
    no_store(Html(page("Give access · pinterest-sim", &body)).into_response())
}

/// An error page; never a redirect (the redirect target is not trusted yet).
pub fn error(message: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"error\" id=\"error\">{}</p>",
        escape(message)
    );
    no_store(
        (
            StatusCode::BAD_REQUEST,
            Html(page("Error · pinterest-sim", &body)),
        )
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
