//! `POST /v5/oauth/token`: HTTP Basic client authentication, form body,
//! `authorization_code` and `refresh_token` grants, continuous refresh.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, header};
use time::OffsetDateTime;

use crate::authorization::strip_scheme;
use crate::errors::ApiError;
use crate::query::QueryParams;
use crate::request_log::LogSlot;
use crate::scope::ScopeSet;
use crate::state::SimState;
use crate::wire::TokenResponse;

const FORM_FIELDS: [&str; 7] = [
    "grant_type",
    "code",
    "redirect_uri",
    "continuous_refresh",
    "refresh_token",
    "scope",
    "client_id",
];

/// `Authorization: Basic base64(client_id:client_secret)` → (id, secret).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = strip_scheme(raw, "Basic")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_owned(), secret.to_owned()))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

pub async fn exchange(
    State(state): State<SimState>,
    slot: Option<Extension<LogSlot>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match grant(&state, slot.as_ref().map(|s| &s.0), &headers, &body) {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => err.on_token_endpoint().into_response(),
    }
}

fn grant(
    state: &SimState,
    slot: Option<&LogSlot>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, ApiError> {
    let (client_id, secret) =
        basic_credentials(headers).ok_or_else(ApiError::authentication_failed)?;
    if let Some(slot) = slot {
        slot.note_client(&client_id);
    }
    if state
        .store()
        .authenticate_client(&client_id, &secret)
        .is_none()
    {
        return Err(ApiError::authentication_failed());
    }
    if !is_form(headers) {
        return Err(ApiError::invalid_parameters(
            "Invalid request: Content-Type must be application/x-www-form-urlencoded.",
        ));
    }
    let form = QueryParams::parse_bytes(body);
    form.expect_only(&FORM_FIELDS)?;
    if form.get("client_id").is_some_and(|id| id != client_id) {
        return Err(ApiError::invalid_parameters(
            "client_id: does not match the Authorization header",
        ));
    }
    let now = OffsetDateTime::now_utc();
    match form.required("grant_type")? {
        "authorization_code" => {
            let code = form.required("code")?;
            let redirect_uri = form.required("redirect_uri")?;
            let issued = state
                .store_mut()
                .exchange_code(&client_id, code, redirect_uri, now)
                .map_err(|_| ApiError::invalid_grant())?;
            Ok(TokenResponse::authorization_code(issued))
        }
        "refresh_token" => {
            let refresh_token = form.required("refresh_token")?;
            let narrower = form
                .get("scope")
                .map(ScopeSet::parse_lenient)
                .transpose()
                .map_err(|e| ApiError::invalid_parameters(format!("scope: {e}")))?;
            // One write lock around lookup, removal and issue: of concurrent
            // refreshes with the same token exactly one succeeds.
            let issued = state
                .store_mut()
                .refresh(&client_id, refresh_token, narrower, now)
                .map_err(|_| ApiError::invalid_grant())?;
            Ok(TokenResponse::refresh_token(issued))
        }
        "client_credentials" => Err(ApiError::invalid_parameters(
            "grant_type: client_credentials is not simulated by pinterest-sim",
        )),
        other => Err(ApiError::invalid_parameters(format!(
            "grant_type: {other:?} is not one of authorization_code, refresh_token, client_credentials"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_header_parsing() {
        let good = base64::engine::general_purpose::STANDARD.encode("1234567:sim-demo-secret");
        assert_eq!(
            basic_credentials(&with_auth(&format!("Basic {good}"))),
            Some(("1234567".into(), "sim-demo-secret".into()))
        );
        assert_eq!(
            basic_credentials(&with_auth(&format!("basic {good}"))).map(|c| c.0),
            Some("1234567".into())
        );
        let no_colon = base64::engine::general_purpose::STANDARD.encode("1234567");
        for bad in [
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            format!("Basic {no_colon}"),
            format!("Bearer {good}"),
            "Basic /w==".to_owned(),
        ] {
            assert_eq!(basic_credentials(&with_auth(&bad)), None, "{bad}");
        }
    }
}
