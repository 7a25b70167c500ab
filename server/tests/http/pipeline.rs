//! The Environments pipeline in the portal, as its pages and forms use it
//! with and without JavaScript: the comparison shows the differences and no
//! secret, a promotion is reviewed and confirmed by the target's name, a
//! viewer only looks, another workspace's environments are not found, and a
//! stale form is refused with nothing changed.

use app::errors::AppError;
use app::models::{DriftView, PlanView, PromotedView};
use domain::accounts::{Actor, EnvironmentId, OperatorId, RequestMeta, WorkspaceId, actor_in};
use domain::pinterest::settings::{self, SaveRequest};
use domain::pinterest::{ClientId, NewSecret, PinterestApi, ScopeSet};
use reqwest::StatusCode;

use crate::common::TestApp;
use crate::common::portal::{Owned, join, provision, set_up};

const DEV_SECRET: &str = "dev-secret-abcdef-1111";
const PROD_SECRET: &str = "prod-secret-abcdef-2222";

struct Pair {
    owner: Owned,
    actor: Actor,
    dev: (String, EnvironmentId),
    prod: (String, EnvironmentId),
}

async fn configure(
    app: &TestApp,
    actor: &Actor,
    env: &EnvironmentId,
    secret: &str,
    scopes: &[&str],
) {
    let s = app.state();
    settings::save(
        &s.db,
        &s.keys,
        actor,
        SaveRequest {
            environment_id: env.clone(),
            expected_version: 0,
            client_id: ClientId::parse("1234567").unwrap(),
            secret: NewSecret::parse(Some(secret)).unwrap(),
            scopes: ScopeSet::parse_selection(scopes).unwrap(),
            api: PinterestApi::Production,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
}

/// A workspace whose Development has one more scope and one more return
/// origin than Production.
async fn pair(app: &TestApp, email: &str) -> Pair {
    let owner = set_up(app, "Pipeline Co", email).await;
    let view = owner.browser.workspace(&owner.workspace_id).await.unwrap();
    let env = |name: &str| {
        let e = view.environments.iter().find(|e| e.name == name).unwrap();
        (e.slug.clone(), EnvironmentId::parse(&e.id).unwrap())
    };
    let (dev, prod) = (env("Development"), env("Production"));
    let actor = actor_in(
        &app.state().db,
        &WorkspaceId::parse(&owner.workspace_id).unwrap(),
        &OperatorId::parse(&owner.operator_id).unwrap(),
    )
    .await
    .unwrap();
    configure(
        app,
        &actor,
        &prod.1,
        PROD_SECRET,
        &["user_accounts:read", "boards:read", "pins:read"],
    )
    .await;
    configure(
        app,
        &actor,
        &dev.1,
        DEV_SECRET,
        &["user_accounts:read", "boards:read", "pins:read", "ads:read"],
    )
    .await;
    domain::connections::links::set_origins(
        &app.state().db,
        &actor,
        &dev.1,
        vec!["https://app.example.com".into()],
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    Pair {
        owner,
        actor,
        dev,
        prod,
    }
}

impl Pair {
    fn ws(&self) -> &str {
        &self.owner.workspace_id
    }

    fn compare_path(&self) -> String {
        format!(
            "/w/{}/environments/compare?from={}&to={}",
            self.ws(),
            self.dev.0,
            self.prod.0
        )
    }
}

async fn drift(browser: &crate::common::portal::Browser, p: &Pair) -> Result<DriftView, AppError> {
    browser
        .call(
            "environments/drift",
            &[("workspace", p.ws()), ("from", &p.dev.0), ("to", &p.prod.0)],
        )
        .await
}

fn promote_form<'a>(
    p: &'a Pair,
    view: &'a DriftView,
    items: &'a str,
    confirm: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("workspace", p.ws()),
        ("from", view.from.id.as_str()),
        ("to", view.to.id.as_str()),
        ("items", items),
        ("from_version", view.from.version.as_str()),
        ("to_version", view.to.version.as_str()),
        ("confirm_name", confirm),
    ]
}

#[tokio::test]
async fn the_comparison_and_promotion_work_with_and_without_javascript_and_show_no_secret() {
    crate::common::logs::captured();
    let app = TestApp::spawn().await;
    let p = pair(&app, "pipeline-owner@example.com").await;
    let browser = &p.owner.browser;

    // The page, as a browser without JavaScript gets it.
    let page = browser.page(&p.compare_path()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("3 differences."), "{}", page.body);
    for item in [
        "pinterest.scopes",
        "pinterest.secret",
        "return_origin:https://app.example.com",
    ] {
        assert!(
            page.body.contains(&format!("data-item=\"{item}\"")),
            "{item} missing"
        );
    }
    assert!(
        page.body
            .contains("name=\"item\" value=\"pinterest.scopes\"")
    );
    assert!(
        !page
            .body
            .contains("name=\"item\" value=\"pinterest.secret\""),
        "a secret is never offered"
    );
    assert!(page.body.contains("3 equal items"), "equal rows are folded");
    assert!(page.body.contains("fingerprint "));

    // The review page lists exactly what will change.
    let review = browser
        .page(&format!(
            "/w/{}/environments/promote?from={}&to={}&item=pinterest.scopes&item=return_origin%3Ahttps%3A%2F%2Fapp.example.com",
            p.ws(),
            p.dev.0,
            p.prod.0
        ))
        .await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(
        review
            .body
            .replace("<!>", "")
            .contains("Promote Development → Production"),
        "{}",
        review.body
    );
    assert!(review.body.contains("data-item=\"pinterest.scopes\""));
    assert!(review.body.contains("name=\"confirm_name\""));
    let plan: PlanView = browser
        .call(
            "environments/plan",
            &[
                ("workspace", p.ws()),
                ("from", &p.dev.0),
                ("to", &p.prod.0),
                (
                    "items",
                    "pinterest.scopes\nreturn_origin:https://app.example.com",
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(plan.changes.len(), 2);

    // A wrong confirmation, then a plain form post that promotes one item.
    let view = drift(browser, &p).await.unwrap();
    let wrong = browser
        .post(
            "environments/promote",
            &promote_form(&p, &view, "pinterest.scopes", "Prod"),
        )
        .await
        .decode::<PromotedView>();
    assert!(
        matches!(&wrong, Err(AppError::Invalid { field: Some(f), .. }) if f == "confirm_name"),
        "{wrong:?}"
    );
    let posted = browser
        .plain_post(
            "environments/promote",
            &review_path(&p),
            &promote_form(&p, &view, "pinterest.scopes", "Production"),
        )
        .await;
    assert!(
        posted.status.is_redirection(),
        "{:?} {}",
        posted.status,
        posted.body
    );
    assert!(
        posted.location().contains("/environments/compare?"),
        "{}",
        posted.location()
    );
    let after = browser.page(posted.location()).await;
    assert!(
        after.body.contains("Promoted 1 change to Production."),
        "{}",
        after.body
    );
    let now = drift(browser, &p).await.unwrap();
    assert_eq!(
        now.difference_count, 2,
        "the origin and the secret still differ"
    );

    // The same form again is stale: refused, nothing changes.
    let stale = browser
        .post(
            "environments/promote",
            &promote_form(
                &p,
                &view,
                "return_origin:https://app.example.com",
                "Production",
            ),
        )
        .await
        .decode::<PromotedView>();
    assert!(
        matches!(&stale, Err(AppError::Refused(m)) if m.contains("changed since")),
        "{stale:?}"
    );
    assert_eq!(drift(browser, &p).await.unwrap().to.version, now.to.version);

    // With JavaScript: the answer says what was promoted.
    let promoted: PromotedView = browser
        .call(
            "environments/promote",
            &promote_form(
                &p,
                &now,
                "return_origin:https://app.example.com",
                "Production",
            ),
        )
        .await
        .unwrap();
    assert_eq!(promoted.changes, 1);
    assert_eq!(drift(browser, &p).await.unwrap().difference_count, 1);

    for body in browser.bodies() {
        assert!(
            !body.contains(DEV_SECRET) && !body.contains(PROD_SECRET),
            "a secret in a page"
        );
    }
    let logs = crate::common::logs::captured();
    assert!(!logs.contains(DEV_SECRET) && !logs.contains(PROD_SECRET));
}

fn review_path(p: &Pair) -> String {
    format!(
        "/w/{}/environments/promote?from={}&to={}&item=pinterest.scopes",
        p.ws(),
        p.dev.0,
        p.prod.0
    )
}

#[tokio::test]
async fn viewers_only_look_and_another_workspace_finds_nothing() {
    let app = TestApp::spawn_with(&["--webhooks-allow-private"]).await;
    let p = pair(&app, "pipeline-owner2@example.com").await;
    // A webhook endpoint in Development: the Webhooks page is for owners and
    // admins, and so is its row in the comparison.
    let types = vec!["connection.created".to_owned()];
    let input = domain::webhooks::endpoints::EndpointInput::parse(
        "http://127.0.0.1:9/viewer-must-not-see",
        "",
        &types,
        true,
        true,
    )
    .unwrap();
    domain::webhooks::endpoints::create(
        app.state(),
        &p.actor,
        &p.dev.1,
        input,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        drift(&p.owner.browser, &p).await.unwrap().difference_count,
        4
    );
    let (viewer, _) = join(
        &app,
        &p.owner.browser,
        p.ws(),
        "pipeline-viewer@example.com",
        "viewer",
    )
    .await;
    let view = drift(&viewer, &p).await.unwrap();
    assert!(!view.can_promote);
    assert_eq!(view.difference_count, 3, "no webhook row for a viewer");
    assert_eq!(view.hidden, ["Webhook endpoints"]);
    let page = viewer.page(&p.compare_path()).await;
    assert!(
        !page.body.contains("name=\"item\""),
        "a viewer is offered nothing to copy"
    );
    assert!(!page.body.contains("viewer-must-not-see"));
    assert!(
        page.body
            .replace("<!>", "")
            .contains("Not shown to your role: Webhook endpoints.")
    );
    let refused = viewer
        .post(
            "environments/promote",
            &promote_form(&p, &view, "pinterest.scopes", "Production"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        drift(&p.owner.browser, &p).await.unwrap().to.version,
        view.to.version
    );

    // Another workspace's owner: not found, by slug or by id.
    let stranger = provision(&app, "Stranger Co", "pipeline-stranger@example.com").await;
    let theirs = stranger.browser.page(&p.compare_path()).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let owner_view = drift(&p.owner.browser, &p).await.unwrap();
    let cross = stranger
        .browser
        .post(
            "environments/promote",
            &[
                ("workspace", stranger.workspace_id.as_str()),
                ("from", owner_view.from.id.as_str()),
                ("to", owner_view.to.id.as_str()),
                ("items", "pinterest.scopes"),
                ("from_version", owner_view.from.version.as_str()),
                ("to_version", owner_view.to.version.as_str()),
                ("confirm_name", "Production"),
            ],
        )
        .await;
    assert_eq!(cross.status, StatusCode::NOT_FOUND, "{}", cross.body);

    // Bad input: the same environment twice, nothing chosen, an unknown item.
    let same = p
        .owner
        .browser
        .call::<DriftView>(
            "environments/drift",
            &[("workspace", p.ws()), ("from", &p.dev.0), ("to", &p.dev.0)],
        )
        .await;
    assert!(
        matches!(&same, Err(AppError::Invalid { message, .. }) if message.contains("two different")),
        "{same:?}"
    );
    for items in ["", "pinterest.nonsense", &"x".repeat(100_000)] {
        let refused = p
            .owner
            .browser
            .post(
                "environments/promote",
                &promote_form(&p, &owner_view, items, "Production"),
            )
            .await;
        assert!(
            refused.status.is_client_error(),
            "{items:.20}: {:?}",
            refused.status
        );
    }
    assert_eq!(
        drift(&p.owner.browser, &p).await.unwrap().to.version,
        owner_view.to.version
    );
}
