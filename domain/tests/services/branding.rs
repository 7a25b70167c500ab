//! A workspace's branding against a real database: saving and clearing the
//! fields, the logo, roles, tenancy, and the audit records.

use std::io::Cursor;

use domain::accounts::audit::{self, AuditFilter};
use domain::accounts::{AccountsError, AuditAction, Role};
use domain::branding::{self, BrandingError, BrandingInput, Logo};
use domain::testing::TestDb;

use crate::accounts::{actor, first_workspace, join, meta, other_workspace};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(width, height, image::Rgba([31, 95, 191, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn input(name: &str, accent: &str, support: &str, privacy: &str) -> BrandingInput {
    BrandingInput::parse(name, accent, support, privacy).unwrap()
}

#[tokio::test]
async fn branding_is_saved_cleared_audited_and_kept_per_workspace() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner) = first_workspace(&db, "Alpha", "a@alpha.example").await;
    let owner = actor(&db, &ws, &owner).await;
    let other = other_workspace(&db, "Beta", "b@beta.example").await;

    // Never set: every field empty; the end user sees the workspace's name.
    assert_eq!(
        branding::of_workspace(&db, &ws).await.unwrap(),
        Default::default()
    );
    assert_eq!(branding::for_end_user(&db, &ws, None).await.name, "Alpha");

    let set = input(
        "Alpha Studio",
        "#1F5FBF",
        "https://alpha.example/help",
        "https://alpha.example/privacy",
    );
    branding::save(&db, &owner, &set, &meta()).await.unwrap();
    let saved = branding::of_workspace(&db, &ws).await.unwrap();
    assert_eq!(saved.display_name.as_deref(), Some("Alpha Studio"));
    assert_eq!(saved.accent.unwrap().to_string(), "#1f5fbf");
    assert_eq!(
        saved.support_url.as_deref(),
        Some("https://alpha.example/help")
    );
    assert_eq!(
        saved.privacy_url.as_deref(),
        Some("https://alpha.example/privacy")
    );
    assert_eq!(saved.updated_by.as_deref(), Some("a@alpha.example"));
    let seen = branding::for_end_user(&db, &ws, None).await;
    assert_eq!(seen.name, "Alpha Studio");
    // The other workspace is untouched.
    assert_eq!(
        branding::for_end_user(&db, &other.workspace_id, None)
            .await
            .name,
        "Beta"
    );

    // Saving the same again writes nothing and records nothing.
    branding::save(&db, &owner, &set, &meta()).await.unwrap();
    // Clearing two fields records exactly those.
    let cleared = input("Alpha Studio", "", "https://alpha.example/help", "");
    branding::save(&db, &owner, &cleared, &meta())
        .await
        .unwrap();
    let after = branding::of_workspace(&db, &ws).await.unwrap();
    assert_eq!(after.accent, None);
    assert_eq!(after.privacy_url, None);
    assert_eq!(after.display_name.as_deref(), Some("Alpha Studio"));

    let filter = AuditFilter {
        action: Some(AuditAction::BrandingChanged),
        ..Default::default()
    };
    let events = audit::list(&db, &owner, &filter).await.unwrap().events;
    assert_eq!(events.len(), 2, "{events:?}");
    let newest: serde_json::Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(
        newest["changed"],
        serde_json::json!(["accent_color", "privacy_url"])
    );
    let first: serde_json::Value = serde_json::from_str(&events[1].detail).unwrap();
    assert_eq!(first["changed"].as_array().unwrap().len(), 4);

    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn logos_are_stored_as_pinbridge_made_them_served_by_hash_and_removed() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner) = first_workspace(&db, "Alpha", "a@alpha.example").await;
    let owner = actor(&db, &ws, &owner).await;

    let logo = Logo::from_upload(&png(960, 320), Some("image/png"), Some("logo.png")).unwrap();
    let stored = branding::set_logo(&db, &owner, &logo, &meta())
        .await
        .unwrap();
    assert_eq!((stored.width, stored.height), (480, 160));
    assert_eq!(
        branding::of_workspace(&db, &ws).await.unwrap().logo,
        Some(stored.clone())
    );
    let served = branding::logo_png(&db, &stored.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(served, logo.png);
    // Names that are not a SHA-256 find nothing (and reach no query).
    for bad in [
        "",
        "../etc/passwd",
        &stored.sha256.to_uppercase(),
        &stored.sha256[1..],
    ] {
        assert_eq!(branding::logo_png(&db, bad).await.unwrap(), None, "{bad}");
    }
    // The logo and the typed fields are kept apart.
    branding::save(&db, &owner, &input("Alpha", "", "", ""), &meta())
        .await
        .unwrap();
    assert!(
        branding::of_workspace(&db, &ws)
            .await
            .unwrap()
            .logo
            .is_some()
    );

    branding::remove_logo(&db, &owner, &meta()).await.unwrap();
    assert_eq!(branding::of_workspace(&db, &ws).await.unwrap().logo, None);
    assert_eq!(branding::logo_png(&db, &stored.sha256).await.unwrap(), None);
    assert_eq!(
        branding::of_workspace(&db, &ws)
            .await
            .unwrap()
            .display_name
            .as_deref(),
        Some("Alpha")
    );

    let actions: Vec<AuditAction> = audit::list(&db, &owner, &AuditFilter::default())
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.starts_with(&[
            AuditAction::BrandingLogoRemoved,
            AuditAction::BrandingChanged,
            AuditAction::BrandingLogoChanged,
        ]),
        "{actions:?}"
    );

    db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn viewers_cannot_change_branding_and_refusals_change_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let (ws, owner_id) = first_workspace(&db, "Alpha", "a@alpha.example").await;
    let owner = actor(&db, &ws, &owner_id).await;
    let viewer_id = join(&db, &owner, "v@alpha.example", Role::Viewer).await;
    let viewer = actor(&db, &ws, &viewer_id).await;
    let admin_id = join(&db, &owner, "ad@alpha.example", Role::Admin).await;
    let admin = actor(&db, &ws, &admin_id).await;

    let forbidden = |r: Result<(), BrandingError>| {
        assert!(
            matches!(r, Err(BrandingError::Accounts(AccountsError::Forbidden))),
            "{r:?}"
        );
    };
    forbidden(branding::save(&db, &viewer, &input("X", "", "", ""), &meta()).await);
    let logo = Logo::from_upload(&png(10, 10), None, None).unwrap();
    forbidden(
        branding::set_logo(&db, &viewer, &logo, &meta())
            .await
            .map(|_| ()),
    );
    forbidden(branding::remove_logo(&db, &viewer, &meta()).await);
    assert_eq!(
        branding::of_workspace(&db, &ws).await.unwrap(),
        Default::default()
    );

    // Admins may.
    branding::save(&db, &admin, &input("By admin", "", "", ""), &meta())
        .await
        .unwrap();
    let saved = branding::of_workspace(&db, &ws).await.unwrap();
    assert_eq!(saved.display_name.as_deref(), Some("By admin"));
    assert_eq!(saved.updated_by.as_deref(), Some("ad@alpha.example"));

    db.close().await;
    test_db.drop_database().await;
}
