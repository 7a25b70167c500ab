//! Operator accounts over HTTP: setup links that expire, sign-ins with an
//! absolute lifetime, the account page (password, sessions), re-authentication
//! before the most sensitive actions, and two-factor sign-in.

use crate::common::TestApp;
use crate::common::portal::{BROWSER_AGENT, Browser, PASSWORD, join, set_up};
use app::errors::AppError;
use app::models::{AccountView, PasswordChanged, SetupLinkState};
use reqwest::StatusCode;

/// Runs `sql` (no parameters) on the app's database.
async fn execute(app: &TestApp, sql: &str) {
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query(sql).execute(pool).await.map(|_| ())
    })
    .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await
    })
    .unwrap()
}

// ---------------------------------------------------------------------------
// Setup links

#[tokio::test]
async fn an_expired_setup_link_is_refused_and_creates_nothing() {
    use domain::accounts::setup;
    let app = TestApp::spawn().await;
    let token = setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let browser = Browser::new(&app);
    let state: SetupLinkState = browser
        .call("auth/setup-view", &[("token", token.expose())])
        .await
        .unwrap();
    assert_eq!(state, SetupLinkState::Open);

    execute(&app, "update setup_tokens set expires_at = created_at - 1").await;
    let state: SetupLinkState = browser
        .call("auth/setup-view", &[("token", token.expose())])
        .await
        .unwrap();
    assert_eq!(state, SetupLinkState::Expired);
    let page = browser
        .page(&format!("/setup?token={}", token.expose()))
        .await;
    assert!(
        page.body.contains("This setup link has expired"),
        "{}",
        page.body
    );

    let result: Result<(), AppError> = browser
        .call(
            "auth/setup",
            &[
                ("token", token.expose()),
                ("workspace_name", "Alpha"),
                ("display_name", "First Owner"),
                ("email", "owner@alpha.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    match result {
        Err(AppError::Refused(message)) => {
            assert!(message.contains("expired"), "{message}");
            assert!(message.contains("pinbridge setup-link"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(count(&app, "select count(*) from operators").await, 0);
    assert_eq!(count(&app, "select count(*) from workspaces").await, 0);
    assert_eq!(
        count(
            &app,
            "select count(*) from setup_tokens where used_at is null"
        )
        .await,
        1,
        "the refused attempt used up nothing"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Sessions: absolute lifetime

const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn a_session_past_its_absolute_lifetime_is_signed_out_although_active() {
    let app = TestApp::spawn_with(&["--session-lifetime-secs", "3600"]).await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let cookie = owner.browser.session_cookie().unwrap();
    assert_eq!(
        owner.browser.page("/workspaces").await.status,
        StatusCode::OK
    );

    // Active a minute ago, but signed in just over an hour ago.
    execute(
        &app,
        "update operator_sessions set signed_in_at = signed_in_at - 3601000",
    )
    .await;
    let page = owner.browser.page("/workspaces").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in?next=%2Fworkspaces");
    assert_eq!(
        owner.browser.workspace(&owner.workspace_id).await,
        Err(AppError::Unauthenticated)
    );
    let replayed = owner
        .browser
        .page_with_session("/workspaces", &cookie)
        .await;
    assert_eq!(
        replayed.status,
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
    assert_eq!(
        count(&app, "select count(*) from operator_sessions").await,
        0,
        "the ended sign-in is forgotten"
    );

    // Signing in again starts a new lifetime.
    owner.browser.sign_in(&owner.email, PASSWORD).await.unwrap();
    assert_eq!(
        owner.browser.page("/workspaces").await.status,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn the_default_lifetime_is_seven_days() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    execute(
        &app,
        &format!(
            "update operator_sessions set signed_in_at = signed_in_at - {}",
            6 * DAY_MS
        ),
    )
    .await;
    assert_eq!(
        owner.browser.page("/workspaces").await.status,
        StatusCode::OK
    );
    execute(
        &app,
        &format!(
            "update operator_sessions set signed_in_at = signed_in_at - {}",
            DAY_MS
        ),
    )
    .await;
    assert_eq!(
        owner.browser.page("/workspaces").await.status,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// The account page: password and sessions

async fn account(browser: &Browser) -> Result<AccountView, AppError> {
    browser.call("account/view", &[]).await
}

async fn change_password(
    browser: &Browser,
    current: &str,
    new: &str,
) -> Result<PasswordChanged, AppError> {
    browser
        .call(
            "account/change-password",
            &[("current_password", current), ("new_password", new)],
        )
        .await
}

#[track_caller]
fn invalid_field<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) -> String {
    match result {
        Err(AppError::Invalid {
            field: Some(f),
            message,
        }) if f == field => message,
        other => panic!("expected Invalid for {field}, got {other:?}"),
    }
}

const NEW_PASSWORD: &str = "copper harbour willow 88";

#[tokio::test]
async fn the_account_page_is_reachable_from_the_header_and_lists_this_session() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let frame = owner
        .browser
        .page(&format!("/w/{}/members", owner.workspace_id))
        .await;
    assert!(frame.body.contains(r#"href="/account""#), "{}", frame.body);
    let page = owner.browser.page("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Change password"), "{}", page.body);
    assert!(page.body.contains("This session"), "{}", page.body);
    assert!(page.body.contains(BROWSER_AGENT), "{}", page.body);
    assert!(page.body.contains("127.0.0.1"), "{}", page.body);

    let signed_out = Browser::new(&app);
    let page = signed_out.page("/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in?next=%2Faccount");
    assert_eq!(account(&signed_out).await, Err(AppError::Unauthenticated));
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let laptop = Browser::new(&app);
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();
    let hash_before = count(&app, "select count(*) from operators").await;
    let audit_before = count(&app, "select count(*) from audit_events").await;

    let message = invalid_field(
        change_password(&owner.browser, "not my password at all", NEW_PASSWORD).await,
        "current_password",
    );
    assert_eq!(message, "This is not your current password.");
    invalid_field(
        change_password(&owner.browser, "", NEW_PASSWORD).await,
        "current_password",
    );
    let message = invalid_field(
        change_password(&owner.browser, PASSWORD, "short").await,
        "new_password",
    );
    assert!(message.contains("12"), "{message}");
    invalid_field(
        change_password(&owner.browser, PASSWORD, "owner-owner-owner-1").await,
        "new_password",
    );

    assert_eq!(
        count(&app, "select count(*) from operators").await,
        hash_before
    );
    assert_eq!(
        count(&app, "select count(*) from audit_events").await,
        audit_before
    );
    assert_eq!(
        account(&laptop).await.unwrap().sessions.len(),
        2,
        "nobody was signed out"
    );
    let again = Browser::new(&app);
    again.sign_in(&owner.email, PASSWORD).await.unwrap();
    assert!(again.sign_in(&owner.email, NEW_PASSWORD).await.is_err());
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let laptop = Browser::new(&app);
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();
    let phone = Browser::new(&app);
    phone.sign_in(&owner.email, PASSWORD).await.unwrap();
    let (other, _) = join(&app, &owner.browser, ws, "carol@alpha.example", "admin").await;
    let laptop_cookie = laptop.session_cookie().unwrap();
    let before = owner.browser.session_cookie().unwrap();

    let done = change_password(&owner.browser, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    assert_eq!(done.sessions_ended, 2);

    // This browser continues, under a new session id; the old id is dead.
    let after = owner.browser.session_cookie().unwrap();
    assert_ne!(before, after);
    assert!(owner.browser.workspace(ws).await.is_ok());
    assert_eq!(
        owner
            .browser
            .page_with_session("/workspaces", &before)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let view = account(&owner.browser).await.unwrap();
    assert_eq!(view.sessions.len(), 1);
    assert!(view.sessions[0].current);

    // Every other browser of the owner is signed out; another operator is not.
    for browser in [&laptop, &phone] {
        assert_eq!(browser.workspace(ws).await, Err(AppError::Unauthenticated));
    }
    assert_eq!(
        laptop
            .page_with_session("/workspaces", &laptop_cookie)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(other.workspace(ws).await.is_ok());

    // The new password signs in; the old one does not.
    assert!(
        Browser::new(&app)
            .sign_in(&owner.email, PASSWORD)
            .await
            .is_err()
    );
    Browser::new(&app)
        .sign_in(&owner.email, NEW_PASSWORD)
        .await
        .unwrap();

    // Audited, without either password.
    let records: Vec<(String, String)> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_as("select action, detail from audit_events where action = 'account.password_changed'")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].1.contains("\"sessions_ended\":2"), "{records:?}");
    for body in owner.browser.bodies() {
        assert!(!body.contains(NEW_PASSWORD) && !body.contains(PASSWORD));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_plain_form_changes_the_password_and_says_so() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let refused = owner
        .browser
        .plain_post(
            "account/change-password",
            "/account",
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    let page = owner.browser.page(refused.location()).await;
    assert!(
        page.body.contains("This is not your current password."),
        "{}",
        page.body
    );
    assert!(!page.body.contains(NEW_PASSWORD));

    let done = owner
        .browser
        .plain_post(
            "account/change-password",
            "/account",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND);
    let page = owner.browser.page(done.location()).await;
    assert!(
        page.body.contains("Your password was changed."),
        "{}",
        page.body
    );
    app.stop().await;
}

#[tokio::test]
async fn an_operator_ends_their_other_sessions_one_or_all_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let laptop = Browser::new(&app);
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();
    let phone = Browser::new(&app);
    phone.sign_in(&owner.email, PASSWORD).await.unwrap();
    let (carol, _) = join(&app, &owner.browser, ws, "carol@alpha.example", "admin").await;

    let view = account(&owner.browser).await.unwrap();
    assert_eq!(view.sessions.len(), 3);
    assert_eq!(view.sessions.iter().filter(|s| s.current).count(), 1);
    let laptop_id = account(&laptop)
        .await
        .unwrap()
        .sessions
        .into_iter()
        .find(|s| s.current)
        .unwrap()
        .id;
    let mine = view.sessions.iter().find(|s| s.current).unwrap().id.clone();

    // Carol cannot end the owner's session, whatever id she sends.
    for id in [laptop_id.as_str(), "not-an-id", ""] {
        assert_eq!(
            carol
                .call::<()>("account/end-session", &[("session_id", id)])
                .await,
            Err(AppError::NotFound),
            "{id}"
        );
    }
    assert!(laptop.workspace(ws).await.is_ok());
    // One's own current session is ended by signing out.
    assert!(matches!(
        owner
            .browser
            .call::<()>("account/end-session", &[("session_id", mine.as_str())])
            .await,
        Err(AppError::Refused(_))
    ));

    owner
        .browser
        .call::<()>("account/end-session", &[("session_id", laptop_id.as_str())])
        .await
        .unwrap();
    assert_eq!(laptop.workspace(ws).await, Err(AppError::Unauthenticated));
    assert!(phone.workspace(ws).await.is_ok());
    assert_eq!(
        owner
            .browser
            .call::<()>("account/end-session", &[("session_id", laptop_id.as_str())])
            .await,
        Err(AppError::NotFound),
        "already ended"
    );

    let ended: u64 = owner
        .browser
        .call("account/end-other-sessions", &[])
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(phone.workspace(ws).await, Err(AppError::Unauthenticated));
    assert!(owner.browser.workspace(ws).await.is_ok());
    assert!(
        carol.workspace(ws).await.is_ok(),
        "another operator's sessions stay"
    );
    assert_eq!(
        count(&app, "select count(*) from audit_events where action in ('session.ended', 'session.others_ended')").await,
        2
    );
    app.stop().await;
}
