//! The portal over HTTP, as a browser without JavaScript would use it.

use crate::common::TestApp;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION, REFERER, SET_COOKIE};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readyz_reports_the_database_and_503_when_it_is_gone() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");

    app.state().db.close().await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .starts_with("database unreachable"),
        "{body}"
    );
    app.stop().await;
}

/// Completes first-start setup over HTTP as the browser would, which signs this
/// client in; returns the new workspace's id.
async fn set_up_owner(app: &TestApp) -> String {
    let token = domain::accounts::setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url("/api/auth/setup"))
        .header("accept", "application/json")
        .form(&[
            ("token", token.expose()),
            ("workspace_name", "Acme"),
            ("display_name", "Ada Owner"),
            ("email", "ada@example.com"),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let name = domain::accounts::WorkspaceName::parse("Acme").unwrap();
    domain::accounts::workspaces::find_by_name(&app.state().db, &name)
        .await
        .unwrap()
        .expect("workspace created")
        .id
        .to_string()
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/sign-in");
    let (status, html) = app.get_text("/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sign in to pinbridge"));
    assert!(
        html.contains(r#"<meta name="referrer" content="same-origin""#),
        "tokens in addresses never leave as a referrer"
    );
    assert!(
        html.contains("pinbridge setup-link"),
        "with no owner yet, the sign-in page points to the setup link"
    );
    app.stop().await;
}

#[tokio::test]
async fn server_function_refusals_get_their_own_status() {
    let app = TestApp::spawn().await;
    let call = |path: &'static str, form: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(path))
            .header(ACCEPT, "application/json")
            .form(&form)
            .send()
    };
    // Signed out: 401, with the reason as JSON.
    let res = call("/api/workspaces/list", vec![]).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<app::errors::AppError>().await.unwrap(),
        app::errors::AppError::Unauthenticated
    );
    // Unknown credentials: 401, the same answer as for a wrong password.
    let res = call(
        "/api/auth/sign-in",
        vec![
            ("email", "nobody@example.com".into()),
            ("password", "wrong wrong wrong".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<app::errors::AppError>().await.unwrap(),
        app::errors::AppError::BadCredentials("Email or password is wrong.".into())
    );
    // Bad input: 422 naming the field.
    let token = domain::accounts::setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let res = call(
        "/api/auth/setup",
        vec![
            ("token", token.expose().to_owned()),
            ("workspace_name", "Acme".into()),
            ("display_name", "Ada".into()),
            ("email", "not-an-email".into()),
            ("password", "correct horse battery staple".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = res.json::<app::errors::AppError>().await.unwrap();
    assert_eq!(error.field(), Some("email"));
    app.stop().await;
}

#[tokio::test]
async fn installation_page_renders_the_frame_and_installation_facts() {
    let app = TestApp::spawn().await;
    let workspace = set_up_owner(&app).await;
    // Signed in, `/` opens the first environment of the first workspace.
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        res.headers()[LOCATION].to_str().unwrap(),
        format!("/w/{workspace}/e/development/integrations")
    );
    let (status, html) = app.get_text(&format!("/w/{workspace}/installation")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Installation"));
    // Header with the switchers, navigation and main area of the frame.
    assert!(html.contains(r#"class="topbar""#) && html.contains(r#"class="sidenav""#));
    assert!(html.contains(r#"<main id="main""#));
    assert!(html.contains("Acme") && html.contains("Development"));
    // The redirect URI is built from the public URL.
    assert!(
        html.contains(&format!("{}/integration-callback", app.base)),
        "{html}"
    );
    assert!(
        html.contains("loopback"),
        "warns that a loopback URL will not do in production"
    );
    let backend = app.state().db.backend().label();
    assert!(html.contains(backend));
    // The page's one interactive part, the copy button, is an island: the
    // bootstrap finds it and loads the wasm bundle for it.
    assert!(html.contains("/pkg/pinbridge.js") && html.contains("/pkg/pinbridge.css"));
    let island = html
        .split("<leptos-island")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .unwrap_or_else(|| panic!("a copy button island: {html}"));
    assert!(
        island.contains(r#"data-component="CopyButton_"#),
        "{island}"
    );
    assert!(
        island.contains("Copy redirect URI") && island.contains("integration-callback"),
        "the island's props: {island}"
    );
    assert_eq!(
        html.matches("<leptos-island").count(),
        1,
        "nothing else on the page is an island"
    );
    // The key id is shown; key material never is.
    assert!(html.contains("<code>k1</code>"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_get_the_404_page() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    assert!(
        html.contains(r#"class="topbar""#),
        "the 404 page keeps the portal frame"
    );
    app.stop().await;
}

/// Posts the preferences form as a browser with JavaScript off does.
async fn post_theme(app: &TestApp, theme: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/preferences/theme"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(REFERER, app.url("/preferences"))
        .form(&[("theme", theme)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preferences_form_works_without_javascript_and_lives_in_the_browser() {
    let app = TestApp::spawn().await;
    let (_, before) = app.get_text("/preferences").await;
    assert!(before.contains(r#"data-theme="system""#));

    let res = post_theme(&app, "dark").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()[LOCATION].to_str().unwrap();
    assert_eq!(location.trim_end_matches('?'), app.url("/preferences"));
    let cookies: Vec<_> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("pinbridge_theme=dark;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "no Secure flag over plain http: {cookie}"
    );

    let (_, after) = app.get_text("/preferences").await;
    assert!(
        after.contains(r#"data-theme="dark""#),
        "theme applied to the frame"
    );
    assert!(
        after.contains(r#"value="dark" checked"#),
        "the saved choice is selected"
    );

    // A visitor who is not signed in leaves nothing in pinbridge's database.
    let sessions: i64 = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select count(*) from sessions").fetch_one(pool).await
    })
    .unwrap();
    assert_eq!(sessions, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_choice_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    post_theme(&app, "light").await;
    let res = post_theme(&app, "purple").await;
    assert_eq!(res.status(), StatusCode::FOUND, "no 500 for bad input");
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.contains("__err="),
        "the error travels back to the form: {location}"
    );

    let (status, page) = app.get_text(location.trim_start_matches(&app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"data-theme="light""#),
        "previous choice kept"
    );
    assert!(
        page.contains("The form was not understood"),
        "a specific message is shown"
    );
    app.stop().await;
}

#[tokio::test]
async fn writes_from_another_origin_are_refused() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/api/preferences/theme"))
        .header("origin", "http://evil.example")
        .form(&[("theme", "dark")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, page) = app.get_text("/preferences").await;
    assert!(page.contains(r#"data-theme="system""#));
    app.stop().await;
}

#[tokio::test]
async fn the_primary_key_leaves_a_canary_and_no_key_material() {
    let app = TestApp::spawn().await;
    let rows = domain::db::repo::key_canaries::list(&app.state().db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key_id, "k1");
    assert!(rows[0].sealed.starts_with("pb1:k1:"));
    // The key itself (from the generated key file, or the test's inline key) is
    // nowhere in the stored canary.
    let key_file = app.db.dir.path().join("pinbridge.keys");
    let material = match std::fs::read_to_string(&key_file) {
        Ok(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("k1:"))
            .unwrap()
            .to_owned(),
        Err(_) => crate::common::key_spec(&[("k1", 1)])["k1:".len()..].to_owned(),
    };
    assert!(!rows[0].sealed.contains(&material));
    assert!(!rows[0].sealed.contains(material.trim_end_matches('=')));
    app.stop().await;
}

#[tokio::test]
async fn the_site_bundle_is_served_without_touching_the_session() {
    let app = TestApp::spawn().await;
    let pkg = app.db.dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("pinbridge.css"), "body{}").unwrap();
    post_theme(&app, "dark").await; // the client now holds a cookie
    app.state().db.close().await;
    let res = app
        .client
        .get(app.url("/pkg/pinbridge.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_eq!(res.text().await.unwrap(), "body{}");
    let res = app
        .client
        .get(app.url("/pkg/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn server_function_errors_never_carry_internals() {
    let app = TestApp::spawn().await;
    app.state().db.close().await;
    // A plain sign-in form: its attempt is counted in the (closed) database.
    let res = app
        .client
        .post(app.url("/api/auth/sign-in"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(REFERER, app.url("/sign-in"))
        .form(&[("email", "someone@example.com"), ("password", "a password")])
        .send()
        .await
        .unwrap();
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let (_, page) = app.get_text(location.trim_start_matches(&app.base)).await;
    assert!(page.contains("Something went wrong on our side"), "{page}");
    for internal in ["pool", "sqlx", "PoolClosed", "sqlite", "postgres"] {
        assert!(
            !page.to_lowercase().contains(&format!("error: {internal}")),
            "{internal}"
        );
    }
    app.stop().await;
}

/// A page load reads the session and leaves it as it is: it is written (its
/// inactivity expiry pushed on) on the first load after signing in, then not
/// again within the hour, however many pages are opened.
#[tokio::test]
async fn page_loads_renew_the_session_at_most_once_an_hour() {
    let app = TestApp::spawn().await;
    let owner = crate::common::portal::set_up(&app, "Acme", "owner@acme.test").await;
    let page = format!("/w/{}/e/development/integrations", owner.workspace_id);
    let expiry = || async {
        let rows: Vec<String> = domain::on_pool!(&app.state().db, pool => {
            sqlx::query_scalar("select cast(expiry_date as text) from sessions")
                .fetch_all(pool)
                .await
        })
        .unwrap();
        assert_eq!(rows.len(), 1, "one signed-in session");
        rows[0].clone()
    };
    let signed_in = expiry().await;

    // Expiry times are kept to the second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(owner.browser.page(&page).await.status, StatusCode::OK);
    let renewed = expiry().await;
    assert_ne!(renewed, signed_in, "the first page load renews the session");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..3 {
        assert_eq!(owner.browser.page(&page).await.status, StatusCode::OK);
    }
    assert_eq!(expiry().await, renewed, "later page loads did not write it");
    app.stop().await;
}
