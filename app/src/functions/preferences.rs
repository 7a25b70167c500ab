//! Portal preferences, kept in the browser: a cookie, not the session, so a
//! visitor who is not signed in (the theme switch is on the sign-in page too)
//! leaves nothing in pinbridge's database.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::Theme;

#[cfg(feature = "ssr")]
const THEME_COOKIE: &str = "pinbridge_theme";

/// Saves the theme in this browser and answers with it, so the page can apply it at once.
#[server(endpoint = "preferences/theme")]
pub async fn set_theme(theme: Theme) -> Result<Theme, AppError> {
    let services = super::context::services()?;
    let secure = if services.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        theme.as_str()
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(theme)
}

/// The theme a request's cookie names; the default for none or an unknown one.
#[cfg(feature = "ssr")]
fn theme_of(headers: &http::HeaderMap) -> Theme {
    super::request::cookie_value(headers, THEME_COOKIE)
        .and_then(|value| Theme::parse(&value))
        .unwrap_or_default()
}

/// Middleware: loads the browser's theme into the request's extensions, so the
/// server render can read it synchronously (see `App`).
#[cfg(feature = "ssr")]
pub async fn load_preferences(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let theme = theme_of(request.headers());
    request.extensions_mut().insert(theme);
    next.run(request).await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_theme_cookie_is_read_among_others_and_unknown_values_fall_back() {
        let mut h = http::HeaderMap::new();
        assert_eq!(theme_of(&h), Theme::System);
        h.append("cookie", "a=1; pinbridge_theme=dark; b=2".parse().unwrap());
        assert_eq!(theme_of(&h), Theme::Dark);
        let mut h = http::HeaderMap::new();
        h.append("cookie", "pinbridge_theme=purple".parse().unwrap());
        assert_eq!(theme_of(&h), Theme::System);
    }
}
