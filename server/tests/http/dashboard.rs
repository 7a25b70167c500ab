//! The environment dashboard (`/w/{ws}/e/{env}`, "Overview") over HTTP: the
//! page draws its charts as SVG in the HTML itself (no JavaScript needed),
//! each with its summary in words and its numbers in a table; the numbers are
//! those of the refreshes, probes and API calls that happened; the
//! connections that need attention link to their pages; another workspace
//! gets "not found". Runs on SQLite and PostgreSQL (`PINBRIDGE_TEST_BACKEND`).

use crate::api::new_key;
use crate::common::portal::{join, provision};
use crate::connections::{APP_ID, EndUser, World, connect, sim_admin, world};
use app::models::DashboardView;
use domain::connections::dashboard;
use domain::db::now_ms;
use domain::shared::{ApiPermission, Health};
use reqwest::StatusCode;
use serde_json::json;

async fn overview(w: &World) -> DashboardView {
    w.owner
        .browser
        .call(
            "dashboard/view",
            &[("workspace", &w.ws), ("environment", &w.env_slug)],
        )
        .await
        .unwrap()
}

fn home(w: &World) -> String {
    format!("/w/{}/e/{}", w.ws, w.env_slug)
}

#[tokio::test]
async fn the_overview_draws_what_happened_as_svg_with_words_and_tables() {
    let w = world().await;
    // Nothing happened yet: every chart says so in words.
    let page = w.owner.browser.page(&home(&w)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for empty in [
        "No refreshes in the last 24 hours.",
        "No health checks in the last 24 hours.",
        "No calls to Pinterest in the last 24 hours.",
        "No API calls in the last 24 hours.",
        "No agent tool calls in the last 24 hours.",
        "Nothing needs attention",
    ] {
        assert!(page.body.contains(empty), "{empty}: {}", page.body);
    }

    // Two end users connect. Alice's token is refreshed and checked; then
    // her tokens are revoked at Pinterest, and the next check (with its
    // refresh) fails: she needs re-authorization. Bob is left alone.
    let user = EndUser::new();
    let (alice, _) = connect(&w, &user, "alice").await;
    let (_bob, _) = connect(&w, &user, "bob").await;
    let act = |endpoint: &'static str| {
        let (b, ws, id) = (&w.owner.browser, w.ws.clone(), alice.clone());
        async move {
            b.call::<String>(endpoint, &[("workspace", &ws), ("connection", &id)])
                .await
                .unwrap()
        }
    };
    act("connection/refresh").await;
    assert!(act("connection/check").await.contains("Active"));
    sim_admin(
        &w.sim,
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"client_id": APP_ID, "username": "demo_pinner"}),
    )
    .await;
    let said = act("connection/check").await;
    assert!(said.contains("Needs re-authorization"), "{said}");
    // An application lists connections twice and asks for one that is not there.
    let key = new_key(
        &w.app,
        &w.ws,
        &w.owner.operator_id,
        &w.env_id,
        &[ApiPermission::ConnectionsRead],
        1000,
    )
    .await;
    let client = reqwest::Client::new();
    for (path, status) in [
        ("/v1/connections", StatusCode::OK),
        ("/v1/connections", StatusCode::OK),
        ("/v1/connections/not-a-connection", StatusCode::NOT_FOUND),
    ] {
        let res = client
            .get(w.app.url(path))
            .bearer_auth(key.key.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{path}");
    }
    // What the processes do in the background: flush the API's counts, count
    // connections per state.
    let state = w.app.state();
    domain::api::maintain(state, false).await.unwrap();
    dashboard::snapshot(&state.db, now_ms()).await.unwrap();

    // The numbers are the events'.
    let view = overview(&w).await;
    let t = &view.totals;
    assert_eq!((t.refreshes_ok, t.refreshes_failed), (1, 1));
    assert_eq!(
        (t.probes_ok, t.probes_unauthorized, t.probes_transient),
        (1, 1, 0)
    );
    assert_eq!((t.api_ok, t.api_failed, t.tools_ok), (2, 1, 0));
    assert_eq!(t.latency.unwrap().calls, 4, "two refreshes, two probes");
    assert_eq!(view.hours.len(), 24);
    let counts = view.latest_counts().unwrap().counts.clone().unwrap();
    assert_eq!(
        (counts.get(Health::Active), counts.get(Health::NeedsReauth)),
        (1, 1)
    );
    assert_eq!(view.attention_total, 1);
    assert_eq!(view.attention[0].id, alice);
    assert_eq!(view.attention[0].end_user_id, "alice");

    // The page, as a browser without JavaScript gets it: complete.
    let page = w.owner.browser.page(&home(&w)).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(!body.contains("Loading…"), "rendered on the server");
    for chart in ["states", "refreshes", "probes", "latency", "api"] {
        assert!(
            body.contains(&format!(
                r#"<figure data-chart="{chart}" class="chart"><svg"#
            )),
            "{chart}: {body}"
        );
    }
    // Each chart is an image named by its summary, with a table of its numbers.
    assert_eq!(body.matches(r#"role="img""#).count(), 5, "{body}");
    for summary in [
        "Token refreshes per hour over the last 24 hours: 1 succeeded, 1 failed.",
        "Health checks per hour over the last 24 hours: 1 ok, 1 refused by Pinterest, 0 with Pinterest unavailable, 0 skipped.",
        "API calls per hour over the last 24 hours: 2 answered with success, 1 with an error.",
        "latency per hour over the last 24 hours, in 4 calls: average",
        ": 1 active, 1 needs re-authorization.",
    ] {
        assert!(body.contains(summary), "{summary}: {body}");
    }
    assert_eq!(
        body.matches("<summary>Show the numbers</summary>").count(),
        5
    );
    for caption in [
        "Token refreshes per hour",
        "Health checks per hour",
        "API calls per hour",
        "Connections by state per day",
    ] {
        assert!(
            body.contains(&format!("<caption>{caption}</caption>")),
            "{caption}"
        );
    }
    // Failures are flagged by shape, not only colour; the legend names it.
    assert!(body.contains(r#"class="flag""#) && body.contains("marks a bar with failures"));
    assert!(body.contains("No agent tool calls in the last 24 hours."));
    // The connection that needs attention, linked to its page.
    let link = format!(r#"href="{}/connections/{alice}""#, home(&w));
    assert!(body.contains(&link), "{link}: {body}");
    assert!(body.contains(">Needs re-authorization</span>"));
    // The navigation's Overview is this page; switching environment goes home.
    assert!(
        body.contains(&format!(
            r#"<a href="{}" aria-current="page">Overview</a>"#,
            home(&w)
        )),
        "{body}"
    );
    assert!(body.contains(&format!(r#"href="/w/{}/e/production""#, w.ws)));
    // No token anywhere.
    assert!(!body.contains("pina_") && !body.contains("pinr."));
    w.stop().await;
}

#[tokio::test]
async fn another_workspace_gets_not_found_and_a_viewer_reads_it() {
    let w = world().await;
    let other = provision(&w.app, "Other Co", "other@other.test").await;
    let page = other.browser.page(&home(&w)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
    assert!(!page.body.contains("Acme Pins"));
    // Its server function: another workspace, or an environment not there.
    for (browser, ws, env) in [
        (&other.browser, w.ws.as_str(), w.env_slug.as_str()),
        (&w.owner.browser, w.ws.as_str(), "no-such-environment"),
        (&w.owner.browser, other.workspace_id.as_str(), "development"),
    ] {
        let answer = browser
            .post("dashboard/view", &[("workspace", ws), ("environment", env)])
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{ws} {env}");
    }
    // Their own is theirs.
    let theirs = other
        .browser
        .page(&format!("/w/{}/e/development", other.workspace_id))
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    // Any member reads it.
    let (viewer, _) = join(
        &w.app,
        &w.owner.browser,
        &w.ws,
        "viewer@acme.test",
        "viewer",
    )
    .await;
    let page = viewer.page(&home(&w)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Overview</h1>"));
    w.stop().await;
}
