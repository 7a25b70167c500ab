//! How the portal reaches the browser: content-hashed files kept for a year,
//! precompressed copies chosen by `Accept-Encoding`, entity tags and
//! `304 Not Modified`, compressed pages, and pages that show a secret sent
//! uncompressed (BREACH, `server/src/compression.rs`).

use std::io::Read;
use std::path::Path;

use domain::testing::TestDb;
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_ENCODING, ETAG, HeaderMap, IF_NONE_MATCH, SET_COOKIE, VARY,
};

use crate::common::TestApp;
use crate::common::portal::{Owned, invite, set_up};

const JS: &str = "/pkg/pinbridge.Qm9vdHN0cmFw.js";
const WASM: &str = "/pkg/pinbridge.V2FzbUJ1bmRsZQ.wasm";
const CSS: &str = "/pkg/pinbridge.U3R5bGVzaGVldA.css";

/// A built site as `cargo leptos build --release --precompress` leaves it:
/// hashed names, and a `.br` and `.gz` beside every file. The compressed copies
/// hold marker bytes, so a test can tell which one was sent.
fn write_site(root: &Path) {
    let files = [
        (JS, "export default function init() {}"),
        (WASM, "\0asm wasm bytes"),
        (CSS, "body { color: black }"),
        ("/favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ];
    for (url, content) in files {
        let path = root.join(url.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        std::fs::write(format!("{}.br", path.display()), format!("br:{url}")).unwrap();
        std::fs::write(format!("{}.gz", path.display()), format!("gz:{url}")).unwrap();
    }
}

async fn app_with_site() -> TestApp {
    let db = TestDb::new().await;
    write_site(&db.dir.path().join("site"));
    TestApp::spawn_on(db, &[]).await
}

fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> &str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("a gzip body");
    out
}

fn unbrotli(bytes: &[u8]) -> String {
    let mut out = String::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_string(&mut out)
        .expect("a brotli body");
    out
}

#[tokio::test]
async fn pages_name_the_hashed_files_and_hydrate_with_the_nonce() {
    let app = app_with_site().await;
    let owner = set_up(&app, "Acme", "owner@acme.example").await;
    let page = owner
        .browser
        .page(&format!(
            "/w/{}/e/development/integrations",
            owner.workspace_id
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body;
    assert!(
        html.contains(&format!(r#"<link rel="stylesheet" href="{CSS}""#)),
        "{html}"
    );
    // No preloads: a page with no island never fetches the script or the wasm.
    assert!(!html.contains("preload"), "{html}");
    assert!(
        !html.contains("<leptos-island"),
        "the Integrations page has no island: {html}"
    );
    // Nothing hydrates outside islands, so the page's data is not repeated
    // in it as serialized resources.
    assert!(!html.contains("__RESOLVED_RESOURCES["), "{html}");
    // The bootstrap imports the hashed script and hands it the hashed wasm.
    let script = html
        .split("<script type=\"module\"")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("a module script");
    assert!(script.contains(&format!("import(\"{JS}\")")), "{script}");
    assert!(
        script.contains(&format!("module_or_path: \"{WASM}\"")),
        "{script}"
    );
    assert!(
        script.contains("nonce="),
        "the script carries the answer's nonce: {script}"
    );
    for plain in [
        "/pkg/pinbridge.js",
        "/pkg/pinbridge.wasm",
        "/pkg/pinbridge.css",
    ] {
        assert!(
            !html.contains(plain),
            "{plain} is not named once the site is hashed"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn hashed_files_are_immutable_and_sent_in_the_best_encoding_offered() {
    let app = app_with_site().await;
    let client = reqwest::Client::new();
    let get = |path: &str, encoding: &str| {
        let mut req = client.get(app.url(path));
        if !encoding.is_empty() {
            req = req.header("accept-encoding", encoding);
        }
        req.send()
    };
    let mut tags = Vec::new();
    for (offered, sent) in [
        ("br, gzip", "br"),
        ("gzip, deflate, br;q=0", "gzip"),
        ("gzip", "gzip"),
        ("identity", ""),
        ("", ""),
    ] {
        let res = get(WASM, offered).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{offered}");
        let headers = res.headers().clone();
        assert_eq!(
            header(&headers, CONTENT_ENCODING),
            sent,
            "offered {offered:?}"
        );
        assert_eq!(
            header(&headers, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&headers, VARY), "accept-encoding");
        assert!(headers.get(SET_COOKIE).is_none(), "no session for a file");
        let body = res.text().await.unwrap();
        let expected = match sent {
            "br" => format!("br:{WASM}"),
            "gzip" => format!("gz:{WASM}"),
            _ => "\0asm wasm bytes".to_owned(),
        };
        assert_eq!(body, expected, "offered {offered:?}");
        tags.push((sent, header(&headers, ETAG).to_owned()));
    }
    // One tag per representation, each quoted and strong.
    let (br, gzip, plain) = (&tags[0].1, &tags[1].1, &tags[3].1);
    assert!(br.starts_with('"') && br.ends_with("-br\""), "{br}");
    assert!(gzip.ends_with("-gz\""), "{gzip}");
    assert_ne!(br, plain);
    assert_eq!(tags[1].1, tags[2].1);
    assert_eq!(tags[3].1, tags[4].1);
    // The stylesheet and the script too.
    for path in [JS, CSS] {
        let res = get(path, "br").await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header(res.headers(), CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.text().await.unwrap(), format!("br:{path}"));
    }
    app.stop().await;
}

#[tokio::test]
async fn unhashed_files_are_revalidated_with_their_entity_tag() {
    let app = app_with_site().await;
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/favicon.svg"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), CACHE_CONTROL), "no-cache");
    let tag = header(res.headers(), ETAG).to_owned();
    assert!(tag.ends_with("-gz\""), "{tag}");
    assert!(res.headers().get(SET_COOKIE).is_none());

    // The browser asks again with its tag: 304, no body, the same headers.
    for if_none_match in [tag.clone(), format!("W/{tag}"), format!("\"other\", {tag}")] {
        let res = client
            .get(app.url("/favicon.svg"))
            .header("accept-encoding", "gzip")
            .header(IF_NONE_MATCH, &if_none_match)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{if_none_match}");
        assert_eq!(header(res.headers(), ETAG), tag);
        assert_eq!(header(res.headers(), CACHE_CONTROL), "no-cache");
        assert!(res.bytes().await.unwrap().is_empty());
    }
    // The tag of another encoding, or of other content, is not a match.
    for stale in [
        tag.replace("-gz", "-br"),
        "\"AAAAAAAAAAAAAAAAAAAAAA-gz\"".into(),
    ] {
        let res = client
            .get(app.url("/favicon.svg"))
            .header("accept-encoding", "gzip")
            .header(IF_NONE_MATCH, &stale)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{stale}");
        assert_eq!(res.text().await.unwrap(), "gz:/favicon.svg");
    }
    // Unknown files and paths out of the site are not found.
    let res = client
        .get(app.url("/pkg/missing.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = client
        .get(app.url("/pkg/../../pinbridge.db"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn pages_are_compressed_as_the_browser_asks() {
    let app = app_with_site().await;
    let owner = set_up(&app, "Acme", "owner@acme.example").await;
    let path = format!("/w/{}/e/development/integrations", owner.workspace_id);
    let plain = owner.browser.page(&path).await.body;

    let (status, headers, body) = owner
        .browser
        .fetch_encoded(&path, "gzip, deflate, br")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, CONTENT_ENCODING), "br");
    assert!(header(&headers, VARY).contains("accept-encoding"));
    assert_eq!(header(&headers, CACHE_CONTROL), "no-store");
    let html = unbrotli(&body);
    assert!(
        html.contains("Pinterest") && html.contains("</html>"),
        "{html}"
    );
    // A small page (about 5 KB since nothing is serialized for hydration):
    // brotli takes it to about a third.
    assert!(
        body.len() * 2 < plain.len(),
        "{} bytes of {}",
        body.len(),
        plain.len()
    );

    let (_, headers, body) = owner.browser.fetch_encoded(&path, "gzip").await;
    assert_eq!(header(&headers, CONTENT_ENCODING), "gzip");
    assert!(gunzip(&body).contains("Pinterest"));

    let (_, headers, body) = owner.browser.fetch_encoded(&path, "identity").await;
    assert_eq!(header(&headers, CONTENT_ENCODING), "");
    // A cache must not hand this answer to a browser that takes brotli.
    assert!(header(&headers, VARY).contains("accept-encoding"));

    // A refused coding is not used: gzip it is.
    let (_, headers, body_gz) = owner.browser.fetch_encoded(&path, "br;q=0, gzip").await;
    assert_eq!(header(&headers, CONTENT_ENCODING), "gzip");
    assert!(gunzip(&body_gz).contains("Pinterest"));
    assert!(String::from_utf8(body).unwrap().contains("Pinterest"));
    app.stop().await;
}

/// Every page that shows a secret goes out uncompressed, and the internal mark
/// that says so never leaves the server.
#[tokio::test]
async fn pages_that_show_a_secret_are_never_compressed() {
    let app = app_with_site().await;
    let owner: Owned = set_up(&app, "Acme", "owner@acme.example").await;
    let ws = owner.workspace_id.clone();
    let assert_uncompressed =
        |(status, headers, body): (StatusCode, HeaderMap, Vec<u8>), what: &str, secret: &str| {
            assert_eq!(status, StatusCode::OK, "{what}");
            assert_eq!(
                header(&headers, CONTENT_ENCODING),
                "",
                "{what} is not compressed"
            );
            assert!(headers.get(app::assets::NO_COMPRESSION_HEADER).is_none());
            let html = String::from_utf8(body).unwrap();
            assert!(html.contains(secret), "{what} shows its secret");
        };

    // An invitation's page carries its token.
    let link = invite(&owner.browser, &ws, "new@acme.example", "viewer").await;
    let path = link
        .split_once("/invitations")
        .map(|(_, p)| format!("/invitations{p}"))
        .unwrap();
    let token = crate::common::portal::token_of(&link);
    let visitor = crate::common::portal::Browser::new(&app);
    assert_uncompressed(
        visitor.fetch_encoded(&path, "br, gzip").await,
        "an invitation",
        &token,
    );

    // A new invitation link shown once after a post without JavaScript.
    let members = format!("/w/{ws}/members");
    owner
        .browser
        .plain_post(
            "members/invite",
            &members,
            &[
                ("workspace", ws.as_str()),
                ("email", "second@acme.example"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_uncompressed(
        owner.browser.fetch_encoded(&members, "br, gzip").await,
        "the members page with a new link",
        "invitations/accept?token=",
    );
    // The same page without the link is compressed again.
    let (_, headers, _) = owner.browser.fetch_encoded(&members, "br, gzip").await;
    assert_eq!(header(&headers, CONTENT_ENCODING), "br");
    assert!(headers.get(app::assets::NO_COMPRESSION_HEADER).is_none());

    // A TOTP key being enrolled.
    owner
        .browser
        .plain_post("account/two-factor/start", "/account", &[])
        .await;
    assert_uncompressed(
        owner.browser.fetch_encoded("/account", "br, gzip").await,
        "the account page while enrolling",
        "totp-secret",
    );
    app.stop().await;
}

/// The end user's pages link `/pkg/pinbridge.css` (they are rendered outside
/// the portal's app): it answers the hashed stylesheet, revalidated each time.
#[tokio::test]
async fn the_unhashed_stylesheet_name_answers_the_current_one() {
    let app = app_with_site().await;
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/pkg/pinbridge.css"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), CACHE_CONTROL), "no-cache");
    assert_eq!(res.text().await.unwrap(), "body { color: black }");
    let page = client
        .get(app.url("/connect/not-a-token"))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"href="/pkg/pinbridge.css""#)
    );
    app.stop().await;
}
