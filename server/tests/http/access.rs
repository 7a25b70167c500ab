//! Operators, workspaces, environments, roles and the audit log over HTTP, as
//! the portal's pages use them: tenancy, roles, setup, invitations, sessions,
//! sign-in throttling, the audit log, bad input and forms without JavaScript.

use std::time::Duration;

use crate::common::TestApp;
use crate::common::portal::{
    BROWSER_AGENT, Browser, Owned, PASSWORD, invite, join, provision, set_up, token_of,
};
use app::errors::AppError;
use app::models::{
    AuditEntryView, AuditView, EnvironmentView, IntegrationsView, InvitationView, MembersView,
    OperatorView, Role, SetupLinkState, SignInView, WorkspaceSummary,
};
use reqwest::StatusCode;

type Form<'a> = Vec<(&'a str, &'a str)>;

/// What a workspace holds, read from the database, to show that a refused
/// request changed nothing.
#[derive(Debug, PartialEq)]
struct Tenant {
    environments: Vec<(String, String, String)>,
    members: Vec<(String, String)>,
    pending_invitations: Vec<(String, String, String)>,
    audit_events: i64,
}

async fn tenant(app: &TestApp, workspace: &str) -> Tenant {
    use domain::db::repo;
    let db = &app.state().db;
    let ws = domain::accounts::WorkspaceId::parse(workspace).unwrap();
    let environments = repo::environments::list(db, &ws)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id.to_string(), e.name, e.slug))
        .collect();
    let members = repo::memberships::list(db, &ws)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.operator_id.to_string(), m.role.as_str().to_owned()))
        .collect();
    let pending_invitations = repo::invitations::list_pending(db, &ws)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.id.to_string(), i.email, i.role.as_str().to_owned()))
        .collect();
    let audit_events = domain::on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>("select count(*) from audit_events where workspace_id = $1")
            .bind(workspace)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    Tenant {
        environments,
        members,
        pending_invitations,
        audit_events,
    }
}

async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let sql = format!("select count(*) from {table}");
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await
    })
    .unwrap()
}

/// The message of an `Invalid` error for `field`; fails on anything else.
#[track_caller]
fn invalid<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) -> String {
    match result {
        Err(AppError::Invalid {
            field: Some(f),
            message,
        }) if f == field => message,
        other => panic!("expected Invalid for {field}, got {other:?}"),
    }
}

/// The message of a `Refused` error; fails on anything else.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
    match result {
        Err(AppError::Refused(message)) => message,
        other => panic!("expected Refused, got {other:?}"),
    }
}

const BAD_CREDENTIALS: &str = "Email or password is wrong.";

/// A refused sign-in's message: wrong credentials or too many attempts.
fn sign_in_refused(result: Result<(), AppError>) -> String {
    match result {
        Err(AppError::BadCredentials(message)) => message,
        Err(AppError::Throttled { message, .. }) => message,
        other => panic!("expected a refused sign-in, got {other:?}"),
    }
}

async fn environments(owner: &Owned) -> Vec<EnvironmentView> {
    owner
        .browser
        .workspace(&owner.workspace_id)
        .await
        .unwrap()
        .environments
}

async fn add_environment(by: &Browser, ws: &str, name: &str) -> Result<EnvironmentView, AppError> {
    by.call(
        "environments/add",
        &[("workspace", ws), ("environment_name", name)],
    )
    .await
}

async fn delete_environment(by: &Browser, ws: &str, id: &str, typed: &str) -> Result<(), AppError> {
    by.call(
        "environments/delete",
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("confirm_name", typed),
        ],
    )
    .await
}

async fn change_role(by: &Browser, ws: &str, operator: &str, role: &str) -> Result<(), AppError> {
    by.call(
        "members/change-role",
        &[("workspace", ws), ("operator_id", operator), ("role", role)],
    )
    .await
}

async fn members(by: &Browser, ws: &str) -> Result<MembersView, AppError> {
    by.call("members/list", &[("workspace", ws)]).await
}

async fn audit(by: &Browser, form: &[(&str, &str)]) -> Result<AuditView, AppError> {
    by.call("audit/list", form).await
}

// ---------------------------------------------------------------------------
// Tenancy

#[tokio::test]
async fn ids_of_another_workspace_are_not_found_by_any_server_function() {
    let app = TestApp::spawn().await;
    let a = set_up(&app, "Alpha", "owner@alpha.example").await;
    let b = provision(&app, "Beta", "owner@beta.example").await;
    let b_env = add_environment(&b.browser, &b.workspace_id, "Beta Only")
        .await
        .unwrap();
    invite(
        &b.browser,
        &b.workspace_id,
        "pending@beta.example",
        "viewer",
    )
    .await;
    let b_invitation = members(&b.browser, &b.workspace_id)
        .await
        .unwrap()
        .invitations[0]
        .id
        .clone();
    let before = tenant(&app, &b.workspace_id).await;

    let (wa, wb) = (a.workspace_id.as_str(), b.workspace_id.as_str());
    let (env, slug) = (b_env.id.as_str(), b_env.slug.as_str());
    let (op, inv) = (b.operator_id.as_str(), b_invitation.as_str());
    let calls: Vec<(&str, Form)> = vec![
        ("workspaces/view", vec![("workspace", wb)]),
        (
            "environments/add",
            vec![("workspace", wb), ("environment_name", "Intruder")],
        ),
        (
            "environments/rename",
            vec![
                ("workspace", wb),
                ("environment_id", env),
                ("environment_name", "Hijacked"),
            ],
        ),
        (
            "environments/rename",
            vec![
                ("workspace", wa),
                ("environment_id", env),
                ("environment_name", "Hijacked"),
            ],
        ),
        (
            "environments/delete",
            vec![
                ("workspace", wb),
                ("environment_id", env),
                ("confirm_name", "Beta Only"),
            ],
        ),
        (
            "environments/delete",
            vec![
                ("workspace", wa),
                ("environment_id", env),
                ("confirm_name", "Beta Only"),
            ],
        ),
        (
            "environments/integrations",
            vec![("workspace", wb), ("environment", slug)],
        ),
        (
            "environments/integrations",
            vec![("workspace", wa), ("environment", slug)],
        ),
        ("members/list", vec![("workspace", wb)]),
        (
            "members/invite",
            vec![
                ("workspace", wb),
                ("email", "spy@alpha.example"),
                ("role", "owner"),
            ],
        ),
        (
            "members/revoke-invitation",
            vec![("workspace", wb), ("invitation_id", inv)],
        ),
        (
            "members/revoke-invitation",
            vec![("workspace", wa), ("invitation_id", inv)],
        ),
        (
            "members/change-role",
            vec![("workspace", wb), ("operator_id", op), ("role", "viewer")],
        ),
        (
            "members/change-role",
            vec![("workspace", wa), ("operator_id", op), ("role", "viewer")],
        ),
        (
            "members/remove",
            vec![("workspace", wb), ("operator_id", op)],
        ),
        (
            "members/remove",
            vec![("workspace", wa), ("operator_id", op)],
        ),
        ("audit/list", vec![("workspace", wb)]),
        ("audit/list", vec![("workspace", wa), ("environment", env)]),
        ("audit/list", vec![("workspace", wa), ("actor", op)]),
    ];
    for (endpoint, form) in &calls {
        let answer = a.browser.post(endpoint, form).await;
        assert_eq!(
            answer.decode::<serde_json::Value>(),
            Err(AppError::NotFound),
            "{endpoint} {form:?}"
        );
    }
    let (_, listed): (OperatorView, Vec<WorkspaceSummary>) =
        a.browser.call("workspaces/list", &[]).await.unwrap();
    let listed: Vec<_> = listed.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(listed, [wa], "only the operator's own workspace is listed");

    assert_eq!(tenant(&app, wb).await, before, "B is unchanged");
    // The same requests work for B's owner: the answers above were about tenancy.
    let integrations: IntegrationsView = b
        .browser
        .call(
            "environments/integrations",
            &[("workspace", wb), ("environment", slug)],
        )
        .await
        .unwrap();
    assert_eq!(integrations.environment.id, b_env.id);
    app.stop().await;
}

#[tokio::test]
async fn pages_of_another_workspace_are_404_and_reveal_nothing() {
    let app = TestApp::spawn().await;
    let a = set_up(&app, "Alpha", "owner@alpha.example").await;
    let b = provision(&app, "Beta", "owner@beta.example").await;
    add_environment(&b.browser, &b.workspace_id, "Beta Only")
        .await
        .unwrap();
    let (wa, wb) = (&a.workspace_id, &b.workspace_id);
    let pages = [
        format!("/w/{wb}/e/development/integrations"),
        format!("/w/{wb}/e/beta-only/integrations"),
        format!("/w/{wb}/environments"),
        format!("/w/{wb}/members"),
        format!("/w/{wb}/audit"),
        format!("/w/{wa}/e/beta-only/integrations"),
    ];
    for path in pages.iter().chain([&format!("/w/{wb}")]) {
        let page = a.browser.page(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("Page not found"), "{path}");
        for secret in ["Beta Only", "owner@beta.example", ">Beta<"] {
            assert!(!page.body.contains(secret), "{path} shows {secret}");
        }
    }
    // B's owner sees B's pages (A's environment address aside).
    for path in &pages[..5] {
        let page = b.browser.page(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("Beta Only"), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_installation_page_of_another_workspace_is_404() {
    let app = TestApp::spawn().await;
    let a = set_up(&app, "Alpha", "owner@alpha.example").await;
    let b = provision(&app, "Beta", "owner@beta.example").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for ws in [&b.workspace_id, &unknown] {
        let page = a.browser.page(&format!("/w/{ws}/installation")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{ws}");
        assert!(page.body.contains("Page not found"), "{ws}");
    }
    let own = a
        .browser
        .page(&format!("/w/{}/installation", a.workspace_id))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Roles

#[tokio::test]
async fn viewers_are_refused_every_change_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (viewer, _) = join(&app, &owner.browser, ws, "viewer@alpha.example", "viewer").await;
    let (_, admin_id) = join(&app, &owner.browser, ws, "admin@alpha.example", "admin").await;
    invite(&owner.browser, ws, "pending@alpha.example", "viewer").await;
    let pending = members(&owner.browser, ws).await.unwrap().invitations[0]
        .id
        .clone();
    let env = environments(&owner).await[0].clone();
    let before = tenant(&app, ws).await;

    let calls: Vec<(&str, Form)> = vec![
        (
            "environments/add",
            vec![("workspace", ws), ("environment_name", "Staging")],
        ),
        (
            "environments/rename",
            vec![
                ("workspace", ws),
                ("environment_id", &env.id),
                ("environment_name", "Renamed"),
            ],
        ),
        (
            "environments/delete",
            vec![
                ("workspace", ws),
                ("environment_id", &env.id),
                ("confirm_name", &env.name),
            ],
        ),
        (
            "members/invite",
            vec![
                ("workspace", ws),
                ("email", "friend@alpha.example"),
                ("role", "owner"),
            ],
        ),
        (
            "members/change-role",
            vec![
                ("workspace", ws),
                ("operator_id", &admin_id),
                ("role", "viewer"),
            ],
        ),
        (
            "members/remove",
            vec![("workspace", ws), ("operator_id", &admin_id)],
        ),
        (
            "members/revoke-invitation",
            vec![("workspace", ws), ("invitation_id", &pending)],
        ),
    ];
    for (endpoint, form) in &calls {
        let answer = viewer.post(endpoint, form).await;
        assert_eq!(
            answer.decode::<serde_json::Value>(),
            Err(AppError::Forbidden),
            "{endpoint}"
        );
    }
    assert_eq!(tenant(&app, ws).await, before);
    app.stop().await;
}

#[tokio::test]
async fn admins_change_environments_but_not_members() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (admin, _) = join(&app, &owner.browser, ws, "admin@alpha.example", "admin").await;
    let (_, viewer_id) = join(&app, &owner.browser, ws, "viewer@alpha.example", "viewer").await;
    invite(&owner.browser, ws, "pending@alpha.example", "viewer").await;
    let pending = members(&owner.browser, ws).await.unwrap().invitations[0]
        .id
        .clone();
    let before = tenant(&app, ws).await;

    let added = add_environment(&admin, ws, "Staging").await.unwrap();
    let renamed: EnvironmentView = admin
        .call(
            "environments/rename",
            &[
                ("workspace", ws),
                ("environment_id", &added.id),
                ("environment_name", "Staging EU"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.slug.as_str()),
        ("Staging EU", "staging-eu")
    );
    admin
        .call::<()>(
            "environments/delete",
            &[
                ("workspace", ws),
                ("environment_id", &added.id),
                ("confirm_name", "Staging EU"),
            ],
        )
        .await
        .unwrap();

    let refused_calls: Vec<(&str, Form)> = vec![
        (
            "members/invite",
            vec![
                ("workspace", ws),
                ("email", "friend@alpha.example"),
                ("role", "viewer"),
            ],
        ),
        (
            "members/change-role",
            vec![
                ("workspace", ws),
                ("operator_id", &viewer_id),
                ("role", "owner"),
            ],
        ),
        (
            "members/remove",
            vec![("workspace", ws), ("operator_id", &viewer_id)],
        ),
        (
            "members/revoke-invitation",
            vec![("workspace", ws), ("invitation_id", &pending)],
        ),
    ];
    for (endpoint, form) in &refused_calls {
        let answer = admin.post(endpoint, form).await;
        assert_eq!(
            answer.decode::<serde_json::Value>(),
            Err(AppError::Forbidden),
            "{endpoint}"
        );
    }
    let after = tenant(&app, ws).await;
    assert_eq!(
        after.environments, before.environments,
        "added, then deleted"
    );
    assert_eq!(after.members, before.members);
    assert_eq!(after.pending_invitations, before.pending_invitations);
    assert_eq!(
        after.audit_events,
        before.audit_events + 3,
        "three environment changes recorded, no refusal"
    );
    app.stop().await;
}

#[tokio::test]
async fn viewers_can_read_the_workspace_members_audit_and_integrations() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let (viewer, _) = join(&app, &owner.browser, ws, "viewer@alpha.example", "viewer").await;
    invite(&owner.browser, ws, "pending@alpha.example", "admin").await;

    let view = viewer.workspace(ws).await.unwrap();
    assert_eq!(view.role, Role::Viewer);
    assert_eq!(view.name, "Alpha");
    assert_eq!(view.environments.len(), 2);

    let seen = members(&viewer, ws).await.unwrap();
    let mut emails: Vec<_> = seen.members.iter().map(|m| m.email.as_str()).collect();
    emails.sort();
    assert_eq!(emails, ["owner@alpha.example", "viewer@alpha.example"]);
    assert!(seen.invitations.is_empty(), "only owners see invitations");
    assert_eq!(
        members(&owner.browser, ws).await.unwrap().invitations.len(),
        1
    );

    let log = audit(&viewer, &[("workspace", ws)]).await.unwrap();
    assert!(
        log.entries
            .iter()
            .any(|e| e.action.as_str() == "member.invited")
    );

    let integrations: IntegrationsView = viewer
        .call(
            "environments/integrations",
            &[("workspace", ws), ("environment", "production")],
        )
        .await
        .unwrap();
    assert_eq!(integrations.environment.name, "Production");
    assert_eq!(integrations.integrations[0].key, "pinterest");

    for page in [
        "e/production/integrations",
        "environments",
        "members",
        "audit",
    ] {
        let answer = viewer.page(&format!("/w/{ws}/{page}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
    }
    let envs = viewer.page(&format!("/w/{ws}/environments")).await;
    assert!(envs.body.contains("You can view environments"));
    assert!(
        !envs.body.contains("Add an environment"),
        "no form to change them"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Setup

async fn setup_with(
    browser: &Browser,
    token: &str,
    workspace: &str,
    email: &str,
    password: &str,
) -> Result<(), AppError> {
    browser
        .call(
            "auth/setup",
            &[
                ("token", token),
                ("workspace_name", workspace),
                ("display_name", "First Owner"),
                ("email", email),
                ("password", password),
            ],
        )
        .await
}

async fn setup_state(browser: &Browser, token: &str) -> SetupLinkState {
    browser
        .call("auth/setup-view", &[("token", token)])
        .await
        .unwrap()
}

#[tokio::test]
async fn the_setup_link_works_once_and_every_other_link_dies_with_it() {
    use domain::accounts::setup;
    let app = TestApp::spawn().await;
    let db = &app.state().db;
    let first = setup::issue_token(db, &Default::default()).await.unwrap();
    let second = setup::issue_token(db, &Default::default()).await.unwrap();
    let browser = Browser::new(&app);
    assert_eq!(
        setup_state(&browser, first.expose()).await,
        SetupLinkState::Open
    );
    assert_eq!(
        setup_state(&browser, second.expose()).await,
        SetupLinkState::Open
    );

    setup_with(
        &browser,
        first.expose(),
        "Alpha",
        "owner@alpha.example",
        PASSWORD,
    )
    .await
    .unwrap();
    assert_eq!(
        browser.workspace_list().await.len(),
        1,
        "the new owner is signed in"
    );

    let other = Browser::new(&app);
    for token in [first.expose(), second.expose()] {
        let message =
            refused(setup_with(&other, token, "Rival", "rival@rival.example", PASSWORD).await);
        assert!(message.contains("Setup is complete"), "{message}");
        assert_eq!(setup_state(&other, token).await, SetupLinkState::Complete);
    }
    assert!(matches!(
        setup::issue_token(db, &Default::default()).await,
        Err(domain::accounts::AccountsError::SetupComplete)
    ));
    assert_eq!(count_rows(&app, "operators").await, 1);
    assert_eq!(count_rows(&app, "workspaces").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn two_setups_at_once_make_one_owner() {
    use domain::accounts::setup;
    let app = TestApp::spawn().await;
    let db = &app.state().db;
    let (t1, t2) = (
        setup::issue_token(db, &Default::default()).await.unwrap(),
        setup::issue_token(db, &Default::default()).await.unwrap(),
    );
    let (b1, b2) = (Browser::new(&app), Browser::new(&app));
    let (r1, r2) = tokio::join!(
        setup_with(&b1, t1.expose(), "Alpha", "one@alpha.example", PASSWORD),
        setup_with(&b2, t2.expose(), "Omega", "two@omega.example", PASSWORD),
    );
    assert_eq!(
        [r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{r1:?} {r2:?}"
    );
    let loser = if r1.is_ok() { r2 } else { r1 };
    refused(loser);
    assert_eq!(count_rows(&app, "operators").await, 1);
    assert_eq!(count_rows(&app, "workspaces").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn without_a_valid_setup_token_nobody_creates_the_first_owner() {
    use domain::accounts::setup;
    let app = TestApp::spawn().await;
    let real = setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let browser = Browser::new(&app);
    let guess = real.expose().chars().rev().collect::<String>();
    for token in ["", "not-a-token", guess.as_str()] {
        let message =
            refused(setup_with(&browser, token, "Alpha", "owner@alpha.example", PASSWORD).await);
        assert!(message.contains("not valid"), "{message}");
        assert_eq!(setup_state(&browser, token).await, SetupLinkState::Invalid);
    }
    // Without the form's token field the request is not understood at all.
    let answer = browser
        .post(
            "auth/setup",
            &[
                ("workspace_name", "Alpha"),
                ("display_name", "First Owner"),
                ("email", "owner@alpha.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(matches!(
        answer.decode::<()>(),
        Err(AppError::Invalid { field: None, .. })
    ));
    assert_eq!(count_rows(&app, "operators").await, 0);
    assert_eq!(count_rows(&app, "workspaces").await, 0);
    let view: SignInView = browser.call("auth/sign-in-view", &[]).await.unwrap();
    assert!(view.setup_needed);
    assert_eq!(
        setup_state(&browser, real.expose()).await,
        SetupLinkState::Open,
        "wrong guesses do not use up the real link"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Invitations

async fn accept_new(browser: &Browser, token: &str, password: &str) -> Result<(), AppError> {
    browser
        .call(
            "invitations/accept",
            &[
                ("token", token),
                ("display_name", "Invited Person"),
                ("password", password),
            ],
        )
        .await
}

async fn invitation(browser: &Browser, token: &str) -> Result<InvitationView, AppError> {
    browser.call("invitations/view", &[("token", token)]).await
}

#[tokio::test]
async fn an_invitation_link_makes_an_account_once() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let token = token_of(&invite(&owner.browser, ws, "carol@alpha.example", "viewer").await);

    let carol = Browser::new(&app);
    let shown = invitation(&carol, &token).await.unwrap();
    assert_eq!(shown.email, "carol@alpha.example");
    assert_eq!(shown.workspace_name, "Alpha");
    assert!(!shown.account_exists);
    let answer = carol
        .post(
            "invitations/accept",
            &[
                ("token", &token),
                ("display_name", "Carol"),
                ("password", PASSWORD),
            ],
        )
        .await;
    answer.decode::<()>().unwrap();
    assert_eq!(answer.location(), format!("/w/{ws}"));
    // That browser is now signed in as the new member.
    let view = carol.workspace(ws).await.unwrap();
    assert_eq!(view.operator.email, "carol@alpha.example");
    assert_eq!(view.role, Role::Viewer);
    assert_eq!(carol.page("/workspaces").await.status, StatusCode::OK);

    let again = Browser::new(&app);
    let message = refused(accept_new(&again, &token, "another fine passphrase").await);
    assert!(message.contains("not valid"), "{message}");
    refused(invitation(&again, &token).await);
    refused(accept_new(&carol, &token, PASSWORD).await);
    let listed = members(&owner.browser, ws).await.unwrap();
    assert_eq!(listed.members.len(), 2);
    assert!(listed.invitations.is_empty());
    assert_eq!(count_rows(&app, "operators").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let token = token_of(&invite(&owner.browser, ws, "late@alpha.example", "admin").await);
    let browser = Browser::new(&app);
    invitation(&browser, &token).await.unwrap();

    let past = domain::db::now_ms() - 1_000;
    domain::on_pool!(&app.state().db, pool => {
        sqlx::query("update invitations set expires_at = $1 where workspace_id = $2")
            .bind(past)
            .bind(ws)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })
    .unwrap();

    let message = refused(invitation(&browser, &token).await);
    assert!(message.contains("expired"), "{message}");
    refused(accept_new(&browser, &token, PASSWORD).await);
    assert_eq!(count_rows(&app, "operators").await, 1, "no account made");
    assert_eq!(members(&owner.browser, ws).await.unwrap().members.len(), 1);
    assert_eq!(
        browser.page("/workspaces").await.status,
        StatusCode::SEE_OTHER,
        "not signed in"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_existing_account_accepts_only_when_signed_in_as_the_invited_email() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let bob = provision(&app, "Beta", "bob@beta.example").await;
    let mallory = provision(&app, "Gamma", "mallory@gamma.example").await;
    let token = token_of(&invite(&owner.browser, ws, "bob@beta.example", "admin").await);
    let before = tenant(&app, ws).await;

    let signed_out = Browser::new(&app);
    assert!(
        invitation(&signed_out, &token)
            .await
            .unwrap()
            .account_exists
    );
    let message = refused(accept_new(&signed_out, &token, "a brand new passphrase").await);
    assert!(message.contains("sign in as bob@beta.example"), "{message}");

    let shown = invitation(&mallory.browser, &token).await.unwrap();
    assert_eq!(shown.signed_in_as.as_deref(), Some("mallory@gamma.example"));
    let message = refused(
        mallory
            .browser
            .call::<()>("invitations/accept", &[("token", &token)])
            .await,
    );
    assert!(message.contains("bob@beta.example"), "{message}");
    assert_eq!(
        tenant(&app, ws).await,
        before,
        "the link still waits for Bob"
    );
    assert_eq!(
        mallory.browser.workspace(ws).await,
        Err(AppError::NotFound),
        "Mallory did not get in"
    );

    bob.browser
        .call::<()>("invitations/accept", &[("token", &token)])
        .await
        .unwrap();
    assert_eq!(bob.browser.workspace(ws).await.unwrap().role, Role::Admin);
    let mut names: Vec<_> = bob
        .browser
        .workspace_list()
        .await
        .into_iter()
        .map(|w| w.name)
        .collect();
    names.sort();
    assert_eq!(names, ["Alpha", "Beta"]);
    assert_eq!(
        count_rows(&app, "operators").await,
        3,
        "no second account for Bob"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_invitation_no_longer_works() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let token = token_of(&invite(&owner.browser, ws, "dave@alpha.example", "viewer").await);
    let id = members(&owner.browser, ws).await.unwrap().invitations[0]
        .id
        .clone();
    let revoke = [("workspace", ws), ("invitation_id", id.as_str())];
    owner
        .browser
        .call::<()>("members/revoke-invitation", &revoke)
        .await
        .unwrap();
    assert!(
        members(&owner.browser, ws)
            .await
            .unwrap()
            .invitations
            .is_empty()
    );

    let dave = Browser::new(&app);
    refused(invitation(&dave, &token).await);
    refused(accept_new(&dave, &token, PASSWORD).await);
    assert_eq!(count_rows(&app, "operators").await, 1);
    assert_eq!(
        owner
            .browser
            .call::<()>("members/revoke-invitation", &revoke)
            .await,
        Err(AppError::NotFound),
        "gone, not revocable twice"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn signing_in_replaces_a_session_cookie_set_before() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    // A session made for someone else first (as a shared computer would have).
    let other = provision(&app, "Beta", "other@beta.example").await;
    let browser = Browser::new(&app);
    browser.sign_in(&other.email, PASSWORD).await.unwrap();
    let planted = browser
        .session_cookie()
        .expect("a session before signing in");

    browser.sign_in(&owner.email, PASSWORD).await.unwrap();
    let fresh = browser
        .session_cookie()
        .expect("a session after signing in");
    assert_ne!(planted, fresh, "the session id changes at sign-in");

    let with_fresh = browser.page_with_session("/workspaces", &fresh).await;
    assert_eq!(with_fresh.status, StatusCode::OK);
    let with_planted = browser.page_with_session("/workspaces", &planted).await;
    assert_eq!(with_planted.status, StatusCode::SEE_OTHER);
    assert_eq!(with_planted.location(), "/sign-in?next=%2Fworkspaces");
    app.stop().await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_its_cookie() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let cookie = owner.browser.session_cookie().unwrap();

    let answer = owner.browser.post("auth/sign-out", &[]).await;
    answer.decode::<()>().unwrap();
    assert_eq!(answer.location(), "/sign-in");
    assert_ne!(owner.browser.session_cookie(), Some(cookie.clone()));

    let page = owner.browser.page("/workspaces").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        owner.browser.workspace(ws).await,
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
    assert_eq!(replayed.location(), "/sign-in?next=%2Fworkspaces");

    // Signed in again elsewhere, the owner finds the sign-out in the log.
    let again = Browser::new(&app);
    again.sign_in(&owner.email, PASSWORD).await.unwrap();
    let log = audit(
        &again,
        &[("workspace", ws), ("action", "session.signed_out")],
    )
    .await
    .unwrap();
    assert_eq!(log.entries.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn signed_out_pages_redirect_to_sign_in_and_come_back() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let browser = Browser::new(&app);

    let home = browser.page("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/sign-in");
    let filtered = browser
        .page(&format!("/w/{ws}/audit?action=member.invited"))
        .await;
    assert_eq!(
        filtered.location(),
        format!("/sign-in?next=%2Fw%2F{ws}%2Faudit%3Faction%3Dmember.invited")
    );
    let paths = [
        "/workspaces".to_owned(),
        format!("/w/{ws}"),
        format!("/w/{ws}/e/development/integrations"),
        format!("/w/{ws}/environments"),
        format!("/w/{ws}/members"),
        format!("/w/{ws}/audit"),
        format!("/w/{ws}/installation"),
    ];
    for path in &paths {
        let page = browser.page(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(page.location(), format!("/sign-in?next={next}"), "{path}");
    }
    assert_eq!(browser.page("/sign-in").await.status, StatusCode::OK);

    // Signing in with that `next` goes back to the page asked for.
    let answer = browser
        .post(
            "auth/sign-in",
            &[
                ("email", owner.email.as_str()),
                ("password", PASSWORD),
                ("next", &format!("/w/{ws}/members")),
            ],
        )
        .await;
    answer.decode::<()>().unwrap();
    assert_eq!(answer.location(), format!("/w/{ws}/members"));
    assert_eq!(
        browser.page(&format!("/w/{ws}/members")).await.status,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn signed_out_server_functions_answer_unauthenticated() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let env = environments(&owner).await[0].clone();
    invite(&owner.browser, ws, "pending@alpha.example", "viewer").await;
    let pending = members(&owner.browser, ws).await.unwrap().invitations[0]
        .id
        .clone();
    let op = owner.operator_id.as_str();
    let before = tenant(&app, ws).await;
    let browser = Browser::new(&app);

    let calls: Vec<(&str, Form)> = vec![
        ("workspaces/view", vec![("workspace", ws)]),
        ("workspaces/list", vec![]),
        ("workspaces/create", vec![("workspace_name", "Sneaky")]),
        (
            "environments/add",
            vec![("workspace", ws), ("environment_name", "Sneaky")],
        ),
        (
            "environments/rename",
            vec![
                ("workspace", ws),
                ("environment_id", &env.id),
                ("environment_name", "Sneaky"),
            ],
        ),
        (
            "environments/delete",
            vec![
                ("workspace", ws),
                ("environment_id", &env.id),
                ("confirm_name", &env.name),
            ],
        ),
        (
            "environments/integrations",
            vec![("workspace", ws), ("environment", &env.slug)],
        ),
        ("members/list", vec![("workspace", ws)]),
        (
            "members/invite",
            vec![
                ("workspace", ws),
                ("email", "sneaky@alpha.example"),
                ("role", "owner"),
            ],
        ),
        (
            "members/revoke-invitation",
            vec![("workspace", ws), ("invitation_id", &pending)],
        ),
        (
            "members/change-role",
            vec![("workspace", ws), ("operator_id", op), ("role", "viewer")],
        ),
        (
            "members/remove",
            vec![("workspace", ws), ("operator_id", op)],
        ),
        ("audit/list", vec![("workspace", ws)]),
    ];
    for (endpoint, form) in &calls {
        let answer = browser.post(endpoint, form).await;
        assert_eq!(
            answer.decode::<serde_json::Value>(),
            Err(AppError::Unauthenticated),
            "{endpoint}"
        );
    }
    assert_eq!(tenant(&app, ws).await, before);
    assert_eq!(count_rows(&app, "workspaces").await, 1);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Signing in

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let browser = Browser::new(&app);
    let wrong = browser
        .sign_in(&owner.email, "not the right passphrase")
        .await;
    let unknown = browser.sign_in("nobody@alpha.example", PASSWORD).await;
    let malformed = browser.sign_in("not an email", PASSWORD).await;
    let expected = Err(AppError::BadCredentials(BAD_CREDENTIALS.into()));
    assert_eq!(wrong, expected);
    assert_eq!(unknown, expected);
    // What cannot be an email is said so, before any lookup (see sign_in_flood).
    assert!(
        matches!(&malformed, Err(AppError::Invalid { field: Some(f), .. }) if f == "email"),
        "{malformed:?}"
    );
    // 401, decided by the error itself, with no Retry-After.
    let answer = browser
        .post(
            "auth/sign-in",
            &[
                ("email", owner.email.as_str()),
                ("password", "still not it"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(answer.retry_after, None);
    assert_eq!(
        browser.page("/workspaces").await.status,
        StatusCode::SEE_OTHER
    );
    browser.sign_in(&owner.email, PASSWORD).await.unwrap();
    assert_eq!(browser.page("/workspaces").await.status, StatusCode::OK);
    app.stop().await;
}

/// The seconds a throttling refusal asks to wait.
fn retry_after(message: &str) -> u64 {
    let rest = message.split("try again in ").nth(1).expect(message);
    rest.split(' ').next().unwrap().parse().expect(message)
}

#[tokio::test]
async fn repeated_failures_throttle_even_the_right_password() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let browser = Browser::new(&app);
    let wrong = "not the right passphrase";
    // The allowance: five failures, and the sixth attempt, are answered normally.
    for attempt in 1..=6 {
        let message = sign_in_refused(browser.sign_in(&owner.email, wrong).await);
        assert_eq!(message, BAD_CREDENTIALS, "attempt {attempt}");
    }
    // Beyond it each failure costs a wait that doubles; keep failing until one
    // lands inside its wait (the first does unless this machine is very slow).
    let mut throttled = None;
    for _ in 0..6 {
        match browser.sign_in(&owner.email, wrong).await {
            Err(AppError::Throttled {
                message,
                retry_after_secs,
            }) => {
                assert!(message.starts_with("Too many failed sign-ins"), "{message}");
                assert_eq!(retry_after(&message), retry_after_secs);
                throttled = Some(message);
                break;
            }
            other => assert_eq!(other, Err(AppError::BadCredentials(BAD_CREDENTIALS.into()))),
        }
    }
    let throttled = throttled.expect("failures beyond the allowance are throttled");
    // The right password waits too: 429, with the wait in Retry-After.
    let answer = browser
        .post(
            "auth/sign-in",
            &[("email", owner.email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    // That refused attempt counted too, so the wait it announces has doubled.
    let wait: u64 = answer.retry_after.as_deref().unwrap().parse().unwrap();
    assert!(wait >= retry_after(&throttled), "{wait}");
    let message = sign_in_refused(answer.decode::<()>());
    assert!(
        message.starts_with("Too many failed sign-ins"),
        "the right password waits too: {message}"
    );
    // Only this email is slowed down, not everyone from this address.
    assert_eq!(
        sign_in_refused(browser.sign_in("other@alpha.example", wrong).await),
        BAD_CREDENTIALS
    );
    assert_eq!(
        browser.page("/workspaces").await.status,
        StatusCode::SEE_OTHER
    );

    // After the wait, the right password works again.
    tokio::time::sleep(Duration::from_millis(wait * 1_000 + 200)).await;
    browser.sign_in(&owner.email, PASSWORD).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn signing_in_never_continues_to_another_site() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    // Without a usable `next`, signing in opens the operator's home.
    let home = format!("/w/{}/e/development/integrations", owner.workspace_id);
    for next in [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
    ] {
        let browser = Browser::new(&app);
        let answer = browser
            .post(
                "auth/sign-in",
                &[
                    ("email", owner.email.as_str()),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        answer.decode::<()>().unwrap();
        assert_eq!(answer.location(), home, "{next}");
    }
    // Without JavaScript too.
    let browser = Browser::new(&app);
    let answer = browser
        .plain_post(
            "auth/sign-in",
            "/sign-in?next=%2F%2Fevil.example",
            &[
                ("email", owner.email.as_str()),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), home);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// The audit log

fn entry<'a>(log: &'a AuditView, action: &str, target: &str) -> &'a AuditEntryView {
    log.entries
        .iter()
        .find(|e| e.action.as_str() == action && e.target == target)
        .unwrap_or_else(|| panic!("no {action} of {target} in {:#?}", log.entries))
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_to_what_from_where() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let laptop = Browser::new(&app);
    sign_in_refused(
        laptop
            .sign_in(&owner.email, "not the right passphrase")
            .await,
    );
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();
    let (_, carol) = join(&app, &laptop, ws, "carol@alpha.example", "viewer").await;
    laptop
        .call::<()>(
            "members/change-role",
            &[
                ("workspace", ws),
                ("operator_id", &carol),
                ("role", "admin"),
            ],
        )
        .await
        .unwrap();
    let staging = add_environment(&laptop, ws, "Staging").await.unwrap();
    laptop
        .call::<EnvironmentView>(
            "environments/rename",
            &[
                ("workspace", ws),
                ("environment_id", &staging.id),
                ("environment_name", "QA"),
            ],
        )
        .await
        .unwrap();
    laptop
        .call::<()>(
            "environments/delete",
            &[
                ("workspace", ws),
                ("environment_id", &staging.id),
                ("confirm_name", "QA"),
            ],
        )
        .await
        .unwrap();
    laptop
        .call::<()>(
            "members/remove",
            &[("workspace", ws), ("operator_id", &carol)],
        )
        .await
        .unwrap();

    let log = audit(&laptop, &[("workspace", ws)]).await.unwrap();
    let owner_email = owner.email.as_str();
    let carol_email = "carol@alpha.example";
    let expected = [
        ("setup.completed", owner_email, "Alpha"),
        ("session.sign_in_failed", "unauthenticated", owner_email),
        ("session.signed_in", owner_email, owner_email),
        ("member.invited", owner_email, carol_email),
        ("member.invitation_accepted", carol_email, carol_email),
        ("member.role_changed", owner_email, carol_email),
        ("environment.created", owner_email, "Staging"),
        ("environment.renamed", owner_email, "QA"),
        ("environment.deleted", owner_email, "QA"),
        ("member.removed", owner_email, carol_email),
    ];
    for (action, actor, target) in expected {
        let e = entry(&log, action, target);
        assert_eq!(e.actor, actor, "{action}");
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{action}");
        assert_eq!(e.user_agent.as_deref(), Some(BROWSER_AGENT), "{action}");
    }
    assert_eq!(
        log.entries[0].action.as_str(),
        "member.removed",
        "newest first"
    );
    let changed = entry(&log, "member.role_changed", carol_email);
    assert!(changed.detail.contains(&("from".into(), "viewer".into())));
    assert!(changed.detail.contains(&("to".into(), "admin".into())));
    let renamed = entry(&log, "environment.renamed", "QA");
    assert!(renamed.detail.contains(&("from".into(), "Staging".into())));
    assert_eq!(
        renamed.environment.as_deref(),
        Some("a deleted environment")
    );
    app.stop().await;
}

#[tokio::test]
async fn audit_filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let staging = add_environment(&owner.browser, ws, "Staging")
        .await
        .unwrap();
    owner
        .browser
        .call::<EnvironmentView>(
            "environments/rename",
            &[
                ("workspace", ws),
                ("environment_id", &staging.id),
                ("environment_name", "Staging EU"),
            ],
        )
        .await
        .unwrap();
    let (carol, carol_id) = join(&app, &owner.browser, ws, "carol@alpha.example", "admin").await;
    add_environment(&carol, ws, "Carols Lab").await.unwrap();
    let all = audit(&owner.browser, &[("workspace", ws)]).await.unwrap();

    let created = audit(
        &owner.browser,
        &[("workspace", ws), ("action", "environment.created")],
    )
    .await
    .unwrap();
    let targets: Vec<_> = created.entries.iter().map(|e| e.target.as_str()).collect();
    assert_eq!(targets, ["Carols Lab", "Staging"]);

    let by_carol = audit(&owner.browser, &[("workspace", ws), ("actor", &carol_id)])
        .await
        .unwrap();
    let actions: Vec<_> = by_carol.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["environment.created", "member.invitation_accepted"]
    );
    assert!(
        by_carol
            .entries
            .iter()
            .all(|e| e.actor == "carol@alpha.example")
    );

    let in_staging = audit(
        &owner.browser,
        &[("workspace", ws), ("environment", &staging.id)],
    )
    .await
    .unwrap();
    let actions: Vec<_> = in_staging
        .entries
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["environment.renamed", "environment.created"]);
    assert!(
        in_staging
            .entries
            .iter()
            .all(|e| e.environment.as_deref() == Some("Staging EU"))
    );

    let combined = audit(
        &owner.browser,
        &[
            ("workspace", ws),
            ("actor", &owner.operator_id),
            ("action", "environment.created"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(combined.entries.len(), 1);
    assert_eq!(combined.entries[0].target, "Staging");
    assert!(all.entries.len() > in_staging.entries.len() + by_carol.entries.len());
    // The filter choices offered are this workspace's own.
    assert!(all.environments.iter().any(|o| o.value == staging.id));
    assert!(all.actors.iter().any(|o| o.value == carol_id));

    let message = invalid(
        audit(
            &owner.browser,
            &[("workspace", ws), ("action", "everything")],
        )
        .await,
        "action",
    );
    assert!(message.contains("everything"), "{message}");
    invalid(
        audit(&owner.browser, &[("workspace", ws), ("after", "yesterday")]).await,
        "after",
    );
    app.stop().await;
}

#[tokio::test]
async fn audit_pages_continue_with_older_events_without_repeats() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    for n in 1..=60 {
        add_environment(&owner.browser, ws, &format!("Env {n:02}"))
            .await
            .unwrap();
    }
    let total = tenant(&app, ws).await.audit_events;
    assert!(total > 60);

    let mut seen: Vec<AuditEntryView> = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut form = vec![("workspace", ws)];
        if let Some(cursor) = &after {
            form.push(("after", cursor));
        }
        let page = audit(&owner.browser, &form).await.unwrap();
        pages += 1;
        if let (Some(last), Some(first)) = (seen.last(), page.entries.first()) {
            assert!(
                (first.at, &first.id) < (last.at, &last.id),
                "a page starts older than the previous one ended"
            );
        }
        seen.extend(page.entries);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 2, "50 per page");
    assert_eq!(seen.len() as i64, total, "every event, once");
    let mut ids: Vec<_> = seen.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, total, "no repeats");
    assert_eq!(seen[0].target, "Env 60", "newest first");
    assert_eq!(seen.last().unwrap().action.as_str(), "setup.completed");
    app.stop().await;
}

#[tokio::test]
async fn typed_passwords_appear_in_no_answer_and_no_audit_record() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let wrong = "amber falcon quarry 77";
    let carols = "saffron meadow kettle 19";
    let weak = "tiny pw";

    let laptop = Browser::new(&app);
    sign_in_refused(laptop.sign_in(&owner.email, wrong).await);
    let plain = laptop
        .plain_post(
            "auth/sign-in",
            "/sign-in",
            &[("email", owner.email.as_str()), ("password", wrong)],
        )
        .await;
    laptop.page(plain.location()).await;
    laptop.sign_in(&owner.email, PASSWORD).await.unwrap();

    let token = token_of(&invite(&laptop, ws, "carol@alpha.example", "admin").await);
    let carol = Browser::new(&app);
    invalid(accept_new(&carol, &token, weak).await, "password");
    accept_new(&carol, &token, carols).await.unwrap();
    for path in [
        "members",
        "audit",
        "environments",
        "e/development/integrations",
    ] {
        laptop.page(&format!("/w/{ws}/{path}")).await;
        carol.page(&format!("/w/{ws}/{path}")).await;
    }
    audit(&laptop, &[("workspace", ws)]).await.unwrap();
    members(&carol, ws).await.unwrap();

    let bodies = [owner.browser.bodies(), laptop.bodies(), carol.bodies()].concat();
    assert!(bodies.len() > 15);
    let records: Vec<(String, String, String, Option<String>)> =
        domain::on_pool!(&app.state().db, pool => {
            sqlx::query_as("select actor_label, target, detail, user_agent from audit_events")
                .fetch_all(pool)
                .await
        })
        .unwrap();
    assert!(records.len() >= 6);
    for password in [PASSWORD, wrong, carols, weak] {
        for body in &bodies {
            assert!(!body.contains(password), "{password} shown in {body}");
        }
        for record in &records {
            assert!(
                !format!("{record:?}").contains(password),
                "{password} in {record:?}"
            );
        }
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Bad input

#[tokio::test]
async fn names_must_have_1_to_64_characters() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let before = tenant(&app, ws).await;
    let long = "n".repeat(65);
    let dev = environments(&owner).await[0].id.clone();

    for name in ["", "   ", long.as_str()] {
        let create = owner
            .browser
            .call::<()>("workspaces/create", &[("workspace_name", name)])
            .await;
        let message = invalid(create, "workspace_name");
        assert!(message.contains("64"), "{message}");
        let message = invalid(
            add_environment(&owner.browser, ws, name).await,
            "environment_name",
        );
        assert!(message.contains("64"), "{message}");
        let rename = owner
            .browser
            .call::<EnvironmentView>(
                "environments/rename",
                &[
                    ("workspace", ws),
                    ("environment_id", &dev),
                    ("environment_name", name),
                ],
            )
            .await;
        let message = invalid(rename, &format!("environment_name@{dev}"));
        assert!(message.contains("64"), "{message}");
    }
    let message = invalid(
        add_environment(&owner.browser, ws, &long).await,
        "environment_name",
    );
    assert_eq!(
        message,
        "Environment name must be at most 64 characters (this one has 65)."
    );
    assert_eq!(tenant(&app, ws).await, before, "nothing stored");
    assert_eq!(count_rows(&app, "workspaces").await, 1);

    // 64 is allowed.
    let longest = "é".repeat(64);
    add_environment(&owner.browser, ws, &longest).await.unwrap();
    owner
        .browser
        .call::<()>("workspaces/create", &[("workspace_name", &longest)])
        .await
        .unwrap();
    assert_eq!(count_rows(&app, "workspaces").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn emails_and_passwords_are_checked_field_by_field() {
    use domain::accounts::setup;
    let app = TestApp::spawn().await;
    let token = setup::issue_token(&app.state().db, &Default::default())
        .await
        .unwrap();
    let token = token.expose();
    let browser = Browser::new(&app);
    let try_setup = |workspace: &str, email: &str, password: &str| {
        let form = [workspace, email, password].map(str::to_owned);
        let browser = &browser;
        async move { setup_with(browser, token, &form[0], &form[1], &form[2]).await }
    };

    let message = invalid(try_setup("Acme", "not-an-email", PASSWORD).await, "email");
    assert!(message.contains('@'), "{message}");
    invalid(try_setup("Acme", "ada@localhost", PASSWORD).await, "email");
    let message = invalid(
        try_setup("Acme", "ada@acme.example", "too short").await,
        "password",
    );
    assert_eq!(
        message,
        "Password must be at least 12 characters (this one has 9)."
    );
    let message = invalid(
        try_setup("Acme", "ada.lovelace@acme.example", "I am Ada.Lovelace!").await,
        "password",
    );
    assert!(message.contains("part of your email"), "{message}");
    let message = invalid(
        try_setup("Orchard", "ada@acme.example", PASSWORD).await,
        "password",
    );
    assert!(message.contains("workspace name"), "{message}");
    let long = "w".repeat(65);
    let message = invalid(
        try_setup(&long, "ada@acme.example", PASSWORD).await,
        "workspace_name",
    );
    assert!(message.contains("64"), "{message}");
    assert_eq!(count_rows(&app, "operators").await, 0);
    assert_eq!(setup_state(&browser, token).await, SetupLinkState::Open);

    try_setup("Acme", "ada@acme.example", PASSWORD)
        .await
        .unwrap();
    let ws = browser.workspace_list().await[0].id.clone();
    let ws = ws.as_str();
    for email in ["not-an-email", "two words@acme.example", ""] {
        let result = browser
            .call::<()>(
                "members/invite",
                &[("workspace", ws), ("email", email), ("role", "viewer")],
            )
            .await;
        invalid(result, "email");
    }
    let invited = browser
        .call::<()>(
            "members/invite",
            &[
                ("workspace", ws),
                ("email", "bea@acme.example"),
                ("role", "root"),
            ],
        )
        .await;
    invalid(invited, "role");
    let token = token_of(&invite(&browser, ws, "bea@acme.example", "viewer").await);
    let bea = Browser::new(&app);
    invalid(accept_new(&bea, &token, "short").await, "password");
    invalid(
        accept_new(&bea, &token, "bea bea bea bea").await,
        "password",
    );
    invalid(
        accept_new(&bea, &token, "acme acme acme!").await,
        "password",
    );
    assert_eq!(count_rows(&app, "operators").await, 1, "nothing stored");
    assert_eq!(members(&browser, ws).await.unwrap().invitations.len(), 1);
    accept_new(&bea, &token, PASSWORD).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn environment_names_are_unique_in_any_letter_case() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let dev = environments(&owner).await[0].clone();
    assert_eq!(dev.name, "Development");
    let before = tenant(&app, ws).await;

    let message = invalid(
        add_environment(&owner.browser, ws, "PRODUCTION").await,
        "environment_name",
    );
    assert!(message.contains("already has an environment"), "{message}");
    let message = invalid(
        add_environment(&owner.browser, ws, "Production!").await,
        "environment_name",
    );
    assert!(message.contains("“production”"), "same address: {message}");
    let rename = owner
        .browser
        .call::<EnvironmentView>(
            "environments/rename",
            &[
                ("workspace", ws),
                ("environment_id", &dev.id),
                ("environment_name", "production"),
            ],
        )
        .await;
    invalid(rename, &format!("environment_name@{}", dev.id));
    assert_eq!(tenant(&app, ws).await, before);
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_environment_needs_its_exact_name_and_leaves_one() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let envs = environments(&owner).await;
    let (dev, prod) = (&envs[0], &envs[1]);
    let before = tenant(&app, ws).await;
    for typed in ["production", "Productio", ""] {
        let message = invalid(
            delete_environment(&owner.browser, ws, &prod.id, typed).await,
            &format!("confirm_name@{}", prod.id),
        );
        assert!(message.contains("exactly"), "{message}");
    }
    assert_eq!(tenant(&app, ws).await, before);

    delete_environment(&owner.browser, ws, &dev.id, "Development")
        .await
        .unwrap();
    let message = invalid(
        delete_environment(&owner.browser, ws, &prod.id, "Production").await,
        &format!("@{}", prod.id),
    );
    assert!(message.contains("at least one environment"), "{message}");
    assert_eq!(
        environments(&owner).await.as_slice(),
        std::slice::from_ref(prod)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let me = owner.operator_id.as_str();
    let (_, carol) = join(&app, &owner.browser, ws, "carol@alpha.example", "owner").await;
    // With two owners, one may be demoted.
    change_role(&owner.browser, ws, &carol, "viewer")
        .await
        .unwrap();
    let before = tenant(&app, ws).await;

    let message = invalid(
        change_role(&owner.browser, ws, me, "admin").await,
        &format!("@{me}"),
    );
    assert_eq!(message, "A workspace must keep at least one owner.");
    let removal = owner
        .browser
        .call::<()>("members/remove", &[("workspace", ws), ("operator_id", me)])
        .await;
    let message = invalid(removal, &format!("@{me}"));
    assert_eq!(message, "A workspace must keep at least one owner.");
    invalid(
        change_role(&owner.browser, ws, &carol, "root").await,
        &format!("role@{carol}"),
    );
    assert_eq!(tenant(&app, ws).await, before);
    assert_eq!(owner.browser.workspace(ws).await.unwrap().role, Role::Owner);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Forms without JavaScript

#[tokio::test]
async fn a_refused_plain_form_comes_back_filled_in_once() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let page = format!("/w/{ws}/environments");
    let typed = format!("Staging-{}", "x".repeat(57));
    assert_eq!(typed.chars().count(), 65);
    let before = tenant(&app, ws).await;

    let answer = owner
        .browser
        .plain_post(
            "environments/add",
            &page,
            &[("workspace", ws), ("environment_name", &typed)],
        )
        .await;
    assert!(
        matches!(answer.status, StatusCode::FOUND | StatusCode::SEE_OTHER),
        "{answer:?}"
    );
    let location = answer.location().to_owned();
    assert!(
        location.starts_with(&owner.browser.url(&page)),
        "{location}"
    );
    assert!(location.contains("__err="), "{location}");

    let first = owner.browser.page(&location).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains(&format!(r#"value="{typed}""#)),
        "the typed name is back in the field"
    );
    assert!(
        first.body.contains("at most 64 characters"),
        "and the message with it"
    );
    let second = owner.browser.page(&location).await;
    assert!(!second.body.contains(&typed), "only once");
    assert_eq!(tenant(&app, ws).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_refused_plain_sign_in_keeps_the_email_but_never_the_password() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let wrong = "amber falcon quarry 77";
    let browser = Browser::new(&app);
    let answer = browser
        .plain_post(
            "auth/sign-in",
            "/sign-in",
            &[("email", owner.email.as_str()), ("password", wrong)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location().to_owned();
    assert!(location.contains("__err="), "{location}");

    let page = browser.page(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(r#"value="{}""#, owner.email)),
        "email kept"
    );
    assert!(page.body.contains("Email or password is wrong."));
    assert!(!page.body.contains(wrong), "password never shown");
    let sessions: Vec<Vec<u8>> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select data from sessions").fetch_all(pool).await
    })
    .unwrap();
    for data in sessions {
        assert!(
            !String::from_utf8_lossy(&data).contains(wrong),
            "password never kept in a session"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_plain_invitation_form_shows_the_link_once() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Alpha", "owner@alpha.example").await;
    let ws = owner.workspace_id.as_str();
    let page = format!("/w/{ws}/members");
    let answer = owner
        .browser
        .plain_post(
            "members/invite",
            &page,
            &[
                ("workspace", ws),
                ("email", "carol@alpha.example"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location().to_owned();
    assert!(!location.contains("__err="), "{location}");

    let first = owner.browser.page(&location).await;
    assert_eq!(first.status, StatusCode::OK);
    let link_start = format!("{}/invitations/accept?token=", owner.browser.base);
    assert!(first.body.contains(&link_start), "the link is shown");
    let second = owner.browser.page(&location).await;
    assert!(second.body.contains("carol@alpha.example"), "still pending");
    assert!(
        !second.body.contains("/invitations/accept?token="),
        "but the link only once"
    );

    // The link shown works.
    let at = first.body.find(&link_start).unwrap();
    let token: String = first.body[at + link_start.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let carol = Browser::new(&app);
    assert_eq!(
        invitation(&carol, &token).await.unwrap().email,
        "carol@alpha.example"
    );
    app.stop().await;
}
