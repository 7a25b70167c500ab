//! Operator accounts over HTTP: setup links that expire, sign-ins with an
//! absolute lifetime, the account page (password, sessions), re-authentication
//! before the most sensitive actions, and two-factor sign-in.

use crate::common::TestApp;
use crate::common::portal::{Browser, PASSWORD};
use app::errors::AppError;
use app::models::SetupLinkState;

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
