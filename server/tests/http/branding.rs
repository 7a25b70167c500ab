//! A workspace's branding over HTTP: the Branding page's forms as a browser
//! without JavaScript sends them (the logo as `multipart/form-data`), the end
//! user's connect and callback pages wearing it, the logo served as pinbridge
//! re-encoded it, and every refusal: bad images, bad colours and URLs, other
//! workspaces, viewers and strangers. Runs on SQLite and PostgreSQL.

use std::io::Cursor;

use app::errors::AppError;
use app::models::BrandingView;
use reqwest::StatusCode;

use super::connections::{EndUser, World, world};
use crate::common::TestApp;
use crate::common::portal::{Answer, Browser, join, provision};

fn image_of(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    image_of(width, height, image::ImageFormat::Png)
}

/// A valid PNG whose header claims 30 000 × 30 000 pixels.
fn png_bomb() -> Vec<u8> {
    let mut bomb = png(4, 4);
    bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let mut crc = 0xffff_ffffu32;
    for &b in &bomb[12..29] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    bomb[29..33].copy_from_slice(&(!crc).to_be_bytes());
    bomb
}

fn page_of(ws: &str) -> String {
    format!("/w/{ws}/branding")
}

async fn view(browser: &Browser, ws: &str) -> Result<BrandingView, AppError> {
    browser.call("branding/view", &[("workspace", ws)]).await
}

async fn save(browser: &Browser, ws: &str, fields: [&str; 4]) -> Answer {
    let [name, accent, support, privacy] = fields;
    browser
        .plain_post(
            "branding/save",
            &page_of(ws),
            &[
                ("workspace", ws),
                ("display_name", name),
                ("accent_color", accent),
                ("support_url", support),
                ("privacy_url", privacy),
            ],
        )
        .await
}

async fn upload(browser: &Browser, ws: &str, file_name: &str, kind: &str, bytes: &[u8]) -> Answer {
    browser
        .upload(
            "branding/logo",
            &page_of(ws),
            &[("workspace", ws)],
            ("logo", file_name, kind, bytes),
        )
        .await
}

/// A plain post that succeeded: back to the page, no error in the address.
#[track_caller]
fn accepted(answer: &Answer) {
    assert!(answer.status.is_redirection(), "{answer:?}");
    assert!(!answer.location().contains("__err="), "{answer:?}");
}

/// A plain post refused: back to the page with the error, which the page
/// then shows next to `field` (focused, `aria-invalid`) with `message` in it.
async fn refused(browser: &Browser, answer: &Answer, field_id: &str, message: &str) -> String {
    assert!(answer.status.is_redirection(), "{answer:?}");
    let location = answer.location();
    assert!(location.contains("__err="), "{location}");
    let page = browser.page(location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = html_escape_free(&page.body);
    assert!(html.contains(message), "{message} not in the page: {html}");
    let input = page
        .body
        .split(&format!("id=\"{field_id}\""))
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_else(|| panic!("no #{field_id}: {}", page.body))
        .to_owned();
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(input.contains(&format!("{field_id}-error")), "{input}");
    page.body
}

/// The page's text with the few entities Leptos writes turned back.
fn html_escape_free(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn get_logo(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_end_users_pages_wear_the_workspaces_branding() {
    let w: World = world().await;
    let ws = w.ws.clone();
    let owner = &w.owner.browser;

    // Before any branding: the workspace's name and pinbridge's look.
    let link = w.link("user-1", "").await.unwrap();
    let user = EndUser::new();
    let plain = user.get(&link.url).await;
    assert!(
        plain.body.contains("Acme Pins would like to connect"),
        "{}",
        plain.body
    );
    assert!(!plain.body.contains("<style"), "{}", plain.body);

    accepted(
        &save(
            owner,
            &ws,
            [
                "Acme Studio",
                "#1F5FBF",
                "https://help.acme.example/pinterest",
                "https://acme.example/privacy",
            ],
        )
        .await,
    );
    let upload_bytes = image_of(900, 300, image::ImageFormat::Jpeg);
    accepted(&upload(owner, &ws, "logo.jpg", "image/jpeg", &upload_bytes).await);
    let saved = view(owner, &ws).await.unwrap();
    assert_eq!(saved.display_name, "Acme Studio");
    assert_eq!(saved.accent_color, "#1f5fbf");
    let logo = saved.logo.clone().expect("a logo");
    assert_eq!((logo.width, logo.height), (480, 160));

    // The connect page: the brand's name, logo, colour and links.
    let res = user.client.get(&link.url).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Acme Studio would like to connect to your Pinterest account"),
        "{page}"
    );
    assert!(page.contains(&format!(r#"src="{}""#, logo.url)), "{page}");
    assert!(page.contains(r#"alt="Acme Studio""#), "{page}");
    assert!(page.contains("--accent:#1f5fbf"), "{page}");
    assert!(
        page.contains(r#"href="https://help.acme.example/pinterest""#),
        "{page}"
    );
    assert!(
        page.contains(r#"href="https://acme.example/privacy""#),
        "{page}"
    );
    assert!(page.contains("Secured by pinbridge"), "{page}");
    assert!(!page.contains("brand-name\">pinbridge"), "{page}");
    assert!(csp.contains("style-src 'self' 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    // The logo: pinbridge's PNG, not the uploaded JPEG, cached for good.
    let res = get_logo(&w.app, &logo.url, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{:?}",
        res.headers()
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let served = res.bytes().await.unwrap();
    assert_ne!(served.as_ref(), upload_bytes.as_slice());
    let decoded = image::load_from_memory_with_format(&served, image::ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 160));
    assert_eq!(
        get_logo(&w.app, &logo.url, Some(&etag)).await.status(),
        StatusCode::NOT_MODIFIED
    );
    for missing in [
        format!("/brand/logo/{}.png", "0".repeat(64)),
        "/brand/logo/not-a-hash.png".to_owned(),
        logo.url.trim_end_matches(".png").to_owned(),
    ] {
        assert_eq!(
            get_logo(&w.app, &missing, None).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // Through Pinterest and back: the callback's page wears it too.
    let authorize = user.start(&link.url).await;
    let callback = user.consent(&authorize, "allow").await;
    let done = user.get(&callback).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Connected as @"), "{}", done.body);
    assert!(
        done.body
            .contains("Acme Studio can now work with your Pinterest account"),
        "{}",
        done.body
    );
    assert!(done.body.contains("Secured by pinbridge"), "{}", done.body);

    // The portal's preview draws the same, its colour allowed by the nonce.
    let res = owner.page(&page_of(&ws)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("Acme Studio would like to connect"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains(".brand-preview.branded{--accent:#1f5fbf"),
        "{}",
        res.body
    );
    assert!(res.body.contains(r#"<style nonce=""#), "{}", res.body);

    // Removing the logo: the name shows again, the old address is gone.
    accepted(
        &owner
            .plain_post("branding/remove-logo", &page_of(&ws), &[("workspace", &ws)])
            .await,
    );
    assert_eq!(view(owner, &ws).await.unwrap().logo, None);
    assert_eq!(
        get_logo(&w.app, &logo.url, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let again = w.link("user-2", "").await.unwrap();
    let page = user.get(&again.url).await.body;
    assert!(
        page.contains(r#"<span class="brand-name">Acme Studio</span>"#),
        "{page}"
    );

    let actions = w.audit_actions().await;
    for action in [
        "workspace.branding_changed",
        "workspace.logo_changed",
        "workspace.logo_removed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    w.stop().await;
}

#[tokio::test]
async fn bad_images_colours_and_links_are_refused_with_their_reason_and_store_nothing() {
    let app = TestApp::spawn().await;
    let owner = provision(&app, "Acme", "owner@acme.test").await;
    let ws = owner.workspace_id.clone();
    let b = &owner.browser;

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>"#;
    let html = b"<!DOCTYPE html><script>alert(document.cookie)</script>";
    let jpeg = image_of(40, 40, image::ImageFormat::Jpeg);
    let huge: Vec<u8> = png(64, 64).into_iter().cycle().take(300 * 1024).collect();
    let cut = png(200, 200);
    let cut = &cut[..cut.len() / 2];
    let cases: [(&str, &str, &[u8], &str); 8] = [
        (
            "logo.svg",
            "image/svg+xml",
            svg,
            "SVG files are not accepted",
        ),
        (
            "logo.png",
            "image/png",
            html,
            "This file is not a PNG, JPEG or WebP image.",
        ),
        (
            "logo.png",
            "image/png",
            &jpeg,
            "says it is a PNG image but holds a JPEG image",
        ),
        (
            "bomb.png",
            "image/png",
            &png_bomb(),
            "This image is 30000 × 30000 pixels",
        ),
        ("big.png", "image/png", &huge, "larger than 256 KB"),
        ("cut.png", "image/png", cut, "could not be read"),
        (
            "anim.gif",
            "image/gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            "image/gif files are not accepted",
        ),
        (
            "empty.png",
            "image/png",
            b"",
            "Choose an image file to upload.",
        ),
    ];
    for (name, kind, bytes, message) in cases {
        let answer = upload(b, &ws, name, kind, bytes).await;
        refused(b, &answer, "brand-logo", message).await;
    }
    assert_eq!(view(b, &ws).await.unwrap().logo, None);

    // Not a form at all: a clear 4xx, never a 500, nothing stored.
    for (kind, body) in [
        (
            "multipart/form-data; boundary=x",
            b"garbage without parts".to_vec(),
        ),
        ("multipart/form-data", b"--x\r\n\r\n".to_vec()),
        ("text/plain", b"logo=1".to_vec()),
    ] {
        let answer = b.raw_post("branding/logo", &page_of(&ws), kind, body).await;
        assert!(
            answer.status.is_client_error() || answer.location().contains("__err="),
            "{kind}: {answer:?}"
        );
        assert!(!answer.status.is_server_error(), "{kind}: {answer:?}");
    }
    assert_eq!(view(b, &ws).await.unwrap().logo, None);

    // The typed fields: each refusal names its field, keeps what was typed.
    let page = refused(
        b,
        &save(b, &ws, ["Acme", "#ffee00", "", ""]).await,
        "brand-accent",
        "#ffee00 has a contrast of 1.",
    )
    .await;
    assert!(
        page.contains(r##"value="#ffee00""##),
        "the typed colour is kept"
    );
    refused(
        b,
        &save(b, &ws, ["Acme", "purple", "", ""]).await,
        "brand-accent",
        "(this is “purple”)",
    )
    .await;
    refused(
        b,
        &save(b, &ws, ["Acme", "", "javascript:alert(1)", ""]).await,
        "brand-support",
        "Support URL must be a web address starting with https://",
    )
    .await;
    refused(
        b,
        &save(b, &ws, ["Acme", "", "", "ftp://acme.example/privacy"]).await,
        "brand-privacy",
        "Privacy policy URL must be a web address",
    )
    .await;
    refused(
        b,
        &save(b, &ws, [&"n".repeat(61), "", "", ""]).await,
        "brand-name",
        "at most 60 characters (this one has 61)",
    )
    .await;
    let long = format!("https://acme.example/{}", "p".repeat(5000));
    refused(
        b,
        &save(b, &ws, ["", "", &long, ""]).await,
        "brand-support",
        "at most 500 characters",
    )
    .await;
    let untouched = view(b, &ws).await.unwrap();
    assert_eq!(
        (
            untouched.display_name,
            untouched.accent_color,
            untouched.support_url,
            untouched.updated
        ),
        (String::new(), String::new(), String::new(), None)
    );
    app.stop().await;
}

#[tokio::test]
async fn only_the_workspaces_owners_and_admins_change_its_branding() {
    let app = TestApp::spawn().await;
    let a = provision(&app, "Alpha", "owner@alpha.test").await;
    let b = provision(&app, "Beta", "owner@beta.test").await;
    let (viewer, _) = join(
        &app,
        &a.browser,
        &a.workspace_id,
        "viewer@alpha.test",
        "viewer",
    )
    .await;
    let (admin, _) = join(
        &app,
        &a.browser,
        &a.workspace_id,
        "admin@alpha.test",
        "admin",
    )
    .await;
    let ws = a.workspace_id.clone();
    let logo = png(20, 20);

    // Another workspace's owner: not found, for every form, nothing changed.
    assert_eq!(view(&b.browser, &ws).await, Err(AppError::NotFound));
    let save_b = b
        .browser
        .post(
            "branding/save",
            &[("workspace", ws.as_str()), ("display_name", "Hijacked")],
        )
        .await;
    assert_eq!(save_b.decode::<()>(), Err(AppError::NotFound));
    let up = upload(&b.browser, &ws, "l.png", "image/png", &logo).await;
    assert!(up.location().contains("__err="), "{up:?}");
    let rm = b
        .browser
        .post("branding/remove-logo", &[("workspace", &ws)])
        .await;
    assert_eq!(rm.decode::<()>(), Err(AppError::NotFound));

    // A viewer sees it, and the page says who may change it; changes refused.
    let seen = view(&viewer, &ws).await.unwrap();
    assert!(!seen.can_edit);
    let page = viewer.page(&page_of(&ws)).await.body;
    assert!(
        page.contains("Owners and admins change the branding"),
        "{page}"
    );
    assert!(!page.contains("Save branding"), "{page}");
    let save_v = viewer
        .post(
            "branding/save",
            &[("workspace", ws.as_str()), ("display_name", "Viewer")],
        )
        .await;
    assert_eq!(save_v.decode::<()>(), Err(AppError::Forbidden));
    let up = upload(&viewer, &ws, "l.png", "image/png", &logo).await;
    assert!(up.location().contains("__err="), "{up:?}");

    // Signed out: refused before anything is read.
    let stranger = Browser::new(&app);
    assert_eq!(view(&stranger, &ws).await, Err(AppError::Unauthenticated));
    let up = upload(&stranger, &ws, "l.png", "image/png", &logo).await;
    assert!(
        up.location().contains("__err=") || up.location().contains("/sign-in"),
        "{up:?}"
    );

    let untouched = view(&a.browser, &ws).await.unwrap();
    assert_eq!(
        (untouched.display_name.as_str(), untouched.logo),
        ("", None)
    );

    // An admin may.
    accepted(&save(&admin, &ws, ["Alpha Studio", "", "", ""]).await);
    accepted(&upload(&admin, &ws, "l.png", "image/png", &logo).await);
    let changed = view(&a.browser, &ws).await.unwrap();
    assert_eq!(changed.display_name, "Alpha Studio");
    assert!(changed.logo.is_some());
    assert_eq!(
        changed.updated.map(|(by, _)| by).as_deref(),
        Some("admin@alpha.test")
    );
    // And Beta's branding is still its own.
    assert_eq!(
        view(&b.browser, &b.workspace_id)
            .await
            .unwrap()
            .shown_name(),
        "Beta"
    );
    app.stop().await;
}
