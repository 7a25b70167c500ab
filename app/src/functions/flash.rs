//! The flash: what one request leaves for the next page load of the same
//! session, for forms sent without JavaScript.
//!
//! A plain HTML form post is answered with a redirect (the error rides along in
//! the URL as `__err`, which Leptos shows). Two things cannot ride along: what
//! the person typed, so the form can be filled in again, and output that must
//! be shown once, such as a new invitation link. Both go into the session here
//! and are taken out by the next page load, which reads them from the request.
//! Password, secret and token fields are never kept.

use serde::{Deserialize, Serialize};

/// Kept for one page load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// The fields of a form that was refused.
    pub form: Option<FormValues>,
    /// A just-created invitation (its link is shown once).
    pub invitation: Option<crate::models::IssuedInvitation>,
    /// What a successful form said ("Saved."), for a page loaded after a plain post.
    #[serde(default)]
    pub notices: Vec<String>,
    /// A just-made connect link (shown once).
    #[serde(default)]
    pub connect_link: Option<crate::models::IssuedConnectLink>,
}

/// The fields of one refused form, by the path of the server function it was sent to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormValues {
    pub action: String,
    pub values: Vec<(String, String)>,
}

/// Reads the flash the request of this page load carries. Only the server
/// render has one; a later call from the browser has none.
pub fn with_current<R>(read: impl FnOnce(&Flash) -> Option<R>) -> Option<R> {
    #[cfg(feature = "ssr")]
    {
        let parts = leptos::prelude::use_context::<http::request::Parts>()?;
        read(parts.extensions.get::<Flash>()?)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = read;
        None
    }
}

/// What was typed into `field` of the form sent to `action` (a server function's
/// `PATH`) and refused just before this page load. Only the server render has it;
/// the browser renders the same input without it, which hydration accepts for a
/// plain attribute.
pub fn typed_value(action: &str, field: &str) -> Option<String> {
    typed_values(action, field)?.into_iter().next()
}

/// Every value typed into a field sent several times (checkboxes named
/// `scopes[]`) of a refused form, or `None` when that form was not refused just
/// before this page load.
pub fn typed_values(action: &str, field: &str) -> Option<Vec<String>> {
    with_current(|flash| {
        let form = flash.form.as_ref()?;
        (form.action == action).then(|| {
            form.values
                .iter()
                .filter(|(k, _)| k == field)
                .map(|(_, v)| v.clone())
                .collect()
        })
    })
}

/// The notices a form sent without JavaScript left for this page load.
pub fn notices() -> Vec<String> {
    with_current(|flash| Some(flash.notices.clone())).unwrap_or_default()
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};
    use http::{Method, StatusCode, header};
    use tower_sessions::Session;

    use super::{Flash, FormValues};

    const FLASH_KEY: &str = "flash";
    /// The router's body limit applies before this; forms larger than
    /// `KEEP_LIMIT` still go through, but what was typed is not kept.
    const FORM_LIMIT: usize = 1024 * 1024;
    const KEEP_LIMIT: usize = 64 * 1024;

    /// Fields whose values are never written to the session.
    fn is_secret_field(name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        ["password", "secret", "token"]
            .iter()
            .any(|part| name.contains(part))
    }

    fn accepts_html(request: &Request) -> bool {
        request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// Without JavaScript the answer is a redirect: what to tell the person
    /// travels to the next page load in the flash.
    pub async fn tell(notices: &[String]) -> Result<(), crate::errors::AppError> {
        if crate::functions::request::is_plain_form_post() {
            let kept = notices.to_vec();
            put(&crate::functions::context::session().await?, move |f| {
                f.notices = kept
            })
            .await?;
        }
        Ok(())
    }

    /// Adds to the session's flash (read by the next page load).
    pub async fn put(
        session: &Session,
        update: impl FnOnce(&mut Flash),
    ) -> Result<(), tower_sessions::session::Error> {
        let mut flash = session.get::<Flash>(FLASH_KEY).await?.unwrap_or_default();
        update(&mut flash);
        session.insert(FLASH_KEY, flash).await
    }

    /// Middleware: keeps the fields of a plain form post that the server function
    /// refused, and hands the flash to the next page load (as a request extension).
    pub async fn form_flash(session: Session, request: Request, next: Next) -> Response {
        let plain_form_post = request.method() == Method::POST
            && request.uri().path().starts_with("/api/")
            && accepts_html(&request);
        if plain_form_post {
            return keep_refused_form(session, request, next).await;
        }
        let mut request = request;
        if request.method() == Method::GET && accepts_html(&request) {
            match session.remove::<Flash>(FLASH_KEY).await {
                Ok(Some(flash)) => {
                    request.extensions_mut().insert(flash);
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "could not read the flash"),
            }
        }
        next.run(request).await
    }

    async fn keep_refused_form(session: Session, request: Request, next: Next) -> Response {
        let action = request.uri().path().to_owned();
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "This form is larger than pinbridge accepts (1 MiB).",
            )
                .into_response();
        };
        let values: Vec<(String, String)> = if bytes.len() <= KEEP_LIMIT {
            url::form_urlencoded::parse(&bytes)
                .filter(|(k, _)| !is_secret_field(k))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        let refused = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|location| location.contains("__err="));
        if refused {
            let kept = put(&session, |flash| {
                flash.form = Some(FormValues { action, values });
            })
            .await;
            if let Err(err) = kept {
                tracing::warn!(error = %err, "could not keep the refused form's values");
            }
        }
        response
    }

    #[cfg(test)]
    mod tests {
        use super::is_secret_field;

        #[test]
        fn secret_fields_are_recognised() {
            assert!(is_secret_field("password"));
            assert!(is_secret_field("new_password"));
            assert!(is_secret_field("client_secret"));
            assert!(is_secret_field("token"));
            assert!(!is_secret_field("email"));
            assert!(!is_secret_field("workspace_name"));
        }
    }
}
