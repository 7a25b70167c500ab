//! The end user's pages, rendered by Leptos on the server into plain HTML: no
//! hydration, no script, one form. Leptos escapes every value it renders.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::connections::links::OpenLink;
use leptos::prelude::*;

/// A whole document around `body`, answered with `status`: `no-store`, no
/// referrer (the link's token and Pinterest's code must not travel onwards),
/// never framed.
pub fn page(status: StatusCode, title: String, body: AnyView) -> Response {
    // One text node: `<title>` shows its content literally, markers included.
    let title = format!("{title} · pinbridge");
    let html = Owner::new().with(|| {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <meta name="referrer" content="same-origin"/>
                    <meta name="color-scheme" content="light dark"/>
                    <title>{title}</title>
                    <link rel="stylesheet" href="/pkg/pinbridge.css"/>
                </head>
                <body>
                    <div class="app" data-theme="system">
                        <a class="skip-link" href="#main">"Skip to content"</a>
                        <header class="topbar">
                            <span class="brand">
                                <span class="brand-mark" aria-hidden="true">"pb"</span>
                                <span class="brand-name">"pinbridge"</span>
                            </span>
                        </header>
                        <main id="main" class="main main-public" tabindex="-1">
                            <section class="page page-narrow end-user">{body}</section>
                        </main>
                    </div>
                </body>
            </html>
        }
        .to_html()
    });
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends
    // `Origin: null` with the page's own form, which the cross-site check must
    // refuse. No other site ever sees the page's address (the redirect to
    // Pinterest sets `no-referrer` itself).
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// A page that says what happened, with a way back to the operator's product.
pub fn message(status: StatusCode, title: &str, text: String, back: Option<String>) -> Response {
    let heading = title.to_owned();
    page(
        status,
        title.to_owned(),
        view! {
            <div class="card">
                <h1>{heading}</h1>
                <p>{text}</p>
                {back.map(|url| view! {
                    <p><a class="button button-secondary" href=url>"Back to the app"</a></p>
                })}
            </div>
        }
        .into_any(),
    )
}

/// `/connect/{token}`: who asks, what they will be able to do, and the button.
/// Each sentence is one text node, so the page's text reads as it is written.
pub fn connect(open: &OpenLink, token: &str) -> Response {
    let workspace = &open.workspace;
    let scopes = open
        .scopes
        .iter()
        .map(|s| {
            view! {
                <li>
                    <strong>{s.description()}</strong>
                    " "
                    <code class="small muted">{s.as_str()}</code>
                </li>
            }
        })
        .collect_view();
    let body = view! {
        <div class="card">
            <p class="eyebrow">"Connect Pinterest"</p>
            {open.link.display_name.as_ref().map(|name| view! { <p class="lead">{format!("Hi {name},")}</p> })}
            <h1>{format!("{workspace} would like to connect to your Pinterest account")}</h1>
            <p>{format!("On Pinterest you will be asked to allow access. If you do, {workspace} will be able to:")}</p>
            <ul class="scope-list end-user-scopes">{scopes}</ul>
            <form method="post" action=format!("/connect/{token}")>
                <button class="button" type="submit">"Continue to Pinterest"</button>
            </form>
            <p class="hint">
                {format!(
                    "pinbridge connects {workspace} to Pinterest on their behalf and keeps your access tokens encrypted. \
                     You can ask {workspace} to disconnect at any time. This link works once, until {}.",
                    app::models::format_utc(open.link.expires_at)
                )}
            </p>
        </div>
    };
    page(
        StatusCode::OK,
        format!("Connect Pinterest to {workspace}"),
        body.into_any(),
    )
}

/// After the callback, when the link had no return URL.
pub fn connected(username: &str, workspace: String, reauthorized: bool) -> Response {
    let heading = format!("Connected as @{username}");
    page(
        StatusCode::OK,
        heading.clone(),
        view! {
            <div class="card" role="status">
                <p class="eyebrow">"Pinterest"</p>
                <h1>{heading}</h1>
                <p>{format!(
                    "{workspace} can now work with your Pinterest account{}. You can close this window.",
                    if reauthorized { " (your existing connection was renewed)" } else { "" }
                )}</p>
            </div>
        }
        .into_any(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn pages_escape_what_they_show_and_carry_no_script() {
        let response = message(
            StatusCode::BAD_REQUEST,
            "A <title>",
            "Text with <script>alert(1)</script> & more".into(),
            Some("https://app.example/done?a=1&b=\"2\"".into()),
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[header::REFERRER_POLICY],
            HeaderValue::from_static("same-origin")
        );
        let html = body(response).await;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(!html.contains("<script"), "no script at all: {html}");
        assert!(
            html.contains("Text with &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"),
            "{html}"
        );
        assert!(html.contains("<h1>A &lt;title&gt;</h1>"), "{html}");
        assert!(
            html.contains("<title>A &lt;title&gt; · pinbridge</title>"),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https://app.example/done?a=1&amp;b=&quot;2&quot;""#),
            "{html}"
        );
    }

    #[tokio::test]
    async fn the_connected_page_names_the_account_and_says_when_it_was_renewed() {
        let html = body(connected("pin<ner>", "Acme & Co".into(), true)).await;
        assert!(
            html.contains("<h1>Connected as @pin&lt;ner&gt;</h1>"),
            "{html}"
        );
        assert!(
            html.contains("<p>Acme &amp; Co can now work with your Pinterest account (your existing connection was renewed). You can close this window.</p>"),
            "{html}"
        );
        assert!(
            !html.contains("<!>"),
            "no markers between text nodes: {html}"
        );
        let first = body(connected("pinner", "Acme".into(), false)).await;
        assert!(!first.contains("renewed"), "{first}");
    }
}
