//! The portal's API keys page over HTTP, as its forms use it with and without
//! JavaScript: a key's text is answered once and never again (not in the
//! list, the page, the session store or the logs), viewers only look, keys of
//! another workspace are not found; rotation and revocation.

use crate::common::TestApp;
use crate::common::portal::{Browser, Owned, join, provision, set_up};
use app::errors::AppError;
use app::models::{ApiKeysPageView, ApiReferenceView, IssuedApiKey, KeyState};
use domain::accounts::{EnvironmentId, WorkspaceId};
use reqwest::StatusCode;

/// An environment as these tests (and the Agents page's) address it.
pub(super) struct Env {
    pub(super) ws: String,
    pub(super) id: String,
    pub(super) slug: String,
}

impl Env {
    /// Its API keys page.
    fn page(&self) -> String {
        self.path("api-keys")
    }

    /// One of its pages: `/w/{ws}/e/{env}/{rest}`.
    pub(super) fn path(&self, rest: &str) -> String {
        format!("/w/{}/e/{}/{rest}", self.ws, self.slug)
    }

    pub(super) fn ids(&self) -> (WorkspaceId, EnvironmentId) {
        (
            WorkspaceId::parse(&self.ws).unwrap(),
            EnvironmentId::parse(&self.id).unwrap(),
        )
    }
}

/// The owner's workspace's Development environment.
pub(super) async fn development(owner: &Owned) -> Env {
    let view = owner.browser.workspace(&owner.workspace_id).await.unwrap();
    let env = view
        .environments
        .into_iter()
        .find(|e| e.name == "Development")
        .expect("a Development environment");
    Env {
        ws: owner.workspace_id.clone(),
        id: env.id,
        slug: env.slug,
    }
}

async fn create(
    browser: &Browser,
    env: &Env,
    name: &str,
    permissions: &[&str],
) -> Result<IssuedApiKey, AppError> {
    let mut form = vec![
        ("workspace", env.ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("name", name),
        ("expires_in_days", "30"),
        ("rate_limit", "120"),
    ];
    form.extend(permissions.iter().map(|p| ("permissions[]", *p)));
    browser.call("api-keys/create", &form).await
}

pub(super) async fn list(browser: &Browser, env: &Env) -> Result<ApiKeysPageView, AppError> {
    browser
        .call(
            "api-keys/view",
            &[("workspace", &env.ws), ("environment", &env.slug)],
        )
        .await
}

async fn key_action<T: serde::de::DeserializeOwned>(
    browser: &Browser,
    endpoint: &str,
    env: &Env,
    key: &str,
    extra: &[(&str, &str)],
) -> Result<T, AppError> {
    let mut form = vec![
        ("workspace", env.ws.as_str()),
        ("environment_id", env.id.as_str()),
        ("key_id", key),
    ];
    form.extend_from_slice(extra);
    browser.call(endpoint, &form).await
}

/// The key text a page shows in its "shown once" box, if any.
fn shown_key(html: &str) -> Option<String> {
    let start = html.find(r#"data-field="issued-key-text""#)?;
    let rest = &html[start..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(rest[..rest.find('<')?].to_owned())
}

/// What the session store holds, as text.
async fn sessions(app: &TestApp) -> Vec<String> {
    let sessions: Vec<Vec<u8>> = domain::on_pool!(&app.state().db, pool => {
        sqlx::query_scalar("select data from sessions").fetch_all(pool).await
    })
    .unwrap();
    sessions
        .iter()
        .map(|data| String::from_utf8_lossy(data).into_owned())
        .collect()
}

async fn sessions_hold(app: &TestApp, text: &str) -> bool {
    sessions(app).await.iter().any(|s| s.contains(text))
}

#[tokio::test]
async fn a_new_key_is_shown_once_and_only_its_visible_part_after() {
    crate::common::logs::captured();
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;

    let issued = create(
        &owner.browser,
        &env,
        "Backend",
        &["connections:read", "tokens"],
    )
    .await
    .unwrap();
    assert!(issued.key.starts_with("pinbridge_dev_"), "{issued:?}");
    assert_eq!(issued.prefix, "pinbridge_dev_");
    assert!(issued.key.ends_with(&issued.last_four));
    assert!(issued.expires_at.is_some(), "30 days");
    // It is a working key of this environment.
    let caller = domain::api::authenticate(app.state(), Some(&format!("Bearer {}", issued.key)))
        .await
        .unwrap();
    assert_eq!(caller.environment_id.to_string(), env.id);
    assert_eq!(caller.rate_limit, 120);

    let view = list(&owner.browser, &env).await.unwrap();
    assert!(view.can_configure);
    assert_eq!(view.issued, None, "a later call does not show it again");
    let [key] = view.keys.as_slice() else {
        panic!("{view:?}")
    };
    assert_eq!(key.name, "Backend");
    assert_eq!(
        key.visible(),
        format!("pinbridge_dev_\u{2026}{}", issued.last_four)
    );
    assert_eq!(key.state, KeyState::Active);
    assert_eq!(key.rate_limit, 120);

    let page = owner.browser.page(&env.page()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&key.visible()),
        "the visible part is listed"
    );
    assert!(
        page.body.contains(r#"id="new-api-key""#),
        "admins get the form"
    );
    assert!(!page.body.contains(&issued.key), "never the key itself");
    assert_eq!(shown_key(&page.body), None);

    // What the browser received after the one answer holds no key text.
    let bodies = owner.browser.bodies();
    let with_key = bodies.iter().filter(|b| b.contains(&issued.key)).count();
    assert_eq!(with_key, 1, "only the answer that made it");
    assert!(!sessions_hold(&app, &issued.key).await);
    assert!(
        !crate::common::logs::captured().contains(&issued.key),
        "never logged"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_javascript_the_next_page_shows_the_key_once() {
    crate::common::logs::captured();
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;
    let page = env.page();

    let answer = owner
        .browser
        .plain_post(
            "api-keys/create",
            &page,
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("name", "Nightly sync"),
                ("permissions[]", "proxy"),
                ("expires_in_days", ""),
                ("rate_limit", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = answer.location().to_owned();
    assert!(!location.contains("__err="), "{location}");
    // Until the next page load takes it, the key waits in the session, sealed.
    let waiting = sessions(&app).await;
    assert!(
        waiting.iter().any(|s| s.contains("Nightly sync")),
        "the flash holds the new key's name"
    );
    let before = owner.browser.bodies().len();

    let first = owner.browser.page(&location).await;
    assert_eq!(first.status, StatusCode::OK);
    let key = shown_key(&first.body).expect("the key is shown");
    assert!(key.starts_with("pinbridge_dev_"), "{key}");
    assert!(first.body.contains("will not be shown again"));
    domain::api::authenticate(app.state(), Some(&format!("Bearer {key}")))
        .await
        .unwrap();
    let view = list(&owner.browser, &env).await.unwrap();
    assert_eq!(view.keys[0].rate_limit, 6000, "the default");
    assert_eq!(view.keys[0].expires_at, None, "never");

    let second = owner.browser.page(&location).await;
    assert_eq!(shown_key(&second.body), None, "a reload does not show it");
    assert!(!second.body.contains(&key));
    assert!(!sessions_hold(&app, &key).await);
    assert!(
        waiting.iter().all(|s| !s.contains(&key)),
        "never in the clear in the session store"
    );
    assert!(!answer.body.contains(&key), "nor in the redirect's body");
    assert!(!crate::common::logs::captured().contains(&key));
    assert_eq!(
        owner.browser.bodies()[before..]
            .iter()
            .filter(|b| b.contains(&key))
            .count(),
        1
    );

    // A refused form comes back with the error at its field and what was chosen.
    let refused = owner
        .browser
        .plain_post(
            "api-keys/create",
            &page,
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("name", "No permissions"),
                ("rate_limit", "50"),
            ],
        )
        .await;
    let location = refused.location().to_owned();
    assert!(location.contains("__err="), "{location}");
    let shown = owner.browser.page(&location).await;
    assert!(shown.body.contains("Choose at least one permission."));
    assert!(
        shown.body.contains(r#"value="No permissions""#),
        "name kept"
    );
    assert!(shown.body.contains(r#"value="50""#), "rate limit kept");
    assert_eq!(list(&owner.browser, &env).await.unwrap().keys.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn rotation_keeps_the_old_key_for_its_grace_period_and_revocation_ends_it() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;
    let b = &owner.browser;
    let old = create(b, &env, "Backend", &["tokens"]).await.unwrap();

    let started = domain::db::now_ms();
    let new: IssuedApiKey = key_action(
        b,
        "api-key/rotate",
        &env,
        &old.id,
        &[("grace_secs", "3600")],
    )
    .await
    .unwrap();
    assert_ne!(new.key, old.key);
    assert!(new.key.starts_with("pinbridge_dev_"));
    assert_eq!(new.name, "Backend");
    let replaced = new.replaces.clone().expect("says what it replaces");
    assert_eq!(replaced.id, old.id);
    assert!(!replaced.stopped_at_once);
    assert!(
        (started + 3_600_000..started + 3_660_000).contains(&replaced.works_until),
        "{replaced:?}"
    );
    for key in [&old.key, &new.key] {
        domain::api::authenticate(app.state(), Some(&format!("Bearer {key}")))
            .await
            .unwrap();
    }
    let view = list(b, &env).await.unwrap();
    let state = |id: &str| {
        view.keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.state.clone())
            .unwrap()
    };
    assert_eq!(
        state(&old.id),
        KeyState::Retiring {
            until: replaced.works_until
        }
    );
    assert_eq!(state(&new.id), KeyState::Active);
    let page = b.page(&env.page()).await;
    assert!(!page.body.contains(&new.key) && !page.body.contains(&old.key));

    // A rotated key is not rotated again; the refusal belongs to its row.
    let again =
        key_action::<IssuedApiKey>(b, "api-key/rotate", &env, &old.id, &[("grace_secs", "0")])
            .await
            .unwrap_err();
    assert_eq!(
        again.field(),
        Some(format!("@{}", old.id).as_str()),
        "{again:?}"
    );
    let bad_grace =
        key_action::<IssuedApiKey>(b, "api-key/rotate", &env, &new.id, &[("grace_secs", "-5")])
            .await
            .unwrap_err();
    assert_eq!(
        bad_grace.field(),
        Some(format!("grace_secs@{}", new.id).as_str())
    );

    // Rotating with no grace period stops the old key at once.
    let newest: IssuedApiKey =
        key_action(b, "api-key/rotate", &env, &new.id, &[("grace_secs", "0")])
            .await
            .unwrap();
    assert!(newest.replaces.unwrap().stopped_at_once);
    let refused =
        domain::api::authenticate(app.state(), Some(&format!("Bearer {}", new.key))).await;
    assert!(refused.is_err(), "the replaced key stopped");

    // The rate limit changes; a bad one is refused at its row's field.
    let bad = key_action::<String>(
        b,
        "api-key/rate-limit",
        &env,
        &newest.id,
        &[("rate_limit", "lots")],
    )
    .await
    .unwrap_err();
    assert_eq!(
        bad.field(),
        Some(format!("rate_limit@{}", newest.id).as_str())
    );
    let said: String = key_action(
        b,
        "api-key/rate-limit",
        &env,
        &newest.id,
        &[("rate_limit", "300")],
    )
    .await
    .unwrap();
    assert!(said.contains("300 requests per minute"), "{said}");

    // Revoked: refused from now on, and said so in the list.
    let said: String = key_action(b, "api-key/revoke", &env, &newest.id, &[])
        .await
        .unwrap();
    assert!(said.starts_with("Revoked"), "{said}");
    let refused =
        domain::api::authenticate(app.state(), Some(&format!("Bearer {}", newest.key))).await;
    assert!(refused.is_err());
    let view = list(b, &env).await.unwrap();
    let revoked = view.keys.iter().find(|k| k.id == newest.id).unwrap();
    assert!(
        matches!(revoked.state, KeyState::Revoked { .. }),
        "{revoked:?}"
    );
    assert_eq!(revoked.rate_limit, 300);
    let twice = key_action::<String>(b, "api-key/revoke", &env, &newest.id, &[])
        .await
        .unwrap_err();
    assert_eq!(twice.field(), Some(format!("@{}", newest.id).as_str()));
    app.stop().await;
}

#[tokio::test]
async fn viewers_see_the_list_but_cannot_change_keys() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;
    let key = create(&owner.browser, &env, "Backend", &["tokens"])
        .await
        .unwrap();
    let (viewer, _) = join(
        &app,
        &owner.browser,
        &env.ws,
        "viewer@keys.example",
        "viewer",
    )
    .await;

    let view = list(&viewer, &env).await.unwrap();
    assert!(!view.can_configure);
    assert_eq!(view.keys.len(), 1);
    let page = viewer.page(&env.page()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&view.keys[0].visible()));
    assert!(!page.body.contains(r#"id="new-api-key""#), "no form");
    assert!(!page.body.contains("Revoke"), "no per-key forms");

    let answer = viewer
        .post(
            "api-keys/create",
            &[
                ("workspace", &env.ws),
                ("environment_id", &env.id),
                ("name", "Mine"),
                ("permissions[]", "tokens"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.decode::<IssuedApiKey>().unwrap_err(),
        AppError::Forbidden
    );
    for (endpoint, extra) in [
        ("api-key/revoke", vec![]),
        ("api-key/rotate", vec![("grace_secs", "0")]),
        ("api-key/rate-limit", vec![("rate_limit", "1")]),
    ] {
        let err = key_action::<serde_json::Value>(&viewer, endpoint, &env, &key.id, &extra)
            .await
            .unwrap_err();
        assert_eq!(err, AppError::Forbidden, "{endpoint}");
    }
    let view = list(&owner.browser, &env).await.unwrap();
    assert_eq!(view.keys.len(), 1);
    assert_eq!(view.keys[0].state, KeyState::Active);
    assert_eq!(view.keys[0].rate_limit, 120);
    app.stop().await;
}

#[tokio::test]
async fn another_workspaces_keys_are_not_found() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;
    let other = provision(&app, "Other Co", "owner@other.example").await;
    let theirs_env = development(&other).await;
    let theirs = create(&other.browser, &theirs_env, "Theirs", &["tokens"])
        .await
        .unwrap();

    for env_id in [&env.id, &theirs_env.id] {
        let mixed = Env {
            ws: env.ws.clone(),
            id: env_id.clone(),
            slug: env.slug.clone(),
        };
        for (endpoint, extra) in [
            ("api-key/revoke", vec![]),
            ("api-key/rotate", vec![("grace_secs", "0")]),
            ("api-key/rate-limit", vec![("rate_limit", "1")]),
        ] {
            let err = key_action::<serde_json::Value>(
                &owner.browser,
                endpoint,
                &mixed,
                &theirs.id,
                &extra,
            )
            .await
            .unwrap_err();
            assert_eq!(err, AppError::NotFound, "{endpoint} in {env_id}");
        }
    }
    // Nor is their environment, or their workspace.
    let err = create(
        &owner.browser,
        &Env {
            ws: env.ws.clone(),
            id: theirs_env.id.clone(),
            slug: env.slug.clone(),
        },
        "Sneaky",
        &["tokens"],
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    assert_eq!(
        list(&owner.browser, &theirs_env).await.unwrap_err(),
        AppError::NotFound
    );
    let still = list(&other.browser, &theirs_env).await.unwrap();
    assert_eq!(still.keys[0].state, KeyState::Active);
    assert_eq!(list(&owner.browser, &env).await.unwrap().keys.len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn the_api_reference_and_the_navigation_are_there() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Keys Inc", "owner@keys.example").await;
    let env = development(&owner).await;
    let view: ApiReferenceView = owner
        .browser
        .call(
            "api-reference/view",
            &[("workspace", &env.ws), ("environment", &env.slug)],
        )
        .await
        .unwrap();
    assert_eq!(view.base_url, format!("{}/v1", app.base));
    // The served document, every operation, with a curl line for this pinbridge.
    let doc = view.document.expect("the server's OpenAPI document");
    let served: serde_json::Value = reqwest::get(app.url("/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = 0;
    for (path, methods) in served["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            documented += 1;
            let op = doc
                .operations
                .iter()
                .find(|o| o.path == *path && o.method.eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} shown"));
            assert!(op.curl.contains(&format!("{}/v1", app.base)), "{}", op.curl);
            assert!(
                op.curl.contains("Authorization: Bearer $PINBRIDGE_API_KEY"),
                "{}",
                op.curl
            );
            assert!(!op.responses.is_empty());
        }
    }
    assert_eq!(doc.operations.len(), documented);
    assert!(documented >= 10);
    assert!(
        doc.problem_types
            .iter()
            .any(|p| p.type_uri == "urn:pinbridge:problem:reconnect-required"),
        "the errors table"
    );
    let page = owner
        .browser
        .page(&format!("/w/{}/e/{}/api-reference", env.ws, env.slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("API reference"));
    assert!(page.body.contains("/connections/{id}/access-token"));
    assert!(page.body.contains("urn:pinbridge:problem:rate-limited"));
    assert!(!page.body.contains("https://cdn"), "nothing from a CDN");
    let keys = owner.browser.page(&env.page()).await;
    assert!(keys.body.contains(&format!(
        r#"href="/w/{}/e/{}/api-reference""#,
        env.ws, env.slug
    )));
    app.stop().await;
}
