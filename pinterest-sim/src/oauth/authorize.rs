//! `GET /oauth/` (the consent page, or an immediate redirect when consent is
//! automatic) and `POST /oauth/` (the form's Allow / Deny).
//!
//! Query flags for tests: `sim_consent=allow|deny|ask` overrides the admin
//! setting for one request, `sim_user=<username>` picks the signed-in user.

use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderValue, StatusCode, header};
use time::OffsetDateTime;

use super::consent_page::{self, ConsentView};
use crate::model::ConsentMode;
use crate::query::QueryParams;
use crate::request_log::LogSlot;
use crate::scope::ScopeSet;
use crate::state::SimState;
use crate::store::{PendingAuthorization, after};

/// A validated authorize request.
struct Authorize {
    app_id: String,
    redirect_uri: String,
    scopes: ScopeSet,
    state: Option<String>,
}

/// Checks the request the way Pinterest does before trusting `redirect_uri`:
/// any problem is shown on an error page, never redirected.
fn validate(state: &SimState, query: &QueryParams) -> Result<Authorize, String> {
    let client_id = query
        .get("client_id")
        .filter(|v| !v.is_empty())
        .ok_or("Missing client_id.")?;
    let store = state.store();
    let app = store
        .app(client_id)
        .ok_or_else(|| format!("Invalid client_id: no app {client_id:?} is registered."))?;
    let redirect_uri = query
        .get("redirect_uri")
        .filter(|v| !v.is_empty())
        .ok_or("Missing redirect_uri.")?;
    if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(format!(
            "Invalid redirect_uri: {redirect_uri:?} is not registered for this app (byte-exact match)."
        ));
    }
    match query.get("response_type") {
        Some("code") => {}
        Some(other) => {
            return Err(format!(
                "Invalid response_type {other:?}: only \"code\" is supported."
            ));
        }
        None => return Err("Missing response_type.".into()),
    }
    let raw_scope = query.get("scope").unwrap_or("");
    let scopes = ScopeSet::parse_comma_separated(raw_scope)
        .map_err(|e| format!("Invalid scope: {e} (scopes are comma-separated)."))?;
    if scopes.is_empty() {
        return Err("Missing scope.".into());
    }
    Ok(Authorize {
        app_id: app.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: query.get("state").map(str::to_owned),
    })
}

/// `redirect_uri` with `pairs` appended to its query.
fn back_to(redirect_uri: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    Some(url.into())
}

fn allow(state: &SimState, request: &Authorize, user_id: u64, status: StatusCode) -> Response {
    let code = state.store_mut().issue_code(
        &request.app_id,
        user_id,
        &request.redirect_uri,
        request.scopes,
        OffsetDateTime::now_utc(),
    );
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        pairs.push(("state", s));
    }
    redirect(&request.redirect_uri, &pairs, status)
}

fn deny(request: &Authorize, status: StatusCode) -> Response {
    let mut pairs = vec![
        ("error", "access_denied"),
        ("error_description", "The user denied access to the app."),
    ];
    if let Some(s) = &request.state {
        pairs.push(("state", s));
    }
    redirect(&request.redirect_uri, &pairs, status)
}

fn redirect(uri: &str, pairs: &[(&str, &str)], status: StatusCode) -> Response {
    match back_to(uri, pairs).and_then(|target| HeaderValue::from_str(&target).ok()) {
        Some(location) => (status, [(header::LOCATION, location)]).into_response(),
        None => consent_page::error("The registered redirect URI cannot be used."),
    }
}

pub async fn show(
    State(state): State<SimState>,
    slot: Option<Extension<LogSlot>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryParams::parse(raw.as_deref());
    let request = match validate(&state, &query) {
        Ok(r) => r,
        Err(message) => return consent_page::error(&message),
    };
    if let Some(Extension(slot)) = &slot {
        slot.note_client(&request.app_id);
    }
    let setting = state.consent();
    let mode = match query.get("sim_consent") {
        None => setting.mode,
        Some("allow") => ConsentMode::AutoAllow,
        Some("deny") => ConsentMode::AutoDeny,
        Some("ask") => ConsentMode::Ask,
        Some(other) => {
            return consent_page::error(&format!("sim_consent={other:?}: use allow, deny or ask."));
        }
    };
    let store = state.store();
    let signed_in = match query.get("sim_user").map(str::to_owned).or(setting.user) {
        Some(name) => store.user_by_name(&name),
        None => store.users().next(),
    };
    let Some(user) = signed_in else {
        return consent_page::error(
            "No simulated user to sign in as: create one with POST /_sim/users.",
        );
    };
    let (user_id, username) = (user.id, user.username.clone());
    if let Some(Extension(slot)) = &slot {
        slot.note_user(&username);
    }
    match mode {
        ConsentMode::AutoAllow => {
            drop(store);
            allow(&state, &request, user_id, StatusCode::FOUND)
        }
        ConsentMode::AutoDeny => deny(&request, StatusCode::FOUND),
        ConsentMode::Ask => {
            let users: Vec<String> = store.users().map(|u| u.username.clone()).collect();
            let app_name = store
                .app(&request.app_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            drop(store);
            let now = OffsetDateTime::now_utc();
            let expires_at = after(now, state.lifetimes().code);
            let request_id = state.store_mut().begin_authorization(
                PendingAuthorization {
                    app_id: request.app_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    scopes: request.scopes,
                    state: request.state.clone(),
                    expires_at,
                },
                now,
            );
            consent_page::consent(&ConsentView {
                request_id: &request_id,
                app_name: &app_name,
                app_id: &request.app_id,
                redirect_uri: &request.redirect_uri,
                scopes: request.scopes,
                users: users.iter().map(String::as_str).collect(),
                signed_in: &username,
            })
        }
    }
}

pub async fn decide(
    State(state): State<SimState>,
    slot: Option<Extension<LogSlot>>,
    body: Bytes,
) -> Response {
    let form = QueryParams::parse_bytes(&body);
    if form
        .expect_only(&["request_id", "user", "decision"])
        .is_err()
    {
        return consent_page::error("Unexpected form fields.");
    }
    let now = OffsetDateTime::now_utc();
    let Some(pending) = form
        .get("request_id")
        .and_then(|id| state.store_mut().take_authorization(id, now))
    else {
        return consent_page::error(
            "This authorization request expired or was already answered. Start again from the app.",
        );
    };
    let user_id = match form
        .get("user")
        .and_then(|name| state.store().user_by_name(name).map(|u| u.id))
    {
        Some(id) => id,
        None => return consent_page::error("Unknown user."),
    };
    if let Some(Extension(slot)) = &slot {
        slot.note_client(&pending.app_id);
        if let Some(name) = form.get("user") {
            slot.note_user(name);
        }
    }
    let request = Authorize {
        app_id: pending.app_id,
        redirect_uri: pending.redirect_uri,
        scopes: pending.scopes,
        state: pending.state,
    };
    match form.get("decision") {
        Some("allow") => allow(&state, &request, user_id, StatusCode::SEE_OTHER),
        Some("deny") => deny(&request, StatusCode::SEE_OTHER),
        _ => consent_page::error("Choose Allow or Deny."),
    }
}

/// `/oauth` without the slash: Pinterest's URL has one.
pub async fn add_slash(RawQuery(raw): RawQuery) -> Redirect {
    match raw {
        Some(q) => Redirect::permanent(&format!("/oauth/?{q}")),
        None => Redirect::permanent("/oauth/"),
    }
}
