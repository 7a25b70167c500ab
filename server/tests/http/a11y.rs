//! What assistive technology needs from the server's HTML, without JavaScript:
//! a refused form comes back with each message tied to its field (the field
//! `aria-invalid`, its `aria-describedby` naming the message), for every kind
//! of field (selects, checkbox groups, radios, a textarea, not only text
//! inputs); and every page starts with a skip link into `<main>`, which can
//! take focus. (Browsers and axe-core check the rest: end2end/tests/a11y.spec.ts.)

use super::api_keys_portal::{Env, development};
use crate::common::TestApp;
use crate::common::portal::{Answer, set_up};

/// The opening tag of the element with this `id`.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    tag_containing(html, &format!(r#"id="{id}""#))
}

/// The opening tag around the first occurrence of `needle`.
fn tag_containing<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// The field `field_id` is marked invalid and described by the message `error_id`.
fn assert_announced(page: &Answer, field_id: &str, error_id: &str) {
    let field = tag_with_id(&page.body, field_id);
    assert!(field.contains(r#"aria-invalid="true""#), "{field}");
    let described = field
        .split(r#"aria-describedby=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no aria-describedby: {field}"));
    assert!(
        described.split(' ').any(|id| id == error_id),
        "{field} does not name #{error_id}"
    );
    let message = tag_with_id(&page.body, error_id);
    assert!(message.contains(r#"class="field-error""#), "{message}");
}

/// Posts a form as a browser without JavaScript does and loads the page it is
/// sent back to, with the refusal.
async fn refused(
    owner: &crate::common::portal::Owned,
    endpoint: &str,
    from: &str,
    form: &[(&str, &str)],
) -> Answer {
    let b = &owner.browser;
    let answer = b.plain_post(endpoint, from, form).await;
    let location = answer.location().to_owned();
    assert!(
        location.contains("__err="),
        "{endpoint} was not refused: {location}"
    );
    b.page(&location).await
}

#[tokio::test]
async fn refused_forms_tie_each_message_to_its_field_without_javascript() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Access Co", "owner@access.example").await;
    let env: Env = development(&owner).await;
    let (ws, id) = (env.ws.as_str(), env.id.as_str());

    // A group of checkboxes: no permission chosen.
    let keys = env.path("api-keys");
    let base = [
        ("workspace", ws),
        ("environment_id", id),
        ("name", "Backend"),
        ("rate_limit", ""),
        ("end_user_id", ""),
    ];
    let mut form = base.to_vec();
    form.push(("expires_in_days", ""));
    let page = refused(&owner, "api-keys/create", &keys, &form).await;
    let group = tag_with_id(&page.body, "key-permissions-error");
    assert!(group.contains("field-error"));
    let fieldset = tag_containing(&page.body, "permission-list");
    assert!(fieldset.contains(r#"aria-invalid="true""#), "{fieldset}");
    assert!(
        fieldset.contains(r#"aria-describedby="key-permissions-hint key-permissions-error""#),
        "{fieldset}"
    );

    // A select: an expiry it does not offer.
    let mut form = base.to_vec();
    form.extend([("permissions[]", "tokens"), ("expires_in_days", "0")]);
    let page = refused(&owner, "api-keys/create", &keys, &form).await;
    assert_announced(&page, "key-expires", "key-expires-error");

    // A textarea: an origin that is not one.
    let connections = env.path("connections");
    let page = refused(
        &owner,
        "connections/origins",
        &connections,
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("origins", "not an origin"),
        ],
    )
    .await;
    assert_announced(&page, "return-origins", "return-origins-error");

    // The scope boxes: a minimum scope left out.
    let pinterest = env.path("integrations/pinterest");
    let page = refused(
        &owner,
        "pinterest/save",
        &pinterest,
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("version", "0"),
            ("client_id", "1234567"),
            ("client_secret", "sim-demo-secret"),
            ("scopes[]", "boards:read"),
            ("api", "production"),
        ],
    )
    .await;
    let fieldset = tag_containing(&page.body, r#"class="scopes""#);
    assert!(fieldset.contains(r#"aria-invalid="true""#), "{fieldset}");
    assert!(
        fieldset.contains(r#"aria-describedby="scopes-notes pinterest-scopes-error""#),
        "{fieldset}"
    );
    assert!(tag_with_id(&page.body, "pinterest-scopes-error").contains("field-error"));

    // Radios: an API that does not exist.
    let page = refused(
        &owner,
        "pinterest/save",
        &pinterest,
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("version", "0"),
            ("client_id", "1234567"),
            ("client_secret", "sim-demo-secret"),
            ("scopes[]", "user_accounts:read"),
            ("scopes[]", "boards:read"),
            ("scopes[]", "pins:read"),
            ("api", "moon"),
        ],
    )
    .await;
    let fieldset = tag_containing(&page.body, "api-choice");
    assert!(fieldset.contains(r#"aria-invalid="true""#), "{fieldset}");
    assert!(
        fieldset.contains(r#"aria-describedby="pinterest-api-error""#),
        "{fieldset}"
    );
    assert!(tag_with_id(&page.body, "pinterest-api-error").contains("field-error"));

    // A text input, for comparison: the App id.
    let page = refused(
        &owner,
        "pinterest/save",
        &pinterest,
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("version", "0"),
            ("client_id", "app-12"),
            ("client_secret", "sim-demo-secret"),
            ("api", "production"),
        ],
    )
    .await;
    assert_announced(&page, "pinterest-client-id", "pinterest-client-id-error");
    // The page comes back with focus on the field at fault (and on no other),
    // so a screen reader reads its label and message at once.
    let field = tag_with_id(&page.body, "pinterest-client-id");
    assert!(field.contains("autofocus"), "{field}");
    assert_eq!(page.body.matches("autofocus").count(), 1, "{}", page.body);

    // A select on the members page: a role that does not exist.
    let members = format!("/w/{ws}/members");
    let page = refused(
        &owner,
        "members/invite",
        &members,
        &[
            ("workspace", ws),
            ("email", "new@access.example"),
            ("role", "boss"),
        ],
    )
    .await;
    assert_announced(&page, "invite-role", "invite-role-error");

    // The webhook's event boxes: none chosen.
    let webhooks = env.path("webhooks");
    let page = refused(
        &owner,
        "webhooks/create",
        &webhooks,
        &[
            ("workspace", ws),
            ("environment_id", id),
            ("url", "https://hooks.example/in"),
            ("description", ""),
        ],
    )
    .await;
    let fieldset = tag_containing(&page.body, "permission-list");
    assert!(fieldset.contains(r#"aria-invalid="true""#), "{fieldset}");
    assert!(fieldset.contains("new-endpoint-events-error"), "{fieldset}");
    assert!(tag_with_id(&page.body, "new-endpoint-events-error").contains("field-error"));
    app.stop().await;
}

#[tokio::test]
async fn every_page_starts_with_a_skip_link_into_main() {
    let app = TestApp::spawn().await;
    let owner = set_up(&app, "Skip Co", "owner@skip.example").await;
    let env = development(&owner).await;
    let signed_out = crate::common::portal::Browser::new(&app);
    let pages = [
        signed_out.page("/sign-in").await,
        signed_out.page("/no/such/page").await,
        signed_out.page("/connect/not-a-token").await,
        owner.browser.page(&env.path("integrations")).await,
        owner.browser.page("/account").await,
    ];
    for page in pages {
        let body = &page.body;
        let skip = body
            .find(r##"<a class="skip-link" href="#main""##)
            .unwrap_or_else(|| panic!("no skip link: {body}"));
        let first_link = body.find("<a ").unwrap();
        assert_eq!(skip, first_link, "the skip link is the first link");
        for control in ["<input", "<button", "<select", "<textarea", "<summary"] {
            if let Some(at) = body.find(control) {
                assert!(skip < at, "{control} comes before the skip link");
            }
        }
        let main = &body[body.find("<main ").unwrap()..];
        let main = &main[..main.find('>').unwrap()];
        assert!(main.contains(r#"id="main""#), "{main}");
        assert!(main.contains(r#"tabindex="-1""#), "{main}");
    }
    app.stop().await;
}
