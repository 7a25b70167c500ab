//! Operator accounts over HTTP: setup links that expire, sign-ins with an
//! absolute lifetime, the account page (password, sessions), re-authentication
//! before the most sensitive actions, and two-factor sign-in.

use crate::common::TestApp;
use crate::common::portal::{BROWSER_AGENT, Browser, PASSWORD, join, provision, set_up};
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

// ---------------------------------------------------------------------------
// Re-authentication before the most sensitive actions

/// Makes every sign-in's last password entry `minutes` old.
async fn age_password_entry(app: &TestApp, minutes: i64) {
    execute(
        app,
        &format!(
            "update operator_sessions set authenticated_at = authenticated_at - {}",
            minutes * 60_000
        ),
    )
    .await;
}

const SECRET: &str = "f00dfacecafe0123456789abcdefdeadbeef4a7c";
const NEW_SECRET: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234zq9";

async fn save_pinterest(
    b: &Browser,
    ws: &str,
    env: &str,
    version: &str,
    secret: &str,
    password: Option<&str>,
) -> Result<app::models::PinterestSaved, AppError> {
    let mut form = vec![
        ("workspace", ws),
        ("environment_id", env),
        ("version", version),
        ("client_id", "1234567"),
        ("client_secret", secret),
        ("api", "production"),
        ("scopes[]", "user_accounts:read"),
        ("scopes[]", "boards:read"),
        ("scopes[]", "pins:read"),
    ];
    if let Some(p) = password {
        form.push(("reauth_password", p));
    }
    b.call("pinterest/save", &form).await
}

async fn environment_ids(owner: &crate::common::portal::Owned) -> Vec<(String, String)> {
    owner
        .browser
        .workspace(&owner.workspace_id)
        .await
        .unwrap()
        .environments
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect()
}

const REAUTH_MESSAGE: &str = "Enter your password to confirm: this action needs it when you signed in more than 15 minutes ago.";

#[tokio::test]
async fn deleting_an_environment_needs_the_password_again_when_the_sign_in_is_old() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let envs = environment_ids(&owner).await;
    let (dev_id, dev_name) = envs.iter().find(|(_, n)| n == "Development").unwrap();
    let delete = |password: Option<&'static str>| {
        let mut form = vec![
            ("workspace", ws),
            ("environment_id", dev_id.as_str()),
            ("confirm_name", dev_name.as_str()),
        ];
        if let Some(p) = password {
            form.push(("reauth_password", p));
        }
        let browser = &owner.browser;
        async move { browser.call::<()>("environments/delete", &form).await }
    };

    age_password_entry(&app, 14).await;
    // Still recent: 14 minutes. Add an environment to delete later instead.
    let staging: app::models::EnvironmentView = owner
        .browser
        .call(
            "environments/add",
            &[("workspace", ws), ("environment_name", "Staging")],
        )
        .await
        .unwrap();

    age_password_entry(&app, 2).await;
    let field = format!("reauth_password@{dev_id}");
    assert_eq!(invalid_field(delete(None).await, &field), REAUTH_MESSAGE);
    assert_eq!(
        invalid_field(delete(Some("")).await, &field),
        REAUTH_MESSAGE
    );
    let message = invalid_field(delete(Some("not the password")).await, &field);
    assert!(message.contains("This is not your password"), "{message}");
    assert_eq!(environment_ids(&owner).await.len(), 3, "nothing deleted");

    delete(Some(PASSWORD)).await.unwrap();
    assert_eq!(environment_ids(&owner).await.len(), 2);
    // The password renewed the sign-in: the next sensitive action goes through.
    owner
        .browser
        .call::<()>(
            "environments/delete",
            &[
                ("workspace", ws),
                ("environment_id", staging.id.as_str()),
                ("confirm_name", "Staging"),
            ],
        )
        .await
        .unwrap();
    let events = count(
        &app,
        "select count(*) from audit_events where action = 'session.reauthenticated'",
    )
    .await;
    assert_eq!(events, 1);
    app.stop().await;
}

#[tokio::test]
async fn replacing_the_pinterest_secret_or_deleting_the_integration_needs_a_recent_password() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let envs = environment_ids(&owner).await;
    let (env, env_name) = envs.iter().find(|(_, n)| n == "Development").unwrap();

    // Configuring the first secret, and saving without a new one, need nothing more.
    age_password_entry(&app, 60).await;
    let saved = save_pinterest(&owner.browser, ws, env, "0", SECRET, None)
        .await
        .unwrap();
    let version = saved.settings.version.to_string();
    save_pinterest(&owner.browser, ws, env, &version, "", None)
        .await
        .unwrap();

    let refused = save_pinterest(&owner.browser, ws, env, &version, NEW_SECRET, None).await;
    assert_eq!(invalid_field(refused, "reauth_password"), REAUTH_MESSAGE);
    invalid_field(
        save_pinterest(
            &owner.browser,
            ws,
            env,
            &version,
            NEW_SECRET,
            Some("wrong guess"),
        )
        .await,
        "reauth_password",
    );
    let delete = |password: Option<&'static str>| {
        let mut form = vec![
            ("workspace", ws),
            ("environment_id", env.as_str()),
            ("confirm_name", env_name.as_str()),
        ];
        if let Some(p) = password {
            form.push(("reauth_password", p));
        }
        let browser = &owner.browser;
        async move { browser.call::<String>("pinterest/delete", &form).await }
    };
    assert_eq!(
        invalid_field(delete(None).await, "reauth_password"),
        REAUTH_MESSAGE
    );
    let still_first = count(
        &app,
        "select count(*) from pinterest_settings where version = 1",
    )
    .await;
    assert_eq!(still_first, 1, "the secret was not replaced");

    save_pinterest(
        &owner.browser,
        ws,
        env,
        &version,
        NEW_SECRET,
        Some(PASSWORD),
    )
    .await
    .unwrap();
    delete(None).await.unwrap();
    assert_eq!(
        count(&app, "select count(*) from pinterest_settings").await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn changes_that_make_or_unmake_owners_need_a_recent_password() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (_, admin) = join(&app, &owner.browser, ws, "ada@alpha.example", "admin").await;
    let (_, second) = join(&app, &owner.browser, ws, "bo@alpha.example", "owner").await;
    age_password_entry(&app, 16).await;
    let row = |id: &str| format!("reauth_password@{id}");

    // Not about owners: no password asked.
    owner
        .browser
        .call::<()>(
            "members/change-role",
            &[
                ("workspace", ws),
                ("operator_id", admin.as_str()),
                ("role", "viewer"),
            ],
        )
        .await
        .unwrap();
    let invite = |role: &'static str, password: Option<&'static str>| {
        let mut form = vec![
            ("workspace", ws),
            ("email", "new@alpha.example"),
            ("role", role),
        ];
        if let Some(p) = password {
            form.push(("reauth_password", p));
        }
        let browser = &owner.browser;
        async move {
            browser
                .call::<app::models::IssuedInvitation>("members/invite", &form)
                .await
        }
    };
    assert_eq!(
        invalid_field(invite("owner", None).await, "reauth_password"),
        REAUTH_MESSAGE
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from invitations where role = 'owner' and accepted_at is null"
        )
        .await,
        0
    );

    let to_owner = owner
        .browser
        .call::<()>(
            "members/change-role",
            &[
                ("workspace", ws),
                ("operator_id", admin.as_str()),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(invalid_field(to_owner, &row(&admin)), REAUTH_MESSAGE);
    let demote = owner
        .browser
        .call::<()>(
            "members/change-role",
            &[
                ("workspace", ws),
                ("operator_id", second.as_str()),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(invalid_field(demote, &row(&second)), REAUTH_MESSAGE);
    let remove = owner
        .browser
        .call::<()>(
            "members/remove",
            &[("workspace", ws), ("operator_id", second.as_str())],
        )
        .await;
    assert_eq!(invalid_field(remove, &row(&second)), REAUTH_MESSAGE);
    assert_eq!(
        count(
            &app,
            "select count(*) from memberships where role = 'owner'"
        )
        .await,
        2,
        "nothing changed"
    );

    owner
        .browser
        .call::<()>(
            "members/remove",
            &[
                ("workspace", ws),
                ("operator_id", second.as_str()),
                ("reauth_password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "select count(*) from memberships where role = 'owner'"
        )
        .await,
        1
    );
    invite("owner", None).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn without_javascript_the_password_prompt_appears_and_the_action_then_proceeds() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let envs = environment_ids(&owner).await;
    let (dev_id, dev_name) = envs.iter().find(|(_, n)| n == "Development").unwrap();
    age_password_entry(&app, 30).await;
    let from = format!("/w/{ws}/environments");
    let refused = owner
        .browser
        .plain_post(
            "environments/delete",
            &from,
            &[
                ("workspace", ws),
                ("environment_id", dev_id),
                ("confirm_name", dev_name),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let page = owner.browser.page(refused.location()).await;
    assert!(
        page.body.contains(r#"name="reauth_password""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Enter your password to confirm"),
        "{}",
        page.body
    );
    assert_eq!(environment_ids(&owner).await.len(), 2);

    let done = owner
        .browser
        .plain_post(
            "environments/delete",
            &from,
            &[
                ("workspace", ws),
                ("environment_id", dev_id),
                ("confirm_name", dev_name),
                ("reauth_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND);
    assert!(!done.location().contains("__err"), "{}", done.location());
    assert_eq!(environment_ids(&owner).await.len(), 1);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Two-factor sign-in

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The authenticator app: TOTP from the key the account page shows.
fn authenticator(secret: &str) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("test")
        .build()
        .unwrap()
}

fn code_at(app_: &totp_rs::Totp, secs: u64) -> String {
    app_.generate(secs).to_string()
}

/// Turns two-factor sign-in on for the browser's operator; answers the
/// authenticator, the second the confirming code was made for, and the recovery codes.
async fn enrol(browser: &Browser) -> (totp_rs::Totp, u64, Vec<String>) {
    browser
        .call::<()>("account/two-factor/start", &[])
        .await
        .unwrap();
    let pending = account(browser).await.unwrap().two_factor.pending.unwrap();
    let app_ = authenticator(&pending.secret);
    let at = now_secs();
    let codes: Vec<String> = browser
        .call(
            "account/two-factor/confirm",
            &[("code", &code_at(&app_, at))],
        )
        .await
        .unwrap();
    (app_, at, codes)
}

/// Signs in with the password, which must then ask for a code.
async fn password_step(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new(app);
    let answer = browser
        .post("auth/sign-in", &[("email", email), ("password", PASSWORD)])
        .await;
    answer.decode::<()>().unwrap();
    assert_eq!(answer.location(), "/sign-in/code");
    browser
}

async fn send_code(browser: &Browser, code: &str) -> Result<(), AppError> {
    browser.call("auth/sign-in-code", &[("code", code)]).await
}

#[tokio::test]
async fn enrolment_takes_effect_only_after_a_correct_code_then_sign_in_asks_for_one() {
    crate::common::logs::captured();
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let page = owner.browser.page("/account").await;
    assert!(
        page.body.contains("Set up two-factor sign-in"),
        "{}",
        page.body
    );

    owner
        .browser
        .call::<()>("account/two-factor/start", &[])
        .await
        .unwrap();
    let view = account(&owner.browser).await.unwrap().two_factor;
    assert!(!view.enabled);
    let pending = view.pending.unwrap();
    assert!(
        pending.qr_svg.starts_with("<svg") && pending.qr_svg.ends_with("</svg>"),
        "{}",
        pending.qr_svg
    );
    let page = owner.browser.page("/account").await;
    assert!(page.body.contains("<svg"), "the page shows the QR code");
    assert!(page.body.contains(&pending.secret), "and the key as text");
    let app_ = authenticator(&pending.secret);

    // A wrong or malformed code turns nothing on.
    let wrong = code_at(&app_, now_secs() - 3_600);
    for bad in [wrong.as_str(), "12345", "abcdef", ""] {
        let result: Result<Vec<String>, AppError> = owner
            .browser
            .call("account/two-factor/confirm", &[("code", bad)])
            .await;
        invalid_field(result, "code");
    }
    assert!(!account(&owner.browser).await.unwrap().two_factor.enabled);
    Browser::new(&app)
        .sign_in(&owner.email, PASSWORD)
        .await
        .expect("no code asked before enrolment is confirmed");

    let at = now_secs();
    let codes: Vec<String> = owner
        .browser
        .call(
            "account/two-factor/confirm",
            &[("code", &code_at(&app_, at))],
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let view = account(&owner.browser).await.unwrap().two_factor;
    assert!(view.enabled && view.pending.is_none());
    assert_eq!(view.recovery_codes_left, 10);

    // Signing in now stops after the password: not signed in until the code.
    let browser = password_step(&app, &owner.email).await;
    assert_eq!(browser.workspace(ws).await, Err(AppError::Unauthenticated));
    let page = browser.page("/sign-in/code").await;
    assert!(page.body.contains(r#"name="code""#), "{}", page.body);
    assert!(page.body.contains(r#"autocomplete="one-time-code""#));
    // The code that confirmed enrolment was used: it does not work again.
    let message = invalid_field(send_code(&browser, &code_at(&app_, at)).await, "code");
    assert!(message.contains("used already"), "{message}");
    let answer = browser
        .post("auth/sign-in-code", &[("code", &code_at(&app_, at + 30))])
        .await;
    answer.decode::<()>().unwrap();
    assert_eq!(
        answer.location(),
        format!("/w/{ws}/e/development/integrations")
    );
    assert!(browser.workspace(ws).await.is_ok());

    // Neither the key nor a recovery code is in any audit record or log line.
    let records: Vec<(String, String, String)> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_as("select action, target, detail from audit_events").fetch_all(pool).await
    })
    .unwrap();
    assert!(records.iter().any(|r| r.0 == "account.two_factor_enabled"));
    let logged = crate::common::logs::captured();
    let sealed: String = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select secret_sealed from operator_totp").fetch_one(pool).await
    })
    .unwrap();
    assert!(
        !sealed.contains(&pending.secret),
        "the key is stored sealed"
    );
    for secret in std::iter::once(&pending.secret).chain(codes.iter()) {
        assert!(!logged.contains(secret.as_str()), "{secret} logged");
        assert!(
            !format!("{records:?}").contains(secret.as_str()),
            "{secret} audited"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn wrong_codes_are_limited_per_pending_sign_in() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let (app_, _, _) = enrol(&owner.browser).await;
    let browser = password_step(&app, &owner.email).await;
    let wrong = code_at(&app_, now_secs() - 7_200);
    for left in (1..=4).rev() {
        let message = invalid_field(send_code(&browser, &wrong).await, "code");
        assert!(message.contains(&format!("{left} attempt")), "{message}");
    }
    match send_code(&browser, &wrong).await {
        Err(AppError::Refused(message)) => assert!(message.contains("sign in again"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Even the right code is refused now: the password must be typed again.
    let right = code_at(&app_, now_secs() + 30);
    assert!(matches!(
        send_code(&browser, &right).await,
        Err(AppError::Refused(_))
    ));
    assert_eq!(
        browser.workspace(&owner.workspace_id).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'session.two_factor_failed'"
        )
        .await,
        5
    );
    let again = password_step(&app, &owner.email).await;
    send_code(&again, &right).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn starting_the_sign_in_over_buys_no_more_code_guesses() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let (app_, _, _) = enrol(&owner.browser).await;
    let signed_in = "select count(*) from audit_events where action = 'session.signed_in'";
    let before = count(&app, signed_in).await;
    let wrong = code_at(&app_, now_secs() - 7_200);
    // Someone who knows the password types wrong codes, starting the sign-in
    // over (from a fresh browser) whenever it ends: ten codes are free for the
    // account, wherever they come from, and the eleventh is checked.
    let mut browser = password_step(&app, &owner.email).await;
    for typed in 1..=11 {
        if typed % 5 == 1 && typed > 1 {
            browser = password_step(&app, &owner.email).await;
        }
        let r = send_code(&browser, &wrong).await;
        assert!(
            !matches!(r, Err(AppError::Throttled { .. }) | Ok(())),
            "{typed}: {r:?}"
        );
    }
    // The twelfth, even right, waits: 429 with the wait, and no sign-in.
    let browser = password_step(&app, &owner.email).await;
    let right = code_at(&app_, now_secs() + 30);
    match send_code(&browser, &right).await {
        Err(AppError::Throttled {
            retry_after_secs, ..
        }) => assert!(retry_after_secs >= 1),
        other => panic!("expected a wait, got {other:?}"),
    }
    assert_eq!(
        browser.workspace(&owner.workspace_id).await,
        Err(AppError::Unauthenticated)
    );
    // A password alone is not a sign-in: none was recorded.
    assert_eq!(count(&app, signed_in).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let (_, _, codes) = enrol(&owner.browser).await;
    let browser = password_step(&app, &owner.email).await;
    // Typed in capitals and without the dash, it still counts.
    let typed = codes[3].to_uppercase().replace('-', "");
    send_code(&browser, &typed).await.unwrap();
    assert!(browser.workspace(&owner.workspace_id).await.is_ok());
    assert_eq!(
        account(&browser)
            .await
            .unwrap()
            .two_factor
            .recovery_codes_left,
        9
    );
    let other = password_step(&app, &owner.email).await;
    invalid_field(send_code(&other, &codes[3]).await, "code");
    send_code(&other, &codes[4]).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    enrol(&owner.browser).await;
    let result: Result<(), AppError> = owner
        .browser
        .call(
            "account/two-factor/disable",
            &[("password", "not the password")],
        )
        .await;
    invalid_field(result, "password");
    assert!(account(&owner.browser).await.unwrap().two_factor.enabled);
    owner
        .browser
        .call::<()>("account/two-factor/disable", &[("password", PASSWORD)])
        .await
        .unwrap();
    assert!(!account(&owner.browser).await.unwrap().two_factor.enabled);
    Browser::new(&app)
        .sign_in(&owner.email, PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        count(&app, "select count(*) from operator_recovery_codes").await,
        0
    );
    app.stop().await;
}

async fn require(browser: &Browser, ws: &str, on: bool) -> Result<bool, AppError> {
    let mut form = vec![("workspace", ws)];
    if on {
        form.push(("required", "true"));
    }
    browser.call("workspaces/two-factor", &form).await
}

#[tokio::test]
async fn owners_can_require_two_factor_and_members_without_it_are_sent_to_enrol() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (member, _) = join(&app, &owner.browser, ws, "ada@alpha.example", "admin").await;
    // An owner without it cannot require it (they would lock themselves out); an admin never.
    assert!(matches!(
        require(&owner.browser, ws, true).await,
        Err(AppError::Refused(_))
    ));
    assert_eq!(require(&member, ws, true).await, Err(AppError::Forbidden));
    enrol(&owner.browser).await;
    assert!(require(&owner.browser, ws, true).await.unwrap());

    // The member without two-factor is sent to their account page.
    let page = member.page(&format!("/w/{ws}/members")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/account?two_factor_required=1");
    // Someone who is not a member (and has no two-factor either) is not told the
    // workspace's rule: the workspace is not found, as any other tenant's.
    let outsider = provision(&app, "Beta", "bo@beta.example").await;
    let page = outsider.browser.page(&format!("/w/{ws}/members")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("two-factor"), "{}", page.body);
    match member.workspace(ws).await {
        Err(AppError::Refused(message)) => assert!(message.contains("two-factor"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let view = account(&member).await.unwrap();
    assert_eq!(view.two_factor.required_by, vec!["Alpha".to_owned()]);
    let page = member.page("/account?two_factor_required=1").await;
    assert!(
        page.body.replace("<!>", "").contains("Required by Alpha"),
        "{}",
        page.body
    );

    // Once enrolled, the workspace opens; turning it off is refused while required.
    enrol(&member).await;
    assert!(member.workspace(ws).await.is_ok());
    assert_eq!(
        member.page(&format!("/w/{ws}/members")).await.status,
        StatusCode::OK
    );
    assert!(matches!(
        member
            .call::<()>("account/two-factor/disable", &[("password", PASSWORD)])
            .await,
        Err(AppError::Refused(_))
    ));
    assert!(!require(&owner.browser, ws, false).await.unwrap());
    assert_eq!(
        count(&app, "select count(*) from audit_events where action = 'workspace.two_factor_requirement_changed'").await,
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn two_factor_works_without_javascript_and_shows_recovery_codes_once() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let b = &owner.browser;
    let started = b
        .plain_post("account/two-factor/start", "/account", &[])
        .await;
    assert_eq!(started.status, StatusCode::FOUND);
    let secret = account(b).await.unwrap().two_factor.pending.unwrap().secret;
    let app_ = authenticator(&secret);

    let refused = b
        .plain_post("account/two-factor/confirm", "/account", &[("code", "12")])
        .await;
    let page = b.page(refused.location()).await;
    assert!(
        page.body.contains("Enter the 6-digit code"),
        "{}",
        page.body
    );

    let at = now_secs();
    let done = b
        .plain_post(
            "account/two-factor/confirm",
            "/account",
            &[("code", &code_at(&app_, at))],
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND);
    assert!(!done.location().contains("__err"), "{}", done.location());
    let page = b.page(done.location()).await;
    assert!(page.body.contains("shown only once"), "{}", page.body);
    let codes: Vec<String> = regex::Regex::new(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")
        .unwrap()
        .captures_iter(&page.body)
        .map(|c| c[1].to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", page.body);
    let again = b.page("/account").await;
    assert!(!again.body.contains(&codes[0]), "the codes are shown once");

    // Signing in without JavaScript: password, then the code page, then home.
    let other = Browser::new(&app);
    let answer = other
        .plain_post(
            "auth/sign-in",
            "/sign-in",
            &[("email", owner.email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(answer.location(), "/sign-in/code");
    let wrong = other
        .plain_post(
            "auth/sign-in-code",
            "/sign-in/code",
            &[("code", &code_at(&app_, at - 7_200))],
        )
        .await;
    let page = other.page(wrong.location()).await;
    assert!(page.body.contains("attempts left"), "{}", page.body);
    let right = other
        .plain_post("auth/sign-in-code", "/sign-in/code", &[("code", &codes[0])])
        .await;
    assert_eq!(
        right.location(),
        format!("/w/{}/e/development/integrations", owner.workspace_id)
    );
    assert!(other.workspace(&owner.workspace_id).await.is_ok());
    app.stop().await;
}

#[tokio::test]
async fn five_wrong_passwords_in_one_session_sign_it_out() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let laptop = Browser::new(&app);
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();
    // A right password in between starts the count again.
    for _ in 0..4 {
        invalid_field(
            change_password(&owner.browser, "guess guess guess", NEW_PASSWORD).await,
            "current_password",
        );
    }
    age_password_entry(&app, 20).await;
    let envs = environment_ids(&owner).await;
    let (dev, name) = envs.iter().find(|(_, n)| n == "Development").unwrap();
    let form = |password: &'static str| {
        vec![
            ("workspace", ws),
            ("environment_id", dev.as_str()),
            ("confirm_name", name.as_str()),
            ("reauth_password", password),
        ]
    };
    let wrong = owner
        .browser
        .call::<()>("environments/delete", &form("another guess"))
        .await;
    // Shown at the environment's row, as every refusal of that form is.
    let field = format!("@{dev}");
    assert_eq!(
        invalid_field(wrong, &field),
        "Too many wrong passwords: you were signed out. Sign in again."
    );
    assert_eq!(
        owner.browser.workspace(ws).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(environment_ids_of(&laptop, ws).await, 2, "nothing deleted");
    assert!(laptop.workspace(ws).await.is_ok(), "other sessions go on");

    // In another session the count starts at zero, and a right password resets it.
    for _ in 0..4 {
        invalid_field(
            change_password(&laptop, "guess guess guess", NEW_PASSWORD).await,
            "current_password",
        );
    }
    change_password(&laptop, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    invalid_field(
        change_password(&laptop, "guess guess guess", PASSWORD).await,
        "current_password",
    );
    assert!(laptop.workspace(ws).await.is_ok());
    app.stop().await;
}

async fn environment_ids_of(browser: &Browser, ws: &str) -> usize {
    browser.workspace(ws).await.unwrap().environments.len()
}

#[tokio::test]
async fn the_reauthentication_window_is_configurable() {
    let app = TestApp::spawn_with(&["--reauth-after-secs", "60"]).await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (dev, name) = environment_ids(&owner)
        .await
        .into_iter()
        .find(|(_, n)| n == "Development")
        .unwrap();
    execute(
        &app,
        "update operator_sessions set authenticated_at = authenticated_at - 61000",
    )
    .await;
    assert!(account(&owner.browser).await.unwrap().reauth_needed);
    let refused = owner
        .browser
        .call::<()>(
            "environments/delete",
            &[
                ("workspace", ws),
                ("environment_id", &dev),
                ("confirm_name", &name),
            ],
        )
        .await;
    assert_eq!(
        invalid_field(refused, &format!("reauth_password@{dev}")),
        "Enter your password to confirm: this action needs it when you signed in more than 1 minute ago."
    );
    app.stop().await;
}

#[tokio::test]
async fn a_password_change_also_ends_sign_ins_waiting_for_their_code() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let (app_, _, _) = enrol(&owner.browser).await;
    let waiting = password_step(&app, &owner.email).await;
    change_password(&owner.browser, PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    match send_code(&waiting, &code_at(&app_, now_secs() + 30)).await {
        Err(AppError::Refused(message)) => {
            assert!(message.contains("password changed"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        waiting.workspace(&owner.workspace_id).await,
        Err(AppError::Unauthenticated)
    );
    app.stop().await;
}
