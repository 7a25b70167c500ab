//! The end user's pages, rendered by Leptos on the server into plain HTML: no
//! hydration, no script, one form. Leptos escapes every value it renders.
//!
//! A page of a known workspace wears its branding (`domain::branding`): its
//! logo or name, its accent colour, its help and privacy links, and a small
//! "Secured by pinbridge". A page that knows no workspace (an unknown link)
//! is pinbridge's own.

use app::components::{BrandHeader, SecuredBy, accent_css};
use app::models::LogoView;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::branding::EndUserBrand;
use domain::connections::links::OpenLink;
use leptos::prelude::*;
use sha2::{Digest, Sha256};

/// The Content-Security-Policy of the end user's pages. A branded page's
/// accent rule and a popup's last script are allowed by their hashes: no other
/// inline style or script runs.
fn content_security_policy(style: Option<&str>, script: Option<&str>) -> String {
    let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
    let style_src = style.map_or_else(String::new, |css| {
        format!("style-src 'self' 'sha256-{}'; ", hash(css))
    });
    let script_src = script.map_or_else(String::new, |js| {
        format!("script-src 'sha256-{}'; ", hash(js))
    });
    format!(
        "default-src 'self'; {style_src}{script_src}object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The one script of the end user's pages: on a popup's last page, it sends
/// the result (`data-message`) to the opener, on `data-origin` only (the
/// link's return origin; the browser drops it for a page on any other), and
/// closes the popup. Without an opener it does nothing and the page stays.
pub const POPUP_SCRIPT: &str = "(function(){var r=document.getElementById(\"pinbridge-result\");\
if(!r||!window.opener){return;}\
window.opener.postMessage(JSON.parse(r.getAttribute(\"data-message\")),r.getAttribute(\"data-origin\"));\
window.close();})();";

/// What a popup's last page tells its opener, and where.
#[derive(Clone, Debug)]
pub struct PopupResult {
    /// The link's return origin, e.g. `https://app.example.com`.
    pub origin: String,
    /// `{"type":"pinbridge:connect","status":…}`.
    pub message: serde_json::Value,
}

impl PopupResult {
    pub fn connected(origin: String, connection_id: &str) -> Self {
        Self {
            origin,
            message: serde_json::json!({
                "type": "pinbridge:connect",
                "status": "connected",
                "connectionId": connection_id,
            }),
        }
    }

    pub fn failed(origin: String, reason: &str) -> Self {
        Self {
            origin,
            message: serde_json::json!({
                "type": "pinbridge:connect",
                "status": "failed",
                "reason": reason,
            }),
        }
    }
}

/// A whole document around `body`, answered with `status`: `no-store`, no
/// referrer (the link's token and Pinterest's code must not travel onwards),
/// never framed. `brand`: the workspace's branding, when the page knows it.
pub fn page(
    status: StatusCode,
    title: String,
    body: AnyView,
    brand: Option<&EndUserBrand>,
) -> Response {
    page_with(status, title, body, brand, None)
}

/// [`page`], and on a popup's last page the result for its opener.
pub fn page_with(
    status: StatusCode,
    title: String,
    body: AnyView,
    brand: Option<&EndUserBrand>,
    popup: Option<&PopupResult>,
) -> Response {
    // One text node: `<title>` shows its content literally, markers included.
    // A branded page names pinbridge only in its footer.
    let title = match brand {
        Some(_) => title,
        None => format!("{title} · pinbridge"),
    };
    // Branded pages keep the light palette, which the accent was checked against.
    let style = brand
        .and_then(|b| b.accent)
        .map(|a| accent_css(".app.branded", &a.to_string()));
    let csp = content_security_policy(style.as_deref(), popup.map(|_| POPUP_SCRIPT));
    let result = popup.map(|p| {
        view! {
            <div id="pinbridge-result" hidden data-origin=p.origin.clone() data-message=p.message.to_string()></div>
            <script>{POPUP_SCRIPT}</script>
        }
    });
    let (theme, class) = match brand {
        Some(_) => ("light", "app branded"),
        None => ("system", "app"),
    };
    let header = match brand {
        Some(b) => view! {
            <BrandHeader name=b.name.clone() logo=b.logo.as_ref().map(|l| LogoView {
                url: l.path(),
                width: l.width,
                height: l.height,
            })/>
        }
        .into_any(),
        None => view! {
            <header class="topbar">
                <span class="brand">
                    <span class="brand-mark" aria-hidden="true">"pb"</span>
                    <span class="brand-name">"pinbridge"</span>
                </span>
            </header>
        }
        .into_any(),
    };
    let footer = brand.map(|b| {
        view! { <SecuredBy support_url=b.support_url.clone() privacy_url=b.privacy_url.clone()/> }
    });
    let style_element = style.clone().map(|css| view! { <style>{css}</style> });
    let color_scheme = if brand.is_some() {
        "light"
    } else {
        "light dark"
    };
    let html = Owner::new().with(|| {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <meta name="referrer" content="same-origin"/>
                    <meta name="color-scheme" content=color_scheme/>
                    <title>{title}</title>
                    <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                    <link rel="stylesheet" href="/pkg/pinbridge.css"/>
                    {style_element}
                </head>
                <body>
                    <div class=class data-theme=theme>
                        <a class="skip-link" href="#main">"Skip to content"</a>
                        {header}
                        <main id="main" class="main main-public" tabindex="-1">
                            <section class="page page-narrow end-user">{body}{footer}</section>
                        </main>
                        {result}
                    </div>
                </body>
            </html>
        }
        .to_html()
    });
    // These pages never hydrate: Leptos' markers for absent parts go. Every
    // text and attribute is escaped, so `<!>` is never something shown.
    let html = html.replace("<!>", "");
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
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A page that says what happened, with a way back to the operator's product.
pub fn message(
    status: StatusCode,
    title: &str,
    text: String,
    back: Option<String>,
    brand: Option<&EndUserBrand>,
) -> Response {
    message_with(status, title, text, back, brand, None)
}

/// [`message`], on a popup's last page.
pub fn message_with(
    status: StatusCode,
    title: &str,
    text: String,
    back: Option<String>,
    brand: Option<&EndUserBrand>,
    popup: Option<&PopupResult>,
) -> Response {
    let heading = title.to_owned();
    page_with(
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
        brand,
        popup,
    )
}

/// `/connect/{token}`: who asks, what they will be able to do, and the button.
/// Each sentence is one text node, so the page's text reads as it is written.
pub fn connect(open: &OpenLink, token: &str, brand: &EndUserBrand, popup: bool) -> Response {
    let workspace = &brand.name;
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
                {popup.then(|| view! { <input type="hidden" name="display" value="popup"/> })}
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
        Some(brand),
    )
}

/// After the callback, when the link had no return URL.
pub fn connected(
    username: &str,
    brand: &EndUserBrand,
    reauthorized: bool,
    popup: Option<&PopupResult>,
) -> Response {
    let workspace = &brand.name;
    let heading = format!("Connected as @{username}");
    page_with(
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
        Some(brand),
        popup,
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
            None,
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
        let html = body(connected(
            "pin<ner>",
            &EndUserBrand::plain("Acme & Co"),
            true,
            None,
        ))
        .await;
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
        let first = body(connected(
            "pinner",
            &EndUserBrand::plain("Acme"),
            false,
            None,
        ))
        .await;
        assert!(!first.contains("renewed"), "{first}");
    }

    #[tokio::test]
    async fn a_branded_page_wears_the_brand_and_its_style_is_allowed_by_hash_only() {
        let brand = EndUserBrand {
            name: "Acme <Studio>".into(),
            accent: Some(domain::branding::Accent::parse("#1f5fbf").unwrap()),
            logo: Some(domain::branding::LogoRef {
                sha256: "ab".repeat(32),
                width: 200,
                height: 61,
            }),
            support_url: Some("https://acme.example/help?a=1&b=2".into()),
            privacy_url: None,
        };
        let response = connected("pinner", &brand, false, None);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let html = body(response).await;
        let css =
            ".app.branded{--accent:#1f5fbf;--accent-fg:#1f5fbf;--link:#1f5fbf;--focus:#1f5fbf}";
        assert!(html.contains(&format!("<style>{css}</style>")), "{html}");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css));
        assert!(
            csp.contains(&format!("style-src 'self' 'sha256-{hash}'")),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            html.contains(r#"data-theme="light" class="app branded""#),
            "{html}"
        );
        assert!(!html.contains("<!>"), "no markers: {html}");
        assert!(
            html.contains(&format!(
                r#"src="/brand/logo/{}.png" width="100" height="31" alt="Acme &lt;Studio&gt;""#,
                "ab".repeat(32)
            )),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https://acme.example/help?a=1&amp;b=2""#),
            "{html}"
        );
        assert!(!html.contains("Privacy policy"), "{html}");
        assert!(html.contains("Secured by pinbridge"), "{html}");
        assert!(
            html.contains("<title>Connected as @pinner</title>"),
            "{html}"
        );
        assert!(!html.contains("brand-name\">pinbridge"), "{html}");
        assert!(!html.contains("<script"), "{html}");

        // Unbranded (no workspace known): pinbridge's own page, no style, no footer.
        let plain = message(StatusCode::NOT_FOUND, "Gone", "x".into(), None, None);
        let csp = plain.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!csp.contains("style-src"), "{csp}");
        let html = body(plain).await;
        assert!(!html.contains("<style"), "{html}");
        assert!(!html.contains("Secured by"), "{html}");
        assert!(html.contains(r#"data-theme="system""#), "{html}");
        assert!(!html.contains("<!>"), "no markers: {html}");
    }

    #[tokio::test]
    async fn a_popups_last_page_posts_its_result_to_the_return_origin_only() {
        let result = PopupResult::connected("https://app.example.com".into(), "conn_<1>");
        let response = connected("pinner", &EndUserBrand::plain("Acme"), false, Some(&result));
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let html = body(response).await;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(POPUP_SCRIPT));
        assert!(
            csp.contains(&format!("script-src 'sha256-{hash}'")),
            "{csp}"
        );
        // The script is written as it is hashed (nothing escaped in it).
        assert!(
            html.contains(&format!("<script>{POPUP_SCRIPT}</script>")),
            "{html}"
        );
        assert!(!POPUP_SCRIPT.contains('*'), "never to every origin");
        assert!(
            html.contains(r#"data-origin="https://app.example.com""#),
            "{html}"
        );
        assert!(
            html.contains(r#"data-message="{&quot;connectionId&quot;:&quot;conn_&lt;1&gt;&quot;,&quot;status&quot;:&quot;connected&quot;,&quot;type&quot;:&quot;pinbridge:connect&quot;}""#),
            "{html}"
        );
        // The page still says what happened, for a popup without its opener.
        assert!(html.contains("Connected as @pinner"), "{html}");

        // Without a popup: no script at all, and the policy allows none inline.
        let response = connected("pinner", &EndUserBrand::plain("Acme"), false, None);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!csp.contains("script-src"), "{csp}");
        assert!(!body(response).await.contains("<script"));
    }
}
