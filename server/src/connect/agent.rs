//! The end user's pages when an assistant signs in to the agent gateway
//! (`domain::agent::oauth::authorize`): `/oauth/authorize`, the way back from
//! the operator's sign-in, the consent page in the operator's branding, the
//! way back from connecting Pinterest, and "Connected assistants".
//!
//! Like the connect pages: plain HTML, one form, no script; every answer is
//! `no-store`, sends no referrer onwards and refuses to be framed. The
//! request's cookie binds it to the browser that began it.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Services;
use domain::agent::oauth::authorize::{self, COOKIE, ConsentView, Step};
use domain::agent::oauth::grants::AuthorizedClient;
use domain::branding::{self, EndUserBrand};
use leptos::prelude::*;

use super::pages;

fn cookie(headers: &HeaderMap) -> Option<String> {
    app::functions::cookie_value(headers, COOKIE)
}

fn query_of(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// A 303 to `location`, sending no referrer there.
fn see_other(location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        return pages::message(
            StatusCode::BAD_REQUEST,
            "This sign-in cannot go on",
            "The address to go to next is not valid.".into(),
            None,
            None,
        );
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    h.insert(header::LOCATION, location);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The answer for a step of the journey.
fn answer(services: &Services, step: Step) -> Response {
    match step {
        Step::Page {
            status,
            title,
            message,
        } => pages::message(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            title,
            message,
            None,
            None,
        ),
        Step::ToClient(url) | Step::Connect(url) => see_other(&url),
        Step::Consent(id) => see_other(&format!("/oauth/consent/{id}")),
        Step::SignIn { url, cookie } => {
            let mut response = see_other(&url);
            if let Some(value) = cookie {
                let secure = services.config.public_url.starts_with("https://");
                if let Ok(set) = HeaderValue::from_str(&authorize::set_cookie(&value, secure)) {
                    response.headers_mut().insert(header::SET_COOKIE, set);
                }
            }
            response
        }
        Step::Tested { end_user_id, back } => {
            let (title, text) = match end_user_id {
                Ok(id) => (
                    "Test sign-in worked",
                    format!(
                        "The provider signed you in, and the end user id pinbridge read from the ID token is \u{201c}{id}\u{201d}. Assistants that sign in as this person act on that end user's Pinterest connection."
                    ),
                ),
                Err(why) => ("Test sign-in failed", why),
            };
            pages::message(StatusCode::OK, title, text, Some(back), None)
        }
    }
}

/// `GET /oauth/authorize`.
pub async fn authorize(
    State(services): State<Services>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let step = authorize::authorize(
        &services,
        &query_of(query.as_deref()),
        cookie(&headers).as_deref(),
    )
    .await;
    answer(&services, step)
}

/// `GET /oauth/sign-in/callback`: back from the operator's provider.
pub async fn signed_in(
    State(services): State<Services>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let step = authorize::signed_in(
        &services,
        &query_of(query.as_deref()),
        cookie(&headers).as_deref(),
    )
    .await;
    answer(&services, step)
}

async fn brand_of(services: &Services, view: &ConsentView) -> EndUserBrand {
    branding::for_end_user(&services.db, &view.environment.workspace_id, None).await
}

/// `GET /oauth/consent/{id}`.
pub async fn consent(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorize::consent(&services, &id, cookie(&headers).as_deref()).await {
        Ok(view) => {
            let brand = brand_of(&services, &view).await;
            consent_page(&view, &brand)
        }
        Err(step) => answer(&services, step),
    }
}

fn consent_page(view: &ConsentView, brand: &EndUserBrand) -> Response {
    let operator = brand.name.clone();
    let client = view.client_name.clone();
    let scopes = view
        .scope
        .iter()
        .map(|s| {
            view! {
                <li>
                    <strong>{s.words()}</strong>
                    " "
                    <code class="small muted">{s.as_str()}</code>
                </li>
            }
        })
        .collect_view();
    let next = (!view.connected).then(|| {
        view! {
            <p>{format!("Your Pinterest account is not connected to {operator} yet: after you allow, you will connect it, then return to {client}.")}</p>
        }
    });
    let body = view! {
        <div class="card">
            <p class="eyebrow">"Connect an assistant"</p>
            <h1>{format!("{client} wants to use your Pinterest boards through {operator}")}</h1>
            <p>{format!("You are signed in to {operator} as {}.", view.end_user_id)}</p>
            <p>{format!("If you allow it, {client} will be able to:")}</p>
            <ul class="scope-list end-user-scopes">{scopes}</ul>
            {next}
            <form method="post" action=format!("/oauth/consent/{}", view.id) class="actions">
                <button class="button" type="submit" name="decision" value="allow">"Allow"</button>
                " "
                <button class="button button-secondary" type="submit" name="decision" value="deny">"Deny"</button>
            </form>
            <p class="hint">
                {format!("{client} will then take you back to {}. ", view.returns_to)}
                "You can disconnect it at any time under "
                <a href=format!("/oauth/consent/{}/assistants", view.id)>"Connected assistants"</a>
                "."
            </p>
        </div>
    };
    pages::page(
        StatusCode::OK,
        format!("Allow {client} to use Pinterest through {operator}"),
        body.into_any(),
        Some(brand),
    )
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `POST /oauth/consent/{id}`: Allow or Deny. The router refuses it when
/// another site's page sent it.
pub async fn decide(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: Bytes,
) -> Response {
    let allow = match form_value(&body, "decision").as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return pages::message(
                StatusCode::BAD_REQUEST,
                "Choose Allow or Deny",
                "The form sent no decision.".into(),
                None,
                None,
            );
        }
    };
    let step = authorize::decide(
        &services,
        &id,
        cookie(&headers).as_deref(),
        allow,
        &app::functions::meta_of(&extensions, &headers),
    )
    .await;
    answer(&services, step)
}

/// `GET /oauth/consent/{id}/connected`: back from connecting Pinterest.
pub async fn connected(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let step = authorize::connected(
        &services,
        &id,
        cookie(&headers).as_deref(),
        &app::functions::meta_of(&extensions, &headers),
    )
    .await;
    answer(&services, step)
}

/// `GET /oauth/consent/{id}/assistants`: the end user's connected assistants.
pub async fn assistants(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match authorize::assistants(&services, &id, cookie(&headers).as_deref()).await {
        Ok((view, clients)) => {
            let brand = brand_of(&services, &view).await;
            let revoked = query_of(query.as_deref())
                .iter()
                .any(|(k, _)| k == "revoked");
            assistants_page(&view, &clients, &brand, revoked)
        }
        Err(step) => answer(&services, step),
    }
}

fn assistants_page(
    view: &ConsentView,
    clients: &[AuthorizedClient],
    brand: &EndUserBrand,
    revoked: bool,
) -> Response {
    let operator = brand.name.clone();
    let id = view.id.clone();
    let rows = clients
        .iter()
        .map(|c| {
            let scope = c
                .scope
                .iter()
                .map(|s| s.words())
                .collect::<Vec<_>>()
                .join("; ");
            let last = c
                .last_used_at
                .map_or_else(|| "not yet".to_owned(), app::models::format_utc);
            view! {
                <li class="assistant">
                    <strong>{c.client_name.clone()}</strong>
                    <p class="small">{format!("Allowed {}. Last used {last}.", app::models::format_utc(c.first_at))}</p>
                    <p class="small muted">{scope}</p>
                    <form method="post" action=format!("/oauth/consent/{id}/assistants")>
                        <input type="hidden" name="grant" value=c.grant_id.clone()/>
                        <button class="button button-secondary" type="submit">{format!("Disconnect {}", c.client_name)}</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let empty = clients.is_empty().then(
        || view! { <p>"No assistant can use your Pinterest account through this product."</p> },
    );
    let notice = revoked.then(|| view! { <p role="status" class="notice">"Disconnected: it can no longer act for you."</p> });
    let body = view! {
        <div class="card">
            <p class="eyebrow">"Connected assistants"</p>
            <h1>{format!("Assistants using your Pinterest through {operator}")}</h1>
            <p>{format!("Signed in as {}.", view.end_user_id)}</p>
            {notice}
            {empty}
            <ul class="assistant-list">{rows}</ul>
            <p><a href=format!("/oauth/consent/{}", view.id)>"Back"</a></p>
        </div>
    };
    pages::page(
        StatusCode::OK,
        format!("Connected assistants · {operator}"),
        body.into_any(),
        Some(brand),
    )
}

/// `POST /oauth/consent/{id}/assistants`: disconnect one (`grant`).
pub async fn revoke_assistant(
    State(services): State<Services>,
    Path(id): Path<String>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: Bytes,
) -> Response {
    let grant = form_value(&body, "grant").unwrap_or_default();
    match authorize::revoke_assistant(
        &services,
        &id,
        cookie(&headers).as_deref(),
        &grant,
        &app::functions::meta_of(&extensions, &headers),
    )
    .await
    {
        Ok(true) => see_other(&format!("/oauth/consent/{id}/assistants?revoked=1")),
        Ok(false) => pages::message(
            StatusCode::NOT_FOUND,
            "No such assistant",
            "It is not one of yours, or it was already disconnected.".into(),
            None,
            None,
        ),
        Err(step) => answer(&services, step),
    }
}
