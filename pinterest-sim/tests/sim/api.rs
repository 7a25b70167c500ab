//! The REST API's behaviour: paging, CRUD (Pin updates and moves included), Pin
//! search, Trial tier, secret boards, and the `x-pinterest-rid` header on every
//! kind of answer.

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

/// The demo user's boards as (id, name), newest first.
async fn demo_boards(sim: &RunningSim, token: &str) -> Vec<(String, String)> {
    let boards: Value = get(sim, token, "/v5/boards").await.json().await.unwrap();
    boards["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().to_owned(),
                b["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn json_ok(response: reqwest::Response) -> Value {
    let (status, body) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "body: {body}");
    body
}

async fn ids_on_board(sim: &RunningSim, token: &str, board: &str) -> Vec<String> {
    let (ids, _) = page_through(sim, token, &format!("/v5/boards/{board}/pins"), Some(250)).await;
    ids
}

#[tokio::test]
async fn updating_a_pin_changes_it_everywhere_and_can_move_it() {
    let sim = start().await;
    let token = mint_demo(&sim, READ_WRITE);
    let boards = demo_boards(&sim, &token).await;
    let (from, to) = (boards[0].0.clone(), boards[1].0.clone());
    let pin_id = ids_on_board(&sim, &token, &from).await[0].clone();
    let path = format!("/v5/pins/{pin_id}");
    let before = json_ok(get(&sim, &token, &path).await).await;

    let patched = json_ok(
        send_json(
            &sim,
            Method::PATCH,
            &token,
            &path,
            &json!({"title": "Renamed", "description": null, "alt_text": "A new alt text",
                "link": "https://example.com/renamed"}),
        )
        .await,
    )
    .await;
    assert_eq!(patched["id"], pin_id.as_str());
    assert_eq!(patched["title"], "Renamed");
    assert!(patched["description"].is_null(), "null clears");
    assert_eq!(patched["alt_text"], "A new alt text");
    assert_eq!(patched["link"], "https://example.com/renamed");
    assert_eq!(patched["board_id"], from.as_str(), "no board_id, no move");
    assert_eq!(patched["created_at"], before["created_at"]);
    assert_eq!(patched["dominant_color"], before["dominant_color"]);
    assert_eq!(
        json_ok(get(&sim, &token, &path).await).await,
        patched,
        "GET shows what PATCH answered"
    );

    // An empty patch changes nothing; a title alone leaves the rest.
    assert_eq!(
        json_ok(send_json(&sim, Method::PATCH, &token, &path, &json!({})).await).await,
        patched
    );
    let titled = json_ok(
        send_json(
            &sim,
            Method::PATCH,
            &token,
            &path,
            &json!({"title": "Again"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (titled["alt_text"].as_str(), titled["link"].as_str()),
        (Some("A new alt text"), Some("https://example.com/renamed"))
    );

    // Moving: the Pin leaves one board for the other, counts follow.
    let moved = json_ok(
        send_json(
            &sim,
            Method::PATCH,
            &token,
            &path,
            &json!({"board_id": to, "board_section_id": null}),
        )
        .await,
    )
    .await;
    assert_eq!(moved["board_id"], to.as_str());
    assert_eq!(moved["title"], "Again");
    assert!(!ids_on_board(&sim, &token, &from).await.contains(&pin_id));
    assert!(ids_on_board(&sim, &token, &to).await.contains(&pin_id));
    for (board, count) in [(&from, 9), (&to, 11)] {
        let board = json_ok(get(&sim, &token, &format!("/v5/boards/{board}")).await).await;
        assert_eq!(board["pin_count"], count, "{board}");
    }
    let account = json_ok(get(&sim, &token, "/v5/user_account").await).await;
    assert_eq!(
        account["pin_count"], 30,
        "a move creates and deletes nothing"
    );
    assert_eq!(
        json_ok(get(&sim, &token, &path).await).await["board_id"],
        to.as_str()
    );
    // Moving to the board it is on already is fine.
    let stay = send_json(&sim, Method::PATCH, &token, &path, &json!({"board_id": to})).await;
    assert_eq!(stay.status(), StatusCode::OK);
}

#[tokio::test]
async fn pin_updates_refuse_other_users_unknown_pins_and_missing_scopes() {
    let sim = start().await;
    let demo = mint_demo(&sim, READ_WRITE);
    let other = pager(&sim).await;
    let theirs: Value = get(&sim, &other, "/v5/pins?page_size=1")
        .await
        .json()
        .await
        .unwrap();
    let their_pin = theirs["items"][0]["id"].as_str().unwrap();
    let their_board = theirs["items"][0]["board_id"].as_str().unwrap();
    let title = json!({"title": "Mine now"});
    expect_error(
        send_json(
            &sim,
            Method::PATCH,
            &demo,
            &format!("/v5/pins/{their_pin}"),
            &title,
        )
        .await,
        404,
        50,
    )
    .await;
    expect_error(
        send_json(&sim, Method::PATCH, &demo, "/v5/pins/1", &title).await,
        404,
        50,
    )
    .await;
    let unchanged: Value = get(&sim, &other, &format!("/v5/pins/{their_pin}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["title"], theirs["items"][0]["title"]);

    let mine = ids_on_board(&sim, &demo, &demo_boards(&sim, &demo).await[0].0).await[0].clone();
    let path = format!("/v5/pins/{mine}");
    for board in [their_board, "1", "99999999999999999999999"] {
        expect_error(
            send_json(
                &sim,
                Method::PATCH,
                &demo,
                &path,
                &json!({"board_id": board}),
            )
            .await,
            404,
            404,
        )
        .await;
    }
    for scopes in [ALL_READ, "boards:read,boards:write,pins:read", "pins:write"] {
        let token = mint_demo(&sim, scopes);
        expect_error(
            send_json(&sim, Method::PATCH, &token, &path, &title).await,
            401,
            3,
        )
        .await;
    }
    let anonymous = client()
        .patch(format!("{}{path}", sim.base_url()))
        .json(&title)
        .send()
        .await
        .unwrap();
    expect_error(anonymous, 401, 2).await;
    let after: Value = get(&sim, &demo, &path).await.json().await.unwrap();
    assert_ne!(after["title"], "Mine now", "refused updates change nothing");
}

#[tokio::test]
async fn moving_pins_to_or_from_secret_boards_needs_pins_write_secret() {
    let sim = start().await;
    let secret_reader =
        format!("{READ_WRITE},boards:read_secret,boards:write_secret,pins:read_secret");
    let reader = mint_demo(&sim, &secret_reader);
    let writer = mint_demo(&sim, &format!("{secret_reader},pins:write_secret"));
    let created = send_json(
        &sim,
        Method::POST,
        &writer,
        "/v5/boards",
        &json!({"name": "Hidden", "privacy": "SECRET"}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let secret = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = demo_boards(&sim, &reader).await[1].0.clone();
    let pin = ids_on_board(&sim, &reader, &public).await[0].clone();
    let path = format!("/v5/pins/{pin}");
    let into_secret = json!({"board_id": secret});
    expect_error(
        send_json(&sim, Method::PATCH, &reader, &path, &into_secret).await,
        401,
        3,
    )
    .await;
    // Without boards:read_secret the secret board does not exist for the caller.
    let plain = mint_demo(&sim, READ_WRITE);
    expect_error(
        send_json(&sim, Method::PATCH, &plain, &path, &into_secret).await,
        404,
        404,
    )
    .await;
    let moved = send_json(&sim, Method::PATCH, &writer, &path, &into_secret).await;
    assert_eq!(moved.status(), StatusCode::OK);
    // Now on a secret board: hidden without pins:read_secret, not editable without write_secret.
    expect_error(
        send_json(&sim, Method::PATCH, &plain, &path, &json!({"title": "x"})).await,
        404,
        50,
    )
    .await;
    expect_error(
        send_json(
            &sim,
            Method::PATCH,
            &reader,
            &path,
            &json!({"board_id": public}),
        )
        .await,
        401,
        3,
    )
    .await;
    let back = send_json(
        &sim,
        Method::PATCH,
        &writer,
        &path,
        &json!({"board_id": public}),
    )
    .await;
    assert_eq!(back.status(), StatusCode::OK);
}

/// Every Pin `query` finds, following bookmarks.
async fn search_all(
    sim: &RunningSim,
    token: &str,
    query: &str,
    size: Option<usize>,
) -> Vec<String> {
    let path = format!(
        "/v5/search/pins?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish()
    );
    page_through(sim, token, &path, size).await.0
}

#[tokio::test]
async fn search_matches_title_description_and_alt_text_case_insensitively() {
    let sim = start().await;
    let token = mint_demo(&sim, &format!("{READ_WRITE},{SEARCH}"));
    let hit: Value = get(&sim, &token, "/v5/search/pins?query=CHICKPEA")
        .await
        .json()
        .await
        .unwrap();
    let items = hit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["title"], "Chickpea curry");
    assert!(hit["bookmark"].is_null());
    // “Balcony garden” is in the description of each of its 10 Pins, not in their titles.
    assert_eq!(
        search_all(&sim, &token, "balcony garden", None).await.len(),
        10
    );
    assert!(
        search_all(&sim, &token, "no such thing", None)
            .await
            .is_empty()
    );
    // Surrounding spaces do not count.
    assert_eq!(
        search_all(&sim, &token, "  shakshuka ", None).await.len(),
        1
    );

    let board = demo_boards(&sim, &token).await[0].0.clone();
    let only_alt = send_json(
        &sim,
        Method::POST,
        &token,
        "/v5/pins",
        &json!({"board_id": board, "alt_text": "A Zebra crossing",
            "media_source": {"source_type": "image_url", "url": "https://example.com/z.jpg"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(
        search_all(&sim, &token, "zEbRa", None).await,
        [only_alt["id"].as_str().unwrap()]
    );

    // Search sees edits, and other users' Pins never.
    let id = only_alt["id"].as_str().unwrap();
    let edited = send_json(
        &sim,
        Method::PATCH,
        &token,
        &format!("/v5/pins/{id}"),
        &json!({"alt_text": null, "title": "Okapi"}),
    )
    .await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert!(search_all(&sim, &token, "zebra", None).await.is_empty());
    assert_eq!(search_all(&sim, &token, "okapi", None).await, [id]);
    pager(&sim).await;
    let theirs = mint(&sim, "pager", SEARCH).access_token;
    // "A #1", "A #10"…"A #19", "A #100"…"A #199" on the pager's board "A".
    assert_eq!(
        search_all(&sim, &theirs, "a #1", Some(250)).await.len(),
        111
    );
    assert!(search_all(&sim, &token, "a #1", None).await.is_empty());
}

#[tokio::test]
async fn search_pages_with_bookmarks_that_belong_to_the_query() {
    let sim = start().await;
    pager(&sim).await;
    let token = mint(&sim, "pager", &format!("{READ_WRITE},{SEARCH}")).access_token;
    // Every Pin of board "B" has "B #" in its title; 250 of 1000.
    let mut reference: Option<Vec<String>> = None;
    for size in [None, Some(1), Some(7), Some(250)] {
        let (ids, pages) = page_through(&sim, &token, "/v5/search/pins?query=b%20%23", size).await;
        assert_eq!(ids.len(), 250, "page_size {size:?}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250, "no repeats");
        assert_eq!(pages, 250usize.div_ceil(size.unwrap_or(25)), "{size:?}");
        match &reference {
            Some(first) => assert_eq!(first, &ids, "same order at every page size"),
            None => reference = Some(ids),
        }
    }
    let ids = reference.unwrap();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| std::cmp::Reverse(id.parse::<u64>().unwrap()));
    assert_eq!(ids, sorted, "newest first");

    let first: Value = get(&sim, &token, "/v5/search/pins?query=b%20%23")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        first["items"].as_array().unwrap().len(),
        25,
        "default page size"
    );
    let mark = first["bookmark"].as_str().unwrap();
    // The same query in another case continues the same list.
    let next: Value = get(
        &sim,
        &token,
        &format!("/v5/search/pins?query=B%20%23&bookmark={mark}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(next["items"][0]["id"], ids[25].as_str());
    // Another query's, or another list's, bookmark is refused.
    expect_error(
        get(
            &sim,
            &token,
            &format!("/v5/search/pins?query=a%20%23&bookmark={mark}"),
        )
        .await,
        400,
        1,
    )
    .await;
    let pins_mark = get(&sim, &token, "/v5/pins")
        .await
        .json::<Value>()
        .await
        .unwrap()["bookmark"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_error(
        get(
            &sim,
            &token,
            &format!("/v5/search/pins?query=b%20%23&bookmark={pins_mark}"),
        )
        .await,
        400,
        1,
    )
    .await;
    expect_error(
        get(&sim, &token, &format!("/v5/pins?bookmark={mark}")).await,
        400,
        1,
    )
    .await;
    expect_error(
        get(&sim, &token, "/v5/search/pins?query=b&page_size=251").await,
        400,
        1,
    )
    .await;
}

#[tokio::test]
async fn search_needs_a_query_and_the_spec_scopes() {
    let sim = start().await;
    let token = mint_demo(&sim, SEARCH);
    for path in [
        "/v5/search/pins",
        "/v5/search/pins?query=",
        "/v5/search/pins?query=%20%20",
        "/v5/search/pins?bookmark=x",
    ] {
        let err = expect_error(get(&sim, &token, path).await, 400, 1).await;
        assert!(
            err["message"].as_str().unwrap().contains("query"),
            "{path}: {err}"
        );
    }
    assert_eq!(
        get(&sim, &token, "/v5/search/pins?query=x").await.status(),
        StatusCode::OK
    );
    // The spec's security for search_user_pins/list includes both *_secret read scopes.
    for scopes in [
        READ_WRITE,
        "boards:read,pins:read,pins:read_secret",
        "boards:read,boards:read_secret,pins:read",
    ] {
        let token = mint_demo(&sim, scopes);
        expect_error(get(&sim, &token, "/v5/search/pins?query=x").await, 401, 3).await;
    }
    let anonymous = client()
        .get(format!("{}/v5/search/pins?query=x", sim.base_url()))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, 401, 2).await;
}

#[tokio::test]
async fn search_finds_pins_on_secret_boards_too() {
    let sim = start().await;
    let writer = mint_demo(
        &sim,
        &format!("{READ_WRITE},{SEARCH},boards:write_secret,pins:write_secret"),
    );
    let board = send_json(
        &sim,
        Method::POST,
        &writer,
        "/v5/boards",
        &json!({"name": "Hidden", "privacy": "SECRET"}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    let pin = send_json(
        &sim,
        Method::POST,
        &writer,
        "/v5/pins",
        &json!({"board_id": board["id"], "title": "Surprise party",
            "media_source": {"source_type": "image_url", "url": "https://example.com/s.jpg"}}),
    )
    .await;
    assert_eq!(pin.status(), StatusCode::CREATED);
    let searcher = mint_demo(&sim, SEARCH);
    assert_eq!(search_all(&sim, &searcher, "surprise", None).await.len(), 1);
}
