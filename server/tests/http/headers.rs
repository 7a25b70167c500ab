//! The portal's security headers on every kind of answer, the script nonce
//! on every inline script, and what a refused form without JavaScript leaves
//! behind (only its declared fields, capped, and never a session for a
//! visitor who had none).

use std::collections::HashSet;

use regex::Regex;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, HeaderMap, ORIGIN, REFERER, SET_COOKIE};

use crate::common::TestApp;
use crate::common::portal::{Owned, SESSION_COOKIE, set_up};

/// A client without cookies of its own, following no redirects.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(crate::common::REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

struct Loaded {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(request: reqwest::RequestBuilder) -> Loaded {
    let res = request.send().await.unwrap();
    Loaded {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

/// A page, as `session` (a session cookie's value) when given.
async fn page(app: &TestApp, path: &str, session: Option<&str>) -> Loaded {
    let mut request = client().get(app.url(path)).header(ACCEPT, "text/html");
    if let Some(session) = session {
        request = request.header(COOKIE, format!("{SESSION_COOKIE}={session}"));
    }
    send(request).await
}

/// A server function called as the page's code does.
async fn call(
    app: &TestApp,
    endpoint: &str,
    form: &[(&str, &str)],
    session: Option<&str>,
) -> Loaded {
    let mut request = client()
        .post(app.url(&format!("/api/{endpoint}")))
        .header(ACCEPT, "application/json")
        .form(form);
    if let Some(session) = session {
        request = request.header(COOKIE, format!("{SESSION_COOKIE}={session}"));
    }
    send(request).await
}

fn header<'a>(loaded: &'a Loaded, name: &str) -> Option<&'a str> {
    loaded.headers.get(name).map(|v| v.to_str().unwrap())
}

/// The nonce the answer's Content-Security-Policy allows scripts with.
fn nonce_of(loaded: &Loaded) -> String {
    let csp = header(loaded, "content-security-policy").expect("a CSP");
    Regex::new(r"'nonce-([A-Za-z0-9_-]+)'")
        .unwrap()
        .captures(csp)
        .unwrap_or_else(|| panic!("no nonce in {csp}"))[1]
        .to_owned()
}

/// Every header a portal answer must carry; `what` names it in failures.
#[track_caller]
fn assert_portal_headers(loaded: &Loaded, what: &str, html_or_api: bool) {
    let csp = header(loaded, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "style-src 'self'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing in {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains(" 'unsafe-eval'"), "{what}: {csp}");
    assert_eq!(nonce_of(loaded).len(), 22, "{what}: a 128-bit nonce");
    assert_eq!(
        header(loaded, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(loaded, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(loaded, "referrer-policy"),
        Some("same-origin"),
        "{what}"
    );
    let permissions = header(loaded, "permissions-policy").unwrap_or_else(|| panic!("{what}"));
    assert!(permissions.contains("camera=()"), "{what}: {permissions}");
    assert_eq!(
        header(loaded, "strict-transport-security"),
        None,
        "{what}: no HSTS on an http public URL"
    );
    if html_or_api {
        assert_eq!(header(loaded, "cache-control"), Some("no-store"), "{what}");
    }
}

/// Every `<script …>` tag in `html` carries `nonce`, and none has another.
#[track_caller]
fn assert_scripts_carry(html: &str, nonce: &str, what: &str) -> usize {
    let tags = Regex::new(r"(?i)<script\b[^>]*>").unwrap();
    let nonce_attr = Regex::new(r#"\snonce="([^"]*)""#).unwrap();
    let mut count = 0;
    for tag in tags.find_iter(html) {
        let tag = tag.as_str();
        let found = nonce_attr
            .captures(tag)
            .unwrap_or_else(|| panic!("{what}: a script without the nonce: {tag}"));
        assert_eq!(&found[1], nonce, "{what}: {tag}");
        count += 1;
    }
    assert!(
        !Regex::new(r#"<[^>]+\son[a-z]+="#).unwrap().is_match(html),
        "{what}: an inline event handler"
    );
    count
}

#[tokio::test]
async fn every_portal_answer_has_the_security_headers() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let session = owner.browser.session_cookie().expect("signed in");
    let session = Some(session.as_str());

    let members = format!("/w/{ws}/members");
    let integrations = format!("/w/{ws}/e/development/integrations");
    let connections = format!("/w/{ws}/e/development/connections");
    let no_connection = format!("/w/{ws}/e/development/connections/nope");
    let pages = [
        ("/sign-in", None, StatusCode::OK),
        ("/setup?token=not-a-token", None, StatusCode::OK),
        (
            "/invitations/accept?token=not-a-token",
            None,
            StatusCode::OK,
        ),
        ("/no-such-page", None, StatusCode::NOT_FOUND),
        ("/w/not-a-workspace/members", session, StatusCode::NOT_FOUND),
        (members.as_str(), session, StatusCode::OK),
        (integrations.as_str(), session, StatusCode::OK),
        (connections.as_str(), session, StatusCode::OK),
        (no_connection.as_str(), session, StatusCode::NOT_FOUND),
        ("/preferences", session, StatusCode::OK),
    ];
    for (path, session, status) in pages {
        let loaded = page(&app, path, session).await;
        assert_eq!(loaded.status, status, "{path}: {}", loaded.body);
        assert_portal_headers(&loaded, path, true);
        let scripts = assert_scripts_carry(&loaded.body, &nonce_of(&loaded), path);
        assert!(scripts >= 1, "{path}: the hydration script is there");
    }

    // Redirects (the sign-in guard), server functions answering and refusing,
    // and the same-origin check's refusal.
    let redirected = page(&app, "/workspaces", None).await;
    assert_eq!(redirected.status, StatusCode::SEE_OTHER);
    assert_portal_headers(&redirected, "the sign-in redirect", false);
    let listed = call(&app, "workspaces/list", &[], session).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_portal_headers(&listed, "a server function", true);
    let refused = call(&app, "workspaces/list", &[], None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_portal_headers(&refused, "a refused server function", true);
    let cross_site = send(
        client()
            .post(app.url("/api/workspaces/create"))
            .header(ORIGIN, "https://evil.example")
            .form(&[("workspace_name", "Evil")]),
    )
    .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert_portal_headers(&cross_site, "a cross-site refusal", false);

    // The end user's pages keep their own policy; operations endpoints and the
    // wasm bundle are not portal answers.
    let bundle = send(client().get(app.url("/pkg/pinbridge.js"))).await;
    assert_ne!(
        header(&bundle, "cache-control"),
        Some("no-store"),
        "/pkg keeps its caching"
    );
    app.stop().await;
}

#[tokio::test]
async fn each_answer_has_its_own_nonce_on_every_inline_script() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let session = owner.browser.session_cookie().unwrap();
    let members = format!("/w/{}/members", owner.workspace_id);
    let mut seen = HashSet::new();
    for (path, session) in [
        ("/sign-in", None),
        ("/sign-in", None),
        (members.as_str(), Some(session.as_str())),
        (members.as_str(), Some(session.as_str())),
    ] {
        let loaded = page(&app, path, session).await;
        assert_eq!(loaded.status, StatusCode::OK, "{path}");
        let nonce = nonce_of(&loaded);
        assert!(seen.insert(nonce.clone()), "{path}: a nonce used twice");
        // A page rendered with data hands it to the browser in inline scripts
        // of its own: they carry the nonce too.
        let scripts = assert_scripts_carry(&loaded.body, &nonce, path);
        if session.is_some() {
            assert!(
                scripts >= 2,
                "{path}: the bootstrap and the page's data ({scripts})"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_public_url_is_https() {
    let app = TestApp::spawn_with(&["--public-url", "https://bridge.example.com"]).await;
    let loaded = page(&app, "/sign-in", None).await;
    assert_eq!(loaded.status, StatusCode::OK);
    assert_eq!(
        header(&loaded, "strict-transport-security"),
        Some("max-age=31536000")
    );
    let api = call(&app, "workspaces/list", &[], None).await;
    assert_eq!(
        header(&api, "strict-transport-security"),
        Some("max-age=31536000")
    );
    // The end user's pages too: they may be the only ones an end user sees.
    for path in ["/connect/not-a-link", "/integration-callback"] {
        let loaded = page(&app, path, None).await;
        assert_eq!(
            header(&loaded, "strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    app.stop().await;

    let app = TestApp::spawn().await;
    let loaded = page(&app, "/sign-in", None).await;
    assert_eq!(header(&loaded, "strict-transport-security"), None);
    let loaded = page(&app, "/connect/not-a-link", None).await;
    assert_eq!(header(&loaded, "strict-transport-security"), None);
    app.stop().await;
}

#[tokio::test]
async fn the_end_user_pages_carry_their_own_policy_and_the_common_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/connect/not-a-link",
        "/integration-callback?state=x&code=y",
    ] {
        let loaded = page(&app, path, None).await;
        assert!(loaded.status.is_client_error(), "{path}: {}", loaded.status);
        let csp = header(&loaded, "content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        // Not `form-action`: Chrome applies it to the redirect to Pinterest.
        assert!(!csp.contains("form-action"), "{path}: {csp}");
        assert_eq!(header(&loaded, "x-content-type-options"), Some("nosniff"));
        assert!(
            header(&loaded, "permissions-policy").is_some_and(|p| p.contains("camera=()")),
            "{path}"
        );
        assert_eq!(header(&loaded, "cache-control"), Some("no-store"), "{path}");
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Refused forms without JavaScript

async fn session_rows(app: &TestApp) -> Vec<String> {
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, Vec<u8>>("select data from sessions").fetch_all(pool).await
    })
    .unwrap()
    .into_iter()
    .map(|data| String::from_utf8_lossy(&data).into_owned())
    .collect()
}

/// A form sent as a browser with JavaScript off sends it, from `from`.
async fn plain_post(
    app: &TestApp,
    endpoint: &str,
    from: &str,
    form: &[(&str, &str)],
    cookies: Option<&str>,
) -> Loaded {
    let mut request = client()
        .post(app.url(&format!("/api/{endpoint}")))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(REFERER, app.url(from))
        .form(form);
    if let Some(cookies) = cookies {
        request = request.header(COOKIE, cookies);
    }
    send(request).await
}

/// The flash cookie a refused form left, as `name=value`.
fn flash_cookie(loaded: &Loaded) -> Option<String> {
    loaded
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("pinbridge_form="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn refused_plain_posts_from_visitors_without_a_session_create_no_session() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let before = session_rows(&app).await;
    assert_eq!(before.len(), 1, "the owner's own session");

    let big = "b".repeat(60 * 1024);
    let posts = [
        (
            "auth/sign-in",
            "/sign-in",
            vec![
                ("email", "owner@alpha.example"),
                ("password", "wrong wrong wrong 1"),
                ("junk", &big),
            ],
        ),
        (
            "auth/setup",
            "/setup?token=x",
            vec![
                ("token", "not-a-token"),
                ("workspace_name", &big),
                ("display_name", "Mallory"),
                ("email", "m@example.com"),
                ("password", "short"),
            ],
        ),
        (
            "invitations/accept",
            "/invitations/accept?token=x",
            vec![
                ("token", "not-a-token"),
                ("display_name", &big),
                ("password", "pw"),
            ],
        ),
        (
            "workspaces/create",
            "/workspaces",
            vec![("workspace_name", &big)],
        ),
        (
            "environments/add",
            "/w/x/environments",
            vec![("workspace", ws), ("environment_name", &big)],
        ),
        (
            "members/invite",
            "/w/x/members",
            vec![("workspace", ws), ("email", &big), ("role", "admin")],
        ),
        (
            "pinterest/save",
            "/w/x/e/development/integrations/pinterest",
            vec![
                ("workspace", ws),
                ("client_id", &big),
                ("client_secret", &big),
            ],
        ),
    ];
    for (endpoint, from, form) in &posts {
        let answer = plain_post(&app, endpoint, from, form, None).await;
        assert!(
            answer.status.is_redirection(),
            "{endpoint}: {}",
            answer.status
        );
        let location = header(&answer, "location").unwrap();
        assert!(
            location.contains("__err="),
            "{endpoint}: refused ({location})"
        );
        assert!(
            !answer
                .headers
                .get_all(SET_COOKIE)
                .iter()
                .any(|c| c.to_str().unwrap().starts_with(SESSION_COOKIE)),
            "{endpoint}: no session cookie"
        );
        if let Some(kept) = flash_cookie(&answer) {
            assert!(kept.len() <= 4096, "{endpoint}: {} bytes kept", kept.len());
            assert!(
                !kept.contains("bbbbbbbbbb"),
                "{endpoint}: the oversized field is left out"
            );
        }
        // The same, as the page's code sends it.
        let answer = call(&app, endpoint, form, None).await;
        assert!(
            answer.status.is_client_error(),
            "{endpoint}: {}",
            answer.status
        );
        assert!(answer.headers.get(SET_COOKIE).is_none(), "{endpoint}");
    }
    assert_eq!(
        session_rows(&app).await,
        before,
        "no session was created or changed"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refused_plain_form_keeps_only_its_declared_fields_and_at_most_the_cap() {
    let app = TestApp::spawn().await;
    let owner: Owned = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let session = owner.browser.session_cookie().unwrap();
    let session_cookie = format!("{SESSION_COOKIE}={session}");
    let page_path = format!("/w/{ws}/environments");
    let rows_before = session_rows(&app).await;

    // 65 characters: refused; the extra fields are not the form's.
    let typed = format!("Staging-{}", "x".repeat(57));
    let undeclared = "undeclared-marker-".repeat(3000);
    let answer = plain_post(
        &app,
        "environments/add",
        &page_path,
        &[
            ("workspace", ws),
            ("environment_name", &typed),
            ("note", &undeclared),
            ("password", "never kept anywhere 1"),
        ],
        Some(&session_cookie),
    )
    .await;
    let location = header(&answer, "location").unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let kept = flash_cookie(&answer).expect("the typed name is kept");
    assert!(
        kept.len() <= 3 * 1024 + "pinbridge_form=".len(),
        "{} bytes",
        kept.len()
    );
    assert!(!kept.contains("undeclared-marker"), "{kept}");
    assert!(!kept.contains("never kept"), "{kept}");
    assert!(kept.contains("Staging-xxx"), "{kept}");
    let set = answer
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pinbridge_form="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=60"] {
        assert!(set.contains(attribute), "{set}");
    }
    // Nothing of the form went into the session.
    let rows = session_rows(&app).await;
    assert_eq!(rows.len(), rows_before.len());
    for row in &rows {
        assert!(
            !row.contains("Staging-xxx") && !row.contains("undeclared"),
            "{row}"
        );
    }

    // The next page load shows what was typed, once, and clears the cookie.
    let both = format!("{session_cookie}; {kept}");
    let first = send(
        client()
            .get(&location)
            .header(ACCEPT, "text/html")
            .header(COOKIE, &both),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains(&format!(r#"value="{typed}""#)));
    assert!(!first.body.contains("undeclared-marker"));
    let cleared = first
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pinbridge_form="))
        .expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // A value beyond the cap is left out (the form comes back without it).
    let huge = "y".repeat(5000);
    let answer = plain_post(
        &app,
        "environments/add",
        &page_path,
        &[("workspace", ws), ("environment_name", &huge)],
        Some(&session_cookie),
    )
    .await;
    assert!(header(&answer, "location").unwrap().contains("__err="));
    assert_eq!(
        flash_cookie(&answer),
        None,
        "nothing within the cap to keep"
    );

    // A forged cookie (another form's fields, an undeclared field, garbage)
    // shows nothing it should not, and breaks nothing.
    for forged in [
        "pinbridge_form=garbage%%%",
        "pinbridge_form=_action=%2Fapi%2Fenvironments%2Fadd&note=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "pinbridge_form=_action=%2Fapi%2Fauth%2Fsign-out&environment_name=Forged",
    ] {
        let loaded = send(
            client()
                .get(app.url(&page_path))
                .header(ACCEPT, "text/html")
                .header(COOKIE, format!("{session_cookie}; {forged}")),
        )
        .await;
        assert_eq!(loaded.status, StatusCode::OK, "{forged}");
        assert!(!loaded.body.contains("alert(1)"), "{forged}");
        assert!(!loaded.body.contains("Forged"), "{forged}");
    }
    app.stop().await;
}
