//! The REST API's behaviour: paging, CRUD, Trial tier, secret boards, and the
//! `x-pinterest-rid` header on every kind of answer.

use std::collections::HashSet;

use crate::support::*;
use pinterest_sim::{
    AccessTier, AppSpec, Environment, MintRequest, RID_HEADER, RunningSim, ScopeSet,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Follows bookmarks from `path` to the end; returns ids in order and the page count.
async fn page_through(
    sim: &RunningSim,
    token: &str,
    path: &str,
    page_size: Option<usize>,
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut bookmark: Option<String> = None;
    loop {
        let mut url = url::Url::parse(&format!("{}{path}", sim.base_url())).unwrap();
        {
            let mut q = url.query_pairs_mut();
            if let Some(size) = page_size {
                q.append_pair("page_size", &size.to_string());
            }
            if let Some(mark) = &bookmark {
                q.append_pair("bookmark", mark);
            }
        }
        let response = client()
            .get(url.as_str())
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= page_size.unwrap_or(25), "page too long");
        pages += 1;
        ids.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match body["bookmark"].as_str() {
            Some(mark) => {
                assert!(!items.is_empty(), "a bookmark after an empty page");
                bookmark = Some(mark.to_owned());
            }
            None => {
                assert!(body["bookmark"].is_null(), "bookmark is a string or null");
                return (ids, pages);
            }
        }
        assert!(pages <= 2000, "paging does not end");
    }
}

async fn pager(sim: &RunningSim) -> String {
    let created = admin(
        sim,
        Method::POST,
        "/_sim/users",
        Some(json!({"username": "pager", "boards": [
            {"name": "A", "pins": 250}, {"name": "B", "pins": 250},
            {"name": "C", "pins": 250}, {"name": "D", "pins": 250}
        ]})),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    mint(sim, "pager", READ_WRITE).access_token
}

#[tokio::test]
async fn paging_through_1000_pins_returns_each_exactly_once_at_any_page_size() {
    let sim = start().await;
    let token = pager(&sim).await;
    let mut reference: Option<Vec<String>> = None;
    for size in [None, Some(1), Some(7), Some(100), Some(250)] {
        let (ids, pages) = page_through(&sim, &token, "/v5/pins", size).await;
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), 1000, "page_size {size:?}");
        assert_eq!(unique.len(), 1000, "page_size {size:?}: no repeats");
        assert_eq!(
            pages,
            1000usize.div_ceil(size.unwrap_or(25)),
            "page_size {size:?}"
        );
        assert!(
            ids.iter()
                .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        );
        match &reference {
            Some(first) => assert_eq!(first, &ids, "same order at every page size"),
            None => reference = Some(ids),
        }
    }
}

#[tokio::test]
async fn paging_a_board_and_the_boards_list() {
    let sim = start().await;
    let token = pager(&sim).await;
    let (boards, _) = page_through(&sim, &token, "/v5/boards", Some(3)).await;
    assert_eq!(boards.len(), 4);
    for size in [Some(7), Some(250)] {
        let (ids, pages) = page_through(
            &sim,
            &token,
            &format!("/v5/boards/{}/pins", boards[0]),
            size,
        )
        .await;
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
        assert_eq!(pages, 250usize.div_ceil(size.unwrap()));
    }
}

#[tokio::test]
async fn pins_created_while_paging_never_make_others_repeat_or_vanish() {
    let sim = start().await;
    let token = pager(&sim).await;
    let boards: Value = get(&sim, &token, "/v5/boards").await.json().await.unwrap();
    let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    let mut bookmark = String::new();
    loop {
        let path = if bookmark.is_empty() {
            "/v5/pins?page_size=100".to_owned()
        } else {
            format!("/v5/pins?page_size=100&bookmark={bookmark}")
        };
        let body: Value = get(&sim, &token, &path).await.json().await.unwrap();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        let created = send_json(
            &sim,
            Method::POST,
            &token,
            "/v5/pins",
            &json!({"board_id": board, "media_source": {"source_type": "image_url", "url": "https://example.com/n.jpg"}}),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        match body["bookmark"].as_str() {
            Some(mark) => bookmark = mark.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 1000);
}

#[tokio::test]
async fn page_size_and_bookmark_are_validated() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    for bad in ["0", "251", "-1", "ten", "1.5"] {
        expect_error(
            get(&sim, &token, &format!("/v5/pins?page_size={bad}")).await,
            400,
            1,
        )
        .await;
    }
    expect_error(
        get(&sim, &token, "/v5/pins?bookmark=not-a-bookmark").await,
        400,
        1,
    )
    .await;
    let boards: Value = get(&sim, &token, "/v5/boards?page_size=1")
        .await
        .json()
        .await
        .unwrap();
    let boards_mark = boards["bookmark"].as_str().unwrap();
    expect_error(
        get(&sim, &token, &format!("/v5/pins?bookmark={boards_mark}")).await,
        400,
        1,
    )
    .await;
    let default: Value = get(&sim, &token, "/v5/pins").await.json().await.unwrap();
    assert_eq!(
        default["items"].as_array().unwrap().len(),
        25,
        "default page size"
    );
    let all: Value = get(&sim, &token, "/v5/pins?page_size=250")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        30,
        "the demo user has 30 Pins"
    );
    assert!(all["bookmark"].is_null());
}

#[tokio::test]
async fn boards_and_pins_round_trip() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let created = send_json(
        &sim,
        Method::POST,
        &token,
        "/v5/boards",
        &json!({"name": "Trips", "description": "Places"}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let board: Value = created.json().await.unwrap();
    let id = board["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (board["privacy"].as_str(), board["pin_count"].as_u64()),
        (Some("PUBLIC"), Some(0))
    );
    let listed: Value = get(&sim, &token, "/v5/boards").await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], id.as_str(), "newest first");

    let pin = send_json(
        &sim,
        Method::POST,
        &token,
        "/v5/pins",
        &json!({"board_id": id, "title": "Lisbon", "link": "https://example.com/lisbon",
            "media_source": {"source_type": "image_url", "url": "https://example.com/l.jpg"}}),
    )
    .await;
    assert_eq!(pin.status(), StatusCode::CREATED);
    let pin: Value = pin.json().await.unwrap();
    let pin_id = pin["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (pin["board_id"].as_str(), pin["title"].as_str()),
        (Some(id.as_str()), Some("Lisbon"))
    );
    let fetched: Value = get(&sim, &token, &format!("/v5/pins/{pin_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["id"], pin_id.as_str());
    let on_board: Value = get(&sim, &token, &format!("/v5/boards/{id}/pins"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on_board["items"][0]["id"], pin_id.as_str());
    let board_now: Value = get(&sim, &token, &format!("/v5/boards/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board_now["pin_count"], 1);
    let account: Value = get(&sim, &token, "/v5/user_account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            account["board_count"].as_u64(),
            account["pin_count"].as_u64()
        ),
        (Some(4), Some(31))
    );

    let image = client()
        .get(pin["media"]["images"]["150x150"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        image.status(),
        StatusCode::OK,
        "media URLs resolve on the simulator"
    );
    assert_eq!(image.headers()["content-type"], "image/svg+xml");

    let patched = send_json(
        &sim,
        Method::PATCH,
        &token,
        &format!("/v5/boards/{id}"),
        &json!({"name": "Trips 2026"}),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        patched.json::<Value>().await.unwrap()["description"],
        "Places",
        "untouched fields stay"
    );

    let deleted = delete(&sim, &token, &format!("/v5/pins/{pin_id}")).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.bytes().await.unwrap().is_empty(), "204 has no body");
    expect_error(
        get(&sim, &token, &format!("/v5/pins/{pin_id}")).await,
        404,
        50,
    )
    .await;

    let second = send_json(
        &sim,
        Method::POST,
        &token,
        "/v5/pins",
        &json!({"board_id": id, "media_source": {"source_type": "image_url", "url": "https://example.com/2.jpg"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(
        delete(&sim, &token, &format!("/v5/boards/{id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        get(&sim, &token, &format!("/v5/boards/{id}")).await,
        404,
        404,
    )
    .await;
    let orphan = second["id"].as_str().unwrap();
    expect_error(
        get(&sim, &token, &format!("/v5/pins/{orphan}")).await,
        404,
        50,
    )
    .await;
}

#[tokio::test]
async fn other_users_objects_are_not_found() {
    let sim = start().await;
    let demo = mint_demo(&sim, READ_WRITE);
    let token = pager(&sim).await;
    let theirs: Value = get(&sim, &token, "/v5/pins?page_size=1")
        .await
        .json()
        .await
        .unwrap();
    let pin = theirs["items"][0]["id"].as_str().unwrap();
    let board = theirs["items"][0]["board_id"].as_str().unwrap();
    expect_error(get(&sim, &demo, &format!("/v5/pins/{pin}")).await, 404, 50).await;
    expect_error(
        delete(&sim, &demo, &format!("/v5/pins/{pin}")).await,
        404,
        50,
    )
    .await;
    expect_error(
        get(&sim, &demo, &format!("/v5/boards/{board}")).await,
        404,
        404,
    )
    .await;
    expect_error(
        delete(&sim, &demo, &format!("/v5/boards/{board}")).await,
        404,
        404,
    )
    .await;
}

async fn trial_token(sim: &RunningSim) -> String {
    sim.state()
        .register_app(AppSpec {
            id: Some("7100001".into()),
            secret: Some("t".into()),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            tier: AccessTier::Trial,
            ..AppSpec::default()
        })
        .unwrap();
    sim.state()
        .mint_tokens(MintRequest {
            client_id: "7100001".into(),
            username: "demo_pinner".into(),
            scopes: ScopeSet::parse_lenient(READ_WRITE).unwrap(),
            count: None,
        })
        .unwrap()
        .remove(0)
        .access_token
}

#[tokio::test]
async fn trial_apps_cannot_create_pins_in_production_but_can_in_the_sandbox() {
    for environment in [Environment::Production, Environment::Sandbox] {
        let sim = start_with(|c| c.environment = environment).await;
        let token = trial_token(&sim).await;
        let boards: Value = get(&sim, &token, "/v5/boards").await.json().await.unwrap();
        let board = boards["items"][0]["id"].as_str().unwrap();
        let body = json!({"board_id": board, "media_source": {"source_type": "image_url", "url": "https://example.com/t.jpg"}});
        let response = send_json(&sim, Method::POST, &token, "/v5/pins", &body).await;
        match environment {
            Environment::Production => {
                let err = expect_error(response, 403, 29).await;
                assert!(
                    err["message"]
                        .as_str()
                        .unwrap()
                        .contains("https://api-sandbox.pinterest.com")
                );
                // Reading works for Trial apps.
                assert_eq!(get(&sim, &token, "/v5/pins").await.status(), StatusCode::OK);
            }
            Environment::Sandbox => assert_eq!(response.status(), StatusCode::CREATED),
        }
    }
}

#[tokio::test]
async fn secret_boards_need_the_secret_scopes() {
    let sim = start().await;
    let writer = mint_demo(
        &sim,
        &format!("{READ_WRITE},boards:write_secret,boards:read_secret,pins:read_secret"),
    );
    let plain = mint_demo(&sim, READ_WRITE);
    expect_error(
        send_json(
            &sim,
            Method::POST,
            &plain,
            "/v5/boards",
            &json!({"name": "Hidden", "privacy": "SECRET"}),
        )
        .await,
        401,
        3,
    )
    .await;
    let created = send_json(
        &sim,
        Method::POST,
        &writer,
        "/v5/boards",
        &json!({"name": "Hidden", "privacy": "SECRET"}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_error(
        get(&sim, &plain, &format!("/v5/boards/{id}")).await,
        404,
        404,
    )
    .await;
    assert_eq!(
        get(&sim, &writer, &format!("/v5/boards/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    let plain_list: Value = get(&sim, &plain, "/v5/boards").await.json().await.unwrap();
    assert_eq!(
        plain_list["items"].as_array().unwrap().len(),
        3,
        "secret board hidden"
    );
    let secret_only: Value = get(&sim, &writer, "/v5/boards?privacy=SECRET")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(secret_only["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_answer_carries_x_pinterest_rid() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let c = client();
    let base = sim.base_url();
    let requests = vec![
        c.get(format!("{base}/v5/user_account")).bearer_auth(&token),
        c.get(format!("{base}/v5/user_account")),
        c.get(format!("{base}/v5/pins/1")).bearer_auth(&token),
        c.get(format!("{base}/v5/nowhere")),
        c.put(format!("{base}/v5/pins")).bearer_auth(&token),
        c.post(format!("{base}/v5/boards"))
            .bearer_auth(&token)
            .body(vec![b'x'; 2 * 1024 * 1024]),
        c.post(format!("{base}/v5/oauth/token")),
        c.get(authorize_url(&sim, "boards:read", &[])),
        c.get(authorize_url(
            &sim,
            "boards:read",
            &[("sim_consent", "allow")],
        )),
        c.get(format!("{base}/oauth/")),
        c.get(format!("{base}/_sim/health")),
        c.get(format!("{base}/_sim/nowhere")),
    ];
    let mut rids = HashSet::new();
    for request in requests {
        let response = request.send().await.unwrap();
        let rid = response
            .headers()
            .get(RID_HEADER)
            .unwrap_or_else(|| {
                panic!(
                    "no x-pinterest-rid on {} {}",
                    response.status(),
                    response.url()
                )
            })
            .to_str()
            .unwrap()
            .to_owned();
        assert!(rid.bytes().all(|b| b.is_ascii_digit()));
        assert!(rids.insert(rid), "rids are unique");
    }
}
