//! [Environment] → Integrations → Pinterest over HTTP, as the page uses it:
//! saving the App id, the write-only App secret key and scopes; refusals of bad
//! input, roles and other tenants; optimistic concurrency; the credential check
//! against a local fake of Pinterest's token endpoint; and the secret never
//! leaving the server, in pages, answers, logs, the audit log or the sessions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::TestApp;
use crate::common::portal::{Browser, Owned, join, provision, set_up};
use app::errors::AppError;
use app::models::{
    IntegrationState, IntegrationsView, PinterestPageView, PinterestSaved, PinterestSettingsView,
};
use domain::shared::{CheckOutcome, PinterestApi};
use reqwest::StatusCode;

const MINIMUM: [&str; 3] = ["user_accounts:read", "boards:read", "pins:read"];
const SECRET: &str = "f00dfacecafe0123456789abcdefdeadbeef4a7c";
const NEW_SECRET: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234zq9";

// ---------------------------------------------------------------------------
// A fake of Pinterest's token endpoint, answering by client id.

/// What the fake answers for each App id.
const ACCEPTS: &str = "2222222"; // 400: the credentials are fine, the code is not
const REJECTS: &str = "1111111"; // 401: bad credentials
const HANGS: &str = "3333333"; // never answers
const FAILS: &str = "4444444"; // 503

#[derive(Clone, Debug)]
struct Received {
    authorization: String,
    content_type: String,
    body: String,
}

struct FakePinterest {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn fake_pinterest() -> FakePinterest {
    use axum::http::{HeaderMap, StatusCode as S};
    use axum::routing::post;
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = received.clone();
    let token = move |headers: HeaderMap, body: String| {
        let log = log.clone();
        async move {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let authorization = header("authorization");
            log.lock().unwrap().push(Received {
                authorization: authorization.clone(),
                content_type: header("content-type"),
                body,
            });
            use base64::Engine;
            let decoded = authorization
                .strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let client_id = decoded.split(':').next().unwrap_or_default().to_owned();
            match client_id.as_str() {
                ACCEPTS => (
                    S::BAD_REQUEST,
                    r#"{"code":283,"message":"The authorization grant is invalid","status":"failure"}"#,
                ),
                HANGS => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    (S::OK, "{}")
                }
                FAILS => (
                    S::SERVICE_UNAVAILABLE,
                    r#"{"code":1,"message":"Service unavailable"}"#,
                ),
                _ => (
                    S::UNAUTHORIZED,
                    r#"{"code":2,"message":"Authentication failed.","status":"failure"}"#,
                ),
            }
        }
    };
    let router = axum::Router::new().route("/v5/oauth/token", post(token));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    FakePinterest { base, received }
}

/// pinbridge talking to `pinterest` (production and sandbox) with a short timeout.
async fn spawn_against(pinterest: &str) -> TestApp {
    TestApp::spawn_with(&[
        "--pinterest-api-url",
        pinterest,
        "--pinterest-sandbox-api-url",
        pinterest,
        "--pinterest-timeout-ms",
        "700",
    ])
    .await
}

// ---------------------------------------------------------------------------
// Helpers

/// The workspace's Development environment: (id, slug).
async fn development(owner: &Owned) -> (String, String) {
    let view = owner.browser.workspace(&owner.workspace_id).await.unwrap();
    let env = view
        .environments
        .into_iter()
        .find(|e| e.name == "Development")
        .unwrap();
    (env.id, env.slug)
}

struct Save<'a> {
    version: i64,
    client_id: &'a str,
    secret: &'a str,
    scopes: Vec<&'a str>,
    api: &'a str,
}

impl<'a> Save<'a> {
    fn first(client_id: &'a str, secret: &'a str) -> Self {
        Self {
            version: 0,
            client_id,
            secret,
            scopes: MINIMUM.to_vec(),
            api: "production",
        }
    }

    fn form(&self, ws: &'a str, env: &'a str) -> Vec<(&'a str, String)> {
        let mut form = vec![
            ("workspace", ws.to_owned()),
            ("environment_id", env.to_owned()),
            ("version", self.version.to_string()),
            ("client_id", self.client_id.to_owned()),
            ("client_secret", self.secret.to_owned()),
            ("api", self.api.to_owned()),
        ];
        form.extend(self.scopes.iter().map(|s| ("scopes[]", (*s).to_owned())));
        form
    }
}

fn borrowed<'a>(form: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn save(
    b: &Browser,
    ws: &str,
    env: &str,
    request: &Save<'_>,
) -> Result<PinterestSaved, AppError> {
    let form = request.form(ws, env);
    b.call("pinterest/save", &borrowed(&form)).await
}

async fn page(b: &Browser, ws: &str, slug: &str) -> PinterestPageView {
    b.call(
        "pinterest/view",
        &[("workspace", ws), ("environment", slug)],
    )
    .await
    .unwrap()
}

async fn check(b: &Browser, ws: &str, env: &str) -> Result<PinterestSettingsView, AppError> {
    b.call(
        "pinterest/check",
        &[("workspace", ws), ("environment_id", env)],
    )
    .await
}

async fn enable(
    b: &Browser,
    ws: &str,
    env: &str,
    on: bool,
) -> Result<PinterestSettingsView, AppError> {
    let on = on.to_string();
    b.call(
        "pinterest/enable",
        &[("workspace", ws), ("environment_id", env), ("enabled", &on)],
    )
    .await
}

async fn delete(b: &Browser, ws: &str, env: &str, confirm: &str) -> Result<String, AppError> {
    b.call(
        "pinterest/delete",
        &[
            ("workspace", ws),
            ("environment_id", env),
            ("confirm_name", confirm),
        ],
    )
    .await
}

/// The stored row, straight from the database.
async fn stored(
    app: &TestApp,
    ws: &str,
    env: &str,
) -> Option<domain::db::repo::pinterest_settings::PinterestSettingsRow> {
    use domain::accounts::{EnvironmentId, WorkspaceId};
    domain::db::repo::pinterest_settings::find(
        &app.state().db,
        &WorkspaceId::parse(ws).unwrap(),
        &EnvironmentId::parse(env).unwrap(),
    )
    .await
    .unwrap()
}

/// (action, detail) of the workspace's audit events, oldest first.
async fn audit(app: &TestApp, ws: &str) -> Vec<(String, serde_json::Value)> {
    let rows: Vec<(String, String)> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_as(
            "select action, detail from audit_events where workspace_id = $1 order by created_at, id",
        )
        .bind(ws)
        .fetch_all(pool)
        .await
    })
    .unwrap();
    rows.into_iter()
        .map(|(a, d)| (a, serde_json::from_str(&d).unwrap()))
        .collect()
}

fn pinterest_events(events: &[(String, serde_json::Value)]) -> Vec<&str> {
    events
        .iter()
        .map(|(a, _)| a.as_str())
        .filter(|a| a.starts_with("pinterest."))
        .collect()
}

fn field_of(err: &AppError) -> Option<&str> {
    err.field()
}

// ---------------------------------------------------------------------------
// Saving, reading back, replacing the secret

#[tokio::test]
async fn configure_reload_see_the_fingerprint_keep_and_replace_the_secret() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;

    // Before: not configured, the minimum preselected, the redirect URI shown
    // with warnings (the test server is plain http on a loopback address).
    let before = page(b, &ws, &slug).await;
    assert!(before.settings.is_none());
    assert!(before.can_configure);
    assert_eq!(
        before.redirect_uri,
        format!("{}/integration-callback", app.base)
    );
    assert_eq!(
        before.redirect_warnings.len(),
        2,
        "{:?}",
        before.redirect_warnings
    );
    let offered: Vec<(String, bool, bool)> = before
        .scope_groups
        .iter()
        .flat_map(|g| g.scopes.iter())
        .map(|s| (s.name.clone(), s.selected, s.minimum))
        .collect();
    assert_eq!(offered.len(), 17);
    for (name, selected, minimum) in &offered {
        assert_eq!(*minimum, MINIMUM.contains(&name.as_str()), "{name}");
        assert_eq!(selected, minimum, "{name}");
    }
    let groups: Vec<&str> = before
        .scope_groups
        .iter()
        .map(|g| g.label.as_str())
        .collect();
    assert_eq!(
        groups,
        [
            "Account",
            "Boards",
            "Pins",
            "Ads",
            "Catalogs",
            "Billing",
            "Business access"
        ]
    );

    // First save, the secret pasted with a trailing line break.
    let pasted = format!("  {SECRET}\n");
    let mut first = Save::first("1234567", &pasted);
    first.scopes.push("boards:write");
    first.api = "sandbox";
    let saved = save(b, &ws, &env, &first).await.unwrap();
    assert!(
        saved.notices.iter().any(|n| n.contains("removed")),
        "{:?}",
        saved.notices
    );
    let s = saved.settings;
    assert_eq!(s.client_id, "1234567");
    assert_eq!(s.secret_fingerprint, "…4a7c");
    assert_eq!(s.secret_set_by, "owner@acme.test");
    assert_eq!(s.api, PinterestApi::Sandbox);
    assert_eq!(s.version, 1);
    assert_eq!(
        s.scopes,
        [
            "user_accounts:read",
            "boards:read",
            "boards:write",
            "pins:read"
        ]
    );

    // Sealed at rest, bound to this workspace, environment and column.
    let row = stored(&app, &ws, &env).await.unwrap();
    assert!(!row.client_secret.contains(SECRET));
    assert_eq!(row.secret_last4, "4a7c");
    assert_eq!(
        row.scopes,
        "user_accounts:read boards:read boards:write pins:read"
    );
    let keys = &app.state().keys;
    let sealed = domain::crypto::Sealed::from_stored(row.client_secret.clone());
    fn aad(row: &str) -> domain::crypto::Aad<'_> {
        domain::crypto::Aad {
            table: "pinterest_settings",
            column: "client_secret",
            row,
        }
    }
    let binding = format!("{ws}/{env}");
    assert_eq!(
        keys.open_str(&sealed, aad(&binding)).unwrap().expose(),
        SECRET
    );
    let (prod_id, _) = {
        let view = b.workspace(&ws).await.unwrap();
        let p = view
            .environments
            .into_iter()
            .find(|e| e.name == "Production")
            .unwrap();
        (p.id, p.slug)
    };
    assert!(
        keys.open_str(&sealed, aad(&format!("{ws}/{prod_id}")))
            .is_err()
    );

    // Reload: the fingerprint, never the secret.
    let reloaded = page(b, &ws, &slug).await;
    let settings = reloaded.settings.clone().unwrap();
    assert_eq!(settings.secret_fingerprint, "…4a7c");
    let html = b
        .page(&format!("/w/{ws}/e/{slug}/integrations/pinterest"))
        .await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.body.contains("…4a7c"));
    assert!(html.body.contains("Replace secret"));
    assert!(html.body.contains("owner@acme.test"));
    assert!(!html.body.contains(SECRET));

    // Saving without the secret keeps it; changing scopes is audited both ways.
    let mut again = Save::first("1234567", "");
    again.version = 1;
    again.scopes.push("pins:write");
    let kept = save(b, &ws, &env, &again).await.unwrap().settings;
    assert_eq!(kept.version, 2);
    assert_eq!(kept.secret_fingerprint, "…4a7c");
    assert_eq!(kept.api, PinterestApi::Production);
    let row = stored(&app, &ws, &env).await.unwrap();
    let sealed = domain::crypto::Sealed::from_stored(row.client_secret.clone());
    assert_eq!(
        keys.open_str(&sealed, aad(&binding)).unwrap().expose(),
        SECRET
    );

    // The same form again changes nothing and writes nothing.
    let mut same = Save::first("1234567", "");
    same.version = 2;
    same.scopes.push("pins:write");
    let unchanged = save(b, &ws, &env, &same).await.unwrap();
    assert_eq!(unchanged.settings.version, 2);
    assert!(unchanged.notices[0].contains("Nothing to save"));

    // Replace the secret.
    let mut replace = Save::first("1234567", NEW_SECRET);
    replace.version = 2;
    replace.scopes.push("pins:write");
    let replaced = save(b, &ws, &env, &replace).await.unwrap();
    assert_eq!(replaced.settings.secret_fingerprint, "…4zq9");
    assert_eq!(replaced.settings.version, 3);
    let row = stored(&app, &ws, &env).await.unwrap();
    let sealed = domain::crypto::Sealed::from_stored(row.client_secret.clone());
    assert_eq!(
        keys.open_str(&sealed, aad(&binding)).unwrap().expose(),
        NEW_SECRET
    );

    let events = audit(&app, &ws).await;
    assert_eq!(
        pinterest_events(&events),
        [
            "pinterest.configured",
            "pinterest.settings_changed",
            "pinterest.secret_replaced"
        ]
    );
    let changed = &events
        .iter()
        .find(|(a, _)| a == "pinterest.settings_changed")
        .unwrap()
        .1;
    assert_eq!(
        changed["scopes_before"],
        "user_accounts:read boards:read boards:write pins:read"
    );
    assert_eq!(
        changed["scopes_after"],
        "user_accounts:read boards:read pins:read pins:write"
    );
    assert_eq!(changed["scopes_added"], "pins:write");
    assert_eq!(changed["scopes_removed"], "boards:write");
    assert_eq!(changed["api_before"], "sandbox");
    assert_eq!(changed["api_after"], "production");
    let secret_event = &events
        .iter()
        .find(|(a, _)| a == "pinterest.secret_replaced")
        .unwrap()
        .1;
    assert_eq!(secret_event["fingerprint_before"], "…4a7c");
    assert_eq!(secret_event["fingerprint_after"], "…4zq9");
    assert_eq!(
        secret_event["scopes"],
        "user_accounts:read boards:read pins:read pins:write"
    );

    // The Integrations card tells the truth.
    let list: IntegrationsView = b
        .call(
            "environments/integrations",
            &[("workspace", ws.as_str()), ("environment", slug.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(
        list.integrations[0].state,
        IntegrationState::Configured { check: None }
    );
    app.stop().await;
}

#[tokio::test]
async fn disable_enable_and_delete_with_a_typed_confirmation() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;
    let state = || async {
        let list: IntegrationsView = b
            .call(
                "environments/integrations",
                &[("workspace", ws.as_str()), ("environment", slug.as_str())],
            )
            .await
            .unwrap();
        list.integrations[0].state.clone()
    };
    assert_eq!(state().await, IntegrationState::NotConfigured);
    // Nothing to enable, check or delete yet.
    assert!(matches!(
        enable(b, &ws, &env, false).await,
        Err(AppError::Refused(_))
    ));
    assert!(matches!(
        check(b, &ws, &env).await,
        Err(AppError::Refused(_))
    ));

    save(b, &ws, &env, &Save::first("1234567", SECRET))
        .await
        .unwrap();
    let disabled = enable(b, &ws, &env, false).await.unwrap();
    assert!(!disabled.enabled);
    assert_eq!(state().await, IntegrationState::Disabled);
    // A disabled environment still saves its settings: the version it holds is current.
    let mut edit = Save::first("7654321", "");
    edit.version = 1;
    let edited = save(b, &ws, &env, &edit).await.unwrap().settings;
    assert!(!edited.enabled, "a save keeps the integration off");
    let enabled = enable(b, &ws, &env, true).await.unwrap();
    assert!(enabled.enabled);

    // Delete: the environment's name, exactly.
    let wrong = delete(b, &ws, &env, "development").await.unwrap_err();
    assert_eq!(field_of(&wrong), Some("confirm_name"));
    assert!(stored(&app, &ws, &env).await.is_some());
    // With connections, the delete is refused (counted inside its transaction);
    // disconnected ones hold no tokens and do not count.
    {
        use domain::accounts::{EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
        use domain::connections::portal;
        let db = &app.state().db;
        let workspace_id = WorkspaceId::parse(&ws).unwrap();
        let environment_id = EnvironmentId::parse(&env).unwrap();
        let connected = domain::testing::insert_connections(
            db,
            &workspace_id,
            &environment_id,
            &["user-1", "user-2"],
        )
        .await;
        let refused = delete(b, &ws, &env, "Development").await.unwrap_err();
        assert_eq!(
            refused,
            AppError::Refused(
                "This environment has 2 Pinterest connection(s): disconnect them before deleting the configuration.".into()
            ),
            "{refused:?}"
        );
        assert!(stored(&app, &ws, &env).await.is_some());
        let actor = actor_in(
            db,
            &workspace_id,
            &OperatorId::parse(&owner.operator_id).unwrap(),
        )
        .await
        .unwrap();
        for id in &connected {
            portal::disconnect(db, &actor, id, &RequestMeta::default())
                .await
                .unwrap();
        }
    }
    let said = delete(b, &ws, &env, "Development").await.unwrap();
    assert!(
        said.contains("configuration of Development was deleted"),
        "{said}"
    );
    assert!(stored(&app, &ws, &env).await.is_none());
    assert_eq!(state().await, IntegrationState::NotConfigured);
    assert!(matches!(
        delete(b, &ws, &env, "Development").await,
        Err(AppError::Refused(_))
    ));
    assert_eq!(
        pinterest_events(&audit(&app, &ws).await),
        [
            "pinterest.configured",
            "pinterest.disabled",
            "pinterest.settings_changed",
            "pinterest.enabled",
            "pinterest.deleted"
        ]
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Bad input

#[tokio::test]
async fn bad_input_gets_a_message_at_its_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;
    let long = "9".repeat(10_000);
    let long_secret = "a".repeat(10_000);
    let script = "<script>alert(1)</script>";
    let cases: Vec<(Save, &str, &str)> = vec![
        (Save::first("", SECRET), "client_id", "App id is required"),
        (Save::first("12ab", SECRET), "client_id", "digits only"),
        (Save::first(script, SECRET), "client_id", "digits only"),
        (
            Save::first(&long, SECRET),
            "client_id",
            "this one has 10000",
        ),
        (
            Save::first("1234567", ""),
            "client_secret",
            "required for the first save",
        ),
        (
            Save::first("1234567", "   "),
            "client_secret",
            "required for the first save",
        ),
        (
            Save::first("1234567", "short"),
            "client_secret",
            "at least 8",
        ),
        (
            Save::first("1234567", &long_secret),
            "client_secret",
            "this one has 10000",
        ),
        (Save::first("1234567", script), "client_secret", "< or >"),
        (
            Save::first("1234567", "abc def ghi jkl"),
            "client_secret",
            "a space",
        ),
        (
            Save {
                scopes: vec![
                    "user_accounts:read",
                    "boards:read",
                    "pins:read",
                    "msot:write",
                ],
                ..Save::first("1234567", SECRET)
            },
            "scopes",
            "“msot:write” is not a Pinterest scope",
        ),
        (
            Save {
                scopes: vec!["user_accounts:read", "boards:read", "pins:read", script],
                ..Save::first("1234567", SECRET)
            },
            "scopes",
            "is not a Pinterest scope",
        ),
        (
            Save {
                scopes: vec!["boards:read", "pins:read"],
                ..Save::first("1234567", SECRET)
            },
            "scopes",
            "user_accounts:read must stay selected",
        ),
        (
            Save {
                scopes: vec![],
                ..Save::first("1234567", SECRET)
            },
            "scopes",
            "must stay selected",
        ),
        (
            Save {
                api: "https://evil.example",
                ..Save::first("1234567", SECRET)
            },
            "api",
            "Production or Sandbox",
        ),
        (
            Save {
                api: script,
                ..Save::first("1234567", SECRET)
            },
            "api",
            "Production or Sandbox",
        ),
    ];
    for (request, field, message) in &cases {
        let form = request.form(&ws, &env);
        let answer = b.post("pinterest/save", &borrowed(&form)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            answer.body
        );
        let err = answer.decode::<PinterestSaved>().unwrap_err();
        assert_eq!(field_of(&err), Some(*field), "{err:?}");
        assert!(err.to_string().contains(message), "{field}: {err}");
        assert!(!err.to_string().contains(SECRET));
        assert!(stored(&app, &ws, &env).await.is_none());
    }
    // A version that is not a number: the form is not understood (not a 500).
    let mut form = Save::first("1234567", SECRET).form(&ws, &env);
    form[2].1 = "one".into();
    let answer = b.post("pinterest/save", &borrowed(&form)).await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    assert!(pinterest_events(&audit(&app, &ws).await).is_empty());

    // Once configured, a refused change leaves the stored settings as they were.
    save(b, &ws, &env, &Save::first("1234567", SECRET))
        .await
        .unwrap();
    let before = stored(&app, &ws, &env).await.unwrap();
    for (request, _, _) in &cases {
        let request = Save {
            version: 1,
            client_id: request.client_id,
            secret: request.secret,
            scopes: request.scopes.clone(),
            api: request.api,
        };
        // An empty secret is fine now: it keeps the stored one.
        if !request.secret.trim().is_empty() || request.client_id != "1234567" {
            assert!(save(b, &ws, &env, &request).await.is_err());
        }
    }
    assert_eq!(stored(&app, &ws, &env).await.unwrap(), before);

    // Without JavaScript: the refusal comes back next to the field, what was
    // typed is kept as text (never markup), and the secret is never kept.
    let from = format!("/w/{ws}/e/{slug}/integrations/pinterest");
    let mut bad = Save::first(script, SECRET);
    bad.version = 1;
    let form = bad.form(&ws, &env);
    let answer = b
        .plain_post("pinterest/save", &from, &borrowed(&form))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location().to_owned();
    let html = b.page(&location).await.body;
    assert!(html.contains("App id must be digits only"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "typed value kept, escaped"
    );
    assert!(!html.contains(script));
    assert!(!html.contains(SECRET));
    assert_eq!(stored(&app, &ws, &env).await.unwrap(), before);
    app.stop().await;
}

#[tokio::test]
async fn a_form_without_javascript_saves_and_says_so_on_the_next_page() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;
    let from = format!("/w/{ws}/e/{slug}/integrations/pinterest");
    let pasted = format!("{SECRET} ");
    let mut first = Save::first("1234567", &pasted);
    first.scopes.push("ads:read");
    let form = first.form(&ws, &env);
    let answer = b
        .plain_post("pinterest/save", &from, &borrowed(&form))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location().trim_end_matches('?'), b.url(&from));
    let html = b.page(&from).await.body;
    assert!(
        html.contains("Pinterest is configured in this environment"),
        "{html}"
    );
    assert!(html.contains("were removed before it was stored"));
    assert!(html.contains("…4a7c"));
    assert!(
        html.contains(r#"value="ads:read" checked"#)
            || html.contains(r#"checked value="ads:read""#)
            || {
                // Attribute order is Leptos's: find the ads:read box and see it checked.
                let at = html.find(r#"value="ads:read""#).unwrap();
                let start = html[..at].rfind('<').unwrap();
                let end = at + html[at..].find('>').unwrap();
                html[start..end].contains("checked")
            }
    );
    assert!(!html.contains(SECRET));
    // The notice is shown once.
    let again = b.page(&from).await.body;
    assert!(!again.contains("Pinterest is configured in this environment"));
    let row = stored(&app, &ws, &env).await.unwrap();
    assert_eq!(
        row.scopes,
        "user_accounts:read boards:read pins:read ads:read"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Roles and tenants

#[tokio::test]
async fn viewers_and_other_workspaces_cannot_touch_the_settings() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let other = provision(&app, "Globex", "owner@globex.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    save(&owner.browser, &ws, &env, &Save::first("1234567", SECRET))
        .await
        .unwrap();
    let before = stored(&app, &ws, &env).await.unwrap();
    let (viewer, _) = join(&app, &owner.browser, &ws, "viewer@acme.test", "viewer").await;

    // A viewer reads (without the secret) and is refused every change.
    let seen = page(&viewer, &ws, &slug).await;
    assert!(!seen.can_configure);
    assert_eq!(seen.settings.unwrap().secret_fingerprint, "…4a7c");
    let html = viewer
        .page(&format!("/w/{ws}/e/{slug}/integrations/pinterest"))
        .await
        .body;
    assert!(html.contains("You can view these settings"));
    assert!(!html.contains(r#"name="client_secret""#));
    let mut edit = Save::first("7654321", NEW_SECRET);
    edit.version = 1;
    let form = edit.form(&ws, &env);
    let answer = viewer.post("pinterest/save", &borrowed(&form)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        check(&viewer, &ws, &env).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        enable(&viewer, &ws, &env, false).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        delete(&viewer, &ws, &env, "Development").await.unwrap_err(),
        AppError::Forbidden
    );

    // Another workspace's owner: with their own workspace id and our
    // environment id, or with our workspace id, it is "not found".
    let theirs = other.workspace_id.clone();
    let g = &other.browser;
    for workspace in [theirs.as_str(), ws.as_str()] {
        let form = edit.form(workspace, &env);
        let answer = g.post("pinterest/save", &borrowed(&form)).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{workspace}: {}",
            answer.body
        );
        assert_eq!(
            check(g, workspace, &env).await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            enable(g, workspace, &env, false).await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            delete(g, workspace, &env, "Development").await.unwrap_err(),
            AppError::NotFound
        );
        let view = g
            .call::<PinterestPageView>(
                "pinterest/view",
                &[("workspace", workspace), ("environment", slug.as_str())],
            )
            .await;
        if workspace == ws {
            assert_eq!(view.unwrap_err(), AppError::NotFound);
        } else {
            // Their own Development: unconfigured, nothing of ours.
            assert!(view.unwrap().settings.is_none());
        }
    }
    let page = g
        .page(&format!("/w/{ws}/e/{slug}/integrations/pinterest"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("1234567"));
    assert_eq!(stored(&app, &ws, &env).await.unwrap(), before);
    // Their own environment was not configured by the attempt either.
    let (their_env, _) = development(&other).await;
    assert!(stored(&app, &theirs, &their_env).await.is_none());
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Concurrency

#[tokio::test]
async fn two_admins_saving_from_the_same_version_cannot_overwrite_each_other() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, _) = development(&owner).await;
    let (admin, _) = join(&app, &owner.browser, &ws, "admin@acme.test", "admin").await;

    // Both open the unconfigured page and save their first configuration at once.
    let a = Save::first("1111111", SECRET);
    let b = Save::first("2222222", NEW_SECRET);
    let (ra, rb) = tokio::join!(
        save(&owner.browser, &ws, &env, &a),
        save(&admin, &ws, &env, &b)
    );
    let (winner, loser) = match (&ra, &rb) {
        (Ok(_), Err(e)) => ("owner@acme.test", e),
        (Err(e), Ok(_)) => ("admin@acme.test", e),
        other => panic!("exactly one first save must win: {other:?}"),
    };
    let AppError::Refused(message) = loser else {
        panic!("{loser:?}")
    };
    assert!(
        message.contains(&format!("changed by {winner} at ")),
        "{message}"
    );
    assert!(message.contains("Reload"), "{message}");
    let row = stored(&app, &ws, &env).await.unwrap();
    assert_eq!(row.version, 1);
    assert_eq!(row.updated_by, winner);

    // Then both edit version 1: the second is told who changed it and when.
    let mut first = Save::first("5555555", "");
    first.version = 1;
    first.scopes.push("ads:read");
    save(&admin, &ws, &env, &first).await.unwrap();
    let mut late = Save::first("6666666", "");
    late.version = 1;
    let err = save(&owner.browser, &ws, &env, &late).await.unwrap_err();
    let AppError::Refused(message) = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("changed by admin@acme.test at "),
        "{message}"
    );
    let row = stored(&app, &ws, &env).await.unwrap();
    assert_eq!((row.client_id.as_str(), row.version), ("5555555", 2));

    // Eight saves from version 2 at the same moment: exactly one lands.
    let ids = [
        "7000001", "7000002", "7000003", "7000004", "7000005", "7000006", "7000007", "7000008",
    ];
    let saves: Vec<Save> = ids
        .iter()
        .map(|id| Save {
            version: 2,
            ..Save::first(id, "")
        })
        .collect();
    let (o, a) = (&owner.browser, &admin);
    let s = |i: usize| {
        save(
            if i.is_multiple_of(2) { o } else { a },
            &ws,
            &env,
            &saves[i],
        )
    };
    let r = tokio::join!(s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7));
    let results = [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7];
    let won: Vec<&PinterestSaved> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, AppError::Refused(m) if m.contains("changed by")),
            "{r:?}"
        );
    }
    let row = stored(&app, &ws, &env).await.unwrap();
    assert_eq!(row.version, 3);
    assert_eq!(row.client_id, won[0].settings.client_id);
    // One audit record per landed save: configured + two changes.
    assert_eq!(
        pinterest_events(&audit(&app, &ws).await),
        [
            "pinterest.configured",
            "pinterest.settings_changed",
            "pinterest.settings_changed"
        ]
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Checking credentials

#[tokio::test]
async fn check_credentials_tells_accepted_rejected_and_unreachable_apart() {
    let fake = fake_pinterest().await;
    let app = spawn_against(&fake.base).await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;
    let mut version = 0;
    let mut configure = |client_id: &'static str| {
        let request = Save {
            version,
            ..Save::first(client_id, if version == 0 { SECRET } else { "" })
        };
        version += 1;
        request
    };

    // 400 to an impossible code: the credentials were accepted.
    save(b, &ws, &env, &configure(ACCEPTS)).await.unwrap();
    let accepted = check(b, &ws, &env).await.unwrap().last_check.unwrap();
    assert_eq!(accepted.outcome, CheckOutcome::Accepted);
    assert_eq!(accepted.http_status, Some(400));
    assert_eq!(
        accepted.message.as_deref(),
        Some("The authorization grant is invalid")
    );
    assert_eq!(accepted.by, "owner@acme.test");
    {
        let received = fake.received.lock().unwrap();
        let request = received.last().unwrap();
        use base64::Engine;
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{ACCEPTS}:{SECRET}"));
        assert_eq!(request.authorization, format!("Basic {expected}"));
        assert_eq!(request.content_type, "application/x-www-form-urlencoded");
        let form: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("grant_type"), Some("authorization_code"));
        assert_eq!(
            get("redirect_uri"),
            Some(format!("{}/integration-callback", app.base).as_str())
        );
        assert!(get("code").is_some_and(|c| !c.is_empty()));
    }
    // Stored and shown after a reload, and on the Integrations card.
    let shown = page(b, &ws, &slug)
        .await
        .settings
        .unwrap()
        .last_check
        .unwrap();
    assert_eq!(shown, accepted);
    let list: IntegrationsView = b
        .call(
            "environments/integrations",
            &[("workspace", ws.as_str()), ("environment", slug.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(
        list.integrations[0].state,
        IntegrationState::Configured {
            check: Some(CheckOutcome::Accepted)
        }
    );

    // 401: rejected. A new App id forgot the previous result first.
    let saved = save(b, &ws, &env, &configure(REJECTS)).await.unwrap();
    assert!(saved.settings.last_check.is_none());
    let rejected = check(b, &ws, &env).await.unwrap().last_check.unwrap();
    assert_eq!(rejected.outcome, CheckOutcome::Rejected);
    assert_eq!(rejected.http_status, Some(401));
    assert_eq!(rejected.message.as_deref(), Some("Authentication failed."));
    assert!(rejected.summary.contains("rejected"));

    // 503: a failed check, not bad credentials.
    save(b, &ws, &env, &configure(FAILS)).await.unwrap();
    let failed = check(b, &ws, &env).await.unwrap().last_check.unwrap();
    assert_eq!(failed.outcome, CheckOutcome::Failed);
    assert!(failed.summary.contains("HTTP 503"), "{}", failed.summary);

    // No answer within the timeout: said as such.
    save(b, &ws, &env, &configure(HANGS)).await.unwrap();
    let started = std::time::Instant::now();
    let hung = check(b, &ws, &env).await.unwrap().last_check.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(hung.outcome, CheckOutcome::Failed);
    assert_eq!(hung.http_status, None);
    assert!(
        hung.summary.contains("did not answer within 0.7 seconds"),
        "{}",
        hung.summary
    );
    assert!(!hung.summary.contains("rejected"));

    let events = audit(&app, &ws).await;
    let checks: Vec<&serde_json::Value> = events
        .iter()
        .filter(|(a, _)| a == "pinterest.credentials_checked")
        .map(|(_, d)| d)
        .collect();
    let outcomes: Vec<&str> = checks
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["accepted", "rejected", "failed", "failed"]);
    assert_eq!(checks[0]["http_status"], 400);
    app.stop().await;
}

#[tokio::test]
async fn check_credentials_reports_a_refused_connection_as_a_network_error() {
    // A port nothing listens on.
    let closed = format!("http://127.0.0.1:{}", crate::common::free_port());
    let app = spawn_against(&closed).await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, _) = development(&owner).await;
    save(&owner.browser, &ws, &env, &Save::first("1234567", SECRET))
        .await
        .unwrap();
    let result = check(&owner.browser, &ws, &env)
        .await
        .unwrap()
        .last_check
        .unwrap();
    assert_eq!(result.outcome, CheckOutcome::Failed);
    assert!(
        result.summary.contains("Could not connect"),
        "{}",
        result.summary
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// The secret stays on the server

#[tokio::test]
async fn the_secret_is_in_no_page_answer_log_line_audit_record_or_session() {
    crate::common::logs::captured();
    let fake = fake_pinterest().await;
    let app = spawn_against(&fake.base).await;
    let owner = set_up(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let (env, slug) = development(&owner).await;
    let b = &owner.browser;
    let from = format!("/w/{ws}/e/{slug}/integrations/pinterest");

    // Configure, look, replace, check, and send refused forms with the
    // secret in them, with and without JavaScript.
    b.page(&from).await;
    save(b, &ws, &env, &Save::first(ACCEPTS, SECRET))
        .await
        .unwrap();
    b.page(&from).await;
    b.page(&format!("/w/{ws}/e/{slug}/integrations")).await;
    check(b, &ws, &env).await.unwrap();
    let mut bad = Save::first("not digits", NEW_SECRET);
    bad.version = 1;
    let form = bad.form(&ws, &env);
    b.post("pinterest/save", &borrowed(&form)).await;
    let answer = b
        .plain_post("pinterest/save", &from, &borrowed(&form))
        .await;
    b.page(answer.location()).await;
    let mut conflict = Save::first(ACCEPTS, NEW_SECRET);
    conflict.version = 0;
    b.post("pinterest/save", &borrowed(&conflict.form(&ws, &env)))
        .await;
    let mut replace = Save::first(ACCEPTS, NEW_SECRET);
    replace.version = 1;
    save(b, &ws, &env, &replace).await.unwrap();
    let plain = replace.form(&ws, &env);
    b.plain_post("pinterest/save", &from, &borrowed(&plain))
        .await;
    b.page(&from).await;
    check(b, &ws, &env).await.unwrap();
    b.page(&format!("/w/{ws}/audit")).await;
    b.call::<app::models::AuditView>("audit/list", &[("workspace", ws.as_str())])
        .await
        .ok();

    let bodies = b.bodies();
    assert!(bodies.len() >= 12, "{}", bodies.len());
    let audit_rows: Vec<String> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, String>(
            "select action || ' ' || target || ' ' || detail || ' ' || actor_label from audit_events",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap();
    assert!(
        audit_rows
            .iter()
            .any(|r| r.contains("pinterest.secret_replaced"))
    );
    let sessions: Vec<String> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar::<_, Vec<u8>>("select data from sessions")
            .fetch_all(pool)
            .await
    })
    .unwrap()
    .iter()
    .map(|d| String::from_utf8_lossy(d).into_owned())
    .collect();
    assert!(!sessions.is_empty());
    let stored_row = stored(&app, &ws, &env).await.unwrap();
    let logged = crate::common::logs::captured();
    // The capture works: the statements that stored the secret were logged.
    assert!(
        logged.contains("insert into pinterest_settings"),
        "logs are captured"
    );
    for secret in [SECRET, NEW_SECRET] {
        for body in &bodies {
            assert!(
                !body.contains(secret),
                "a response holds the secret: {body}"
            );
        }
        assert!(!logged.contains(secret), "the log holds the secret");
        for row in &audit_rows {
            assert!(
                !row.contains(secret),
                "an audit record holds the secret: {row}"
            );
        }
        for data in &sessions {
            assert!(!data.contains(secret), "a session holds the secret");
        }
        assert!(!stored_row.client_secret.contains(secret));
    }
    // It did reach Pinterest (the fake), and only there.
    assert!(fake.received.lock().unwrap().len() >= 2);
    app.stop().await;
}
