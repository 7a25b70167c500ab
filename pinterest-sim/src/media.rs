//! Placeholder images for Pins and profiles, so the URLs the API hands out
//! render offline. SVG, generated from the Pin's colour and title.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use super::errors::ApiError;
use super::oauth::escape_html;
use super::state::SimState;

fn svg(width: u32, height: u32, color: &str, label: &str) -> Response {
    let body = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"{color}\"/>\
         <text x=\"50%\" y=\"50%\" fill=\"#fff\" font-family=\"sans-serif\" font-size=\"{size}\" \
         text-anchor=\"middle\" dominant-baseline=\"middle\">{label}</text></svg>",
        color = escape_html(color),
        size = (width / 12).max(10),
        label = escape_html(label),
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

fn size_of(name: &str) -> Option<(u32, u32)> {
    match name {
        "150x150" => Some((150, 150)),
        "400x300" => Some((400, 300)),
        "600x" => Some((600, 600)),
        "1200x" => Some((1200, 1200)),
        _ => None,
    }
}

/// `GET /media/pins/{id}-{size}.svg`.
pub async fn pin_image(State(state): State<SimState>, Path(file): Path<String>) -> Response {
    let parsed = file
        .strip_suffix(".svg")
        .and_then(|stem| stem.split_once('-'))
        .and_then(|(id, size)| Some((id.parse::<u64>().ok()?, size_of(size)?)));
    let Some((id, (width, height))) = parsed else {
        return ApiError::not_found_route().into_response();
    };
    let store = state.store();
    let Some(pin) = store.pin(id) else {
        return ApiError::pin_not_found().into_response();
    };
    let color = pin.dominant_color.as_deref().unwrap_or("#E60023");
    let label = pin.title.as_deref().unwrap_or("Pin");
    svg(width, height, color, label)
}

/// `GET /media/users/{id}.svg`.
pub async fn profile_image(State(state): State<SimState>, Path(file): Path<String>) -> Response {
    let store = state.store();
    let user = file
        .strip_suffix(".svg")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| store.user(id));
    match user {
        Some(user) => {
            let initial = user
                .username
                .chars()
                .next()
                .unwrap_or('?')
                .to_uppercase()
                .to_string();
            svg(150, 150, "#767676", &initial)
        }
        None => ApiError::not_found_route().into_response(),
    }
}
