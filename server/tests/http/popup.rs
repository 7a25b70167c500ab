//! The connect flow in a popup (`?display=popup`, as the JavaScript SDK's
//! `connect()` opens it) over HTTP against pinterest-sim: the attempt
//! remembers it started in a popup, and its last page carries the result for
//! the opener, addressed to the link's return origin only, with the one
//! script the page's policy allows by hash. Runs on SQLite and PostgreSQL.

use reqwest::StatusCode;

use super::connections::{EndUser, RETURN, World, query_param, world};

/// The popup's last page: its `data-origin` and decoded `data-message`.
fn result_of(body: &str) -> Option<(String, serde_json::Value)> {
    let attr = |name: &str| {
        body.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|v| {
                v.replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
    };
    let origin = attr("data-origin")?;
    let message = serde_json::from_str(&attr("data-message")?).unwrap();
    Some((origin, message))
}

/// Opens `link` in the popup and presses "Continue to Pinterest": the authorize URL.
async fn start_in_popup(user: &EndUser, link: &str) -> String {
    let page = user.get(&format!("{link}?display=popup")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(r#"<input type="hidden" name="display" value="popup">"#),
        "{}",
        page.body
    );
    let go = user
        .send(user.client.post(link).form(&[("display", "popup")]))
        .await;
    assert_eq!(go.status, StatusCode::SEE_OTHER, "{}", go.body);
    go.location.unwrap()
}

async fn popup_states(w: &World) -> Vec<bool> {
    let rows: Vec<(bool,)> = domain::on_pool!(&w.app.state().db, pool => {
        sqlx::query_as("select popup from oauth_states where workspace_id = $1 order by created_at")
            .bind(&w.ws)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    rows.into_iter().map(|(p,)| p).collect()
}

#[tokio::test]
async fn a_popup_tells_its_opener_the_result_on_the_return_origin_only() {
    let w = world().await;
    let user = EndUser::new();

    // Connected: a page (not a redirect) with the result for https://app.example.com.
    let link = w.link("popup-user", RETURN).await.unwrap();
    let authorize = start_in_popup(&user, &link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let res = user.client.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("location").is_none());
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = res.text().await.unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let (origin, message) = result_of(&body).expect("a result for the opener");
    assert_eq!(origin, "https://app.example.com");
    assert_eq!(message["type"], "pinbridge:connect");
    assert_eq!(message["status"], "connected");
    let id = message["connectionId"].as_str().unwrap().to_owned();
    assert_eq!(w.detail(&id).await.row.end_user_id, "popup-user");
    assert!(body.contains("Connected as @"), "{body}");

    // The same link again, in the popup: used; the opener hears it.
    let used = user.get(&format!("{}?display=popup", link.url)).await;
    assert_eq!(used.status, StatusCode::GONE, "{}", used.body);
    let (origin, message) = result_of(&used.body).expect("a result for the opener");
    assert_eq!(origin, "https://app.example.com");
    assert_eq!(message["status"], "failed");
    assert_eq!(message["reason"], "link_used");
    // Outside the popup: the plain page, no script.
    let used = user.get(&link.url).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(!used.body.contains("<script"), "{}", used.body);

    // Denied: the opener hears why.
    let denied = w.link("popup-denied", RETURN).await.unwrap();
    let authorize = start_in_popup(&user, &denied.url).await;
    let callback = user.consent(&authorize, "deny").await;
    let page = user.get(&callback).await;
    let (origin, message) = result_of(&page.body).expect("a result for the opener");
    assert_eq!(origin, "https://app.example.com");
    assert_eq!(message["status"], "failed");
    assert_eq!(message["reason"], "access_denied");
    assert!(message.get("connectionId").is_none());

    // Started without the popup: the redirect, as before, and the states say which.
    let plain = w.link("page-user", RETURN).await.unwrap();
    let authorize = user.start(&plain.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(result_of(&done.body).is_none());
    assert!(query_param(done.location.as_deref().unwrap(), "connection_id").is_some());
    assert_eq!(popup_states(&w).await, [true, true, false]);

    // A popup for a link without a return URL has nowhere to post: the page only.
    let nowhere = w.link("popup-nowhere", "").await.unwrap();
    let authorize = start_in_popup(&user, &nowhere.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let page = user.get(&callback).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Connected as @"), "{}", page.body);
    assert!(result_of(&page.body).is_none(), "{}", page.body);
    assert!(!page.body.contains("<script"), "{}", page.body);

    // An unknown link in a popup: nobody to tell.
    let unknown = user
        .get(&format!(
            "{}/connect/{}?display=popup",
            w.app.base,
            "A".repeat(43)
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(!unknown.body.contains("<script"), "{}", unknown.body);
    w.stop().await;
}

#[tokio::test]
async fn a_popup_whose_return_origin_was_removed_tells_nobody() {
    let w = world().await;
    let user = EndUser::new();
    let link = w.link("popup-removed", RETURN).await.unwrap();
    let authorize = start_in_popup(&user, &link.url).await;
    let saved: Vec<String> = w
        .owner
        .browser
        .call(
            "connections/origins",
            &[
                ("workspace", w.ws.as_str()),
                ("environment_id", w.env_id.as_str()),
                ("origins", "http://127.0.0.1:9"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(saved, ["http://127.0.0.1:9"]);
    let callback = user.consent(&authorize, "allow").await;
    let page = user.get(&callback).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(result_of(&page.body).is_none(), "{}", page.body);
    assert!(!page.body.contains("app.example.com"), "{}", page.body);
    w.stop().await;
}
