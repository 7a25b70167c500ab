//! The flash: what one request leaves for the next page load of the same
//! session, for forms sent without JavaScript.
//!
//! A plain HTML form post is answered with a redirect (the error rides along in
//! the URL as `__err`, which Leptos shows). Two things cannot ride along: what
//! the person typed, so the form can be filled in again, and output that must
//! be shown once, such as a new invitation link. Both go into the session here
//! and are taken out by the next page load, which reads them from the request.
//!
//! What was typed is kept only for the fields each form declares
//! (`kept_fields.rs`), at most `KEEP_LIMIT` bytes, in a cookie that lives a
//! minute: never in the session store, so a refused post from a visitor
//! without a session creates no session. Password, secret and token fields are
//! never kept.

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
    /// A just-made API key (shown once), its text sealed.
    #[serde(default)]
    pub api_key: Option<KeptApiKey>,
    /// A just-made webhook signing secret (shown once), sealed.
    #[serde(default)]
    pub webhook_secret: Option<KeptWebhookSecret>,
}

/// A just-made API key waiting for the page load after a plain post. The
/// session store is a database table: the key's text waits there sealed with
/// the server's key ring (`functions::api_keys`), never in the clear, and
/// `issued.key` is empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptApiKey {
    pub issued: crate::models::IssuedApiKey,
    pub sealed: String,
}

/// A just-made webhook signing secret waiting for the page load after a plain
/// post: sealed like [`KeptApiKey`] (`functions::webhooks`), `issued.secret` empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptWebhookSecret {
    pub issued: crate::models::IssuedSecret,
    pub sealed: String,
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
    use axum::extract::{Request, State};
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};
    use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
    use tower_sessions::Session;

    use super::{Flash, FormValues};

    const FLASH_KEY: &str = "flash";
    /// The router's body limit applies before this.
    const FORM_LIMIT: usize = 1024 * 1024;

    /// For each form (by its server function's path), the fields that come
    /// back after a refused plain post.
    pub type KeptFields = &'static [(&'static str, &'static [&'static str])];

    /// Most bytes the kept fields take (encoded, with the form's path): fields
    /// beyond it are left out. Browsers keep cookies of up to 4 KiB.
    pub const KEEP_LIMIT: usize = 3 * 1024;
    /// The form's path, inside the cookie.
    const ACTION_KEY: &str = "_action";
    /// A refused form's fields wait this long for the page load that shows them.
    const KEEP_SECONDS: u32 = 60;

    fn kept_fields(table: KeptFields, action: &str) -> &'static [&'static str] {
        table
            .iter()
            .find(|(path, _)| *path == action)
            .map_or(&[], |(_, fields)| fields)
    }

    /// Fields whose values are never kept, even if a form declared them.
    pub fn is_secret_field(name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        ["password", "secret", "token"]
            .iter()
            .any(|part| name.contains(part))
    }

    fn is_kept(table: KeptFields, action: &str, field: &str) -> bool {
        kept_fields(table, action).contains(&field) && !is_secret_field(field)
    }

    /// The declared fields of a form sent to `action`, encoded for the cookie,
    /// as many as fit in [`KEEP_LIMIT`]. `None` when there is nothing to keep.
    fn encode_kept(table: KeptFields, action: &str, body: &[u8]) -> Option<String> {
        let mut out = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(ACTION_KEY, action)
            .finish();
        let mut any = false;
        for (name, value) in url::form_urlencoded::parse(body) {
            if !is_kept(table, action, &name) {
                continue;
            }
            let pair = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&name, &value)
                .finish();
            if out.len() + 1 + pair.len() <= KEEP_LIMIT {
                out.push('&');
                out.push_str(&pair);
                any = true;
            }
        }
        any.then_some(out)
    }

    /// The form values a cookie holds, if it is one this server could have
    /// written: within the limit, for a known form, only its declared fields.
    fn decode_kept(table: KeptFields, cookie: &str) -> Option<FormValues> {
        if cookie.len() > KEEP_LIMIT {
            return None;
        }
        let mut pairs = url::form_urlencoded::parse(cookie.as_bytes());
        let (key, action) = pairs.next()?;
        if key != ACTION_KEY || kept_fields(table, &action).is_empty() {
            return None;
        }
        let values = pairs
            .filter(|(name, _)| is_kept(table, &action, name))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Some(FormValues {
            action: action.into_owned(),
            values,
        })
    }

    /// Where a refused form's fields wait for the next page load: a short-lived
    /// cookie in the person's own browser, not the session store, so a refused
    /// post from a visitor without a session writes nothing on the server.
    #[derive(Clone, Copy, Debug)]
    pub struct FlashCookie {
        secure: bool,
        kept: KeptFields,
    }

    impl FlashCookie {
        /// `secure`: the cookie is sent over https only (and is then a
        /// `__Host-` cookie, which no other host can set for pinbridge's).
        /// `kept`: the fields each form keeps (`crate::functions::kept_fields`).
        pub fn new(secure: bool, kept: KeptFields) -> Self {
            Self { secure, kept }
        }

        fn name(self) -> &'static str {
            if self.secure {
                "__Host-pinbridge_form"
            } else {
                "pinbridge_form"
            }
        }

        fn set(self, value: &str, max_age: u32) -> Option<HeaderValue> {
            let secure = if self.secure { "; Secure" } else { "" };
            HeaderValue::from_str(&format!(
                "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
                self.name()
            ))
            .ok()
        }

        fn read(self, headers: &HeaderMap) -> Option<String> {
            crate::functions::request::cookie_value(headers, self.name())
        }
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

    /// The session key holding when (Unix seconds) a page load last pushed
    /// the session's inactivity expiry on.
    const RENEWED_KEY: &str = "renewed_at";

    /// How often page loads write a session to push its inactivity expiry on:
    /// a session ends after between `SESSION_IDLE` less this and
    /// `SESSION_IDLE` without a request, and a page load is a read, not a
    /// write to the sessions table, the rest of the time.
    const RENEW_EVERY_SECS: i64 = 3600;

    /// Pushes a signed-in (non-empty) session's inactivity expiry on, at most
    /// once per [`RENEW_EVERY_SECS`]: the session layer writes a session that
    /// changed, and writing it sets its expiry from now.
    async fn renew_inactivity_expiry(session: &Session) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let due = match session.get::<i64>(RENEWED_KEY).await {
            Ok(Some(at)) => !(0..RENEW_EVERY_SECS).contains(&(now - at)),
            Ok(None) => !session.is_empty().await,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the session's renewal time");
                false
            }
        };
        if due && let Err(err) = session.insert(RENEWED_KEY, now).await {
            tracing::warn!(error = %err, "could not renew the session");
        }
    }

    /// Middleware: keeps the declared fields of a plain form post that the
    /// server function refused, and hands the flash to the next page load (as a
    /// request extension).
    pub async fn form_flash(
        State(cookie): State<FlashCookie>,
        session: Session,
        request: Request,
        next: Next,
    ) -> Response {
        let plain_form_post = request.method() == Method::POST
            && request.uri().path().starts_with("/api/")
            && accepts_html(&request);
        if plain_form_post {
            return keep_refused_form(cookie, request, next).await;
        }
        if request.method() != Method::GET || !accepts_html(&request) {
            return next.run(request).await;
        }
        let mut request = request;
        // Taken out only when there is one: removing marks the session
        // changed, and a changed session is written to the database.
        let mut flash = match session.get::<Flash>(FLASH_KEY).await {
            Ok(Some(flash)) => match session.remove_value(FLASH_KEY).await {
                Ok(_) => Some(flash),
                Err(err) => {
                    tracing::warn!(error = %err, "could not take the flash out");
                    None
                }
            },
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the flash");
                None
            }
        };
        renew_inactivity_expiry(&session).await;
        let typed = cookie.read(request.headers());
        if let Some(form) = typed.as_deref().and_then(|c| decode_kept(cookie.kept, c)) {
            flash.get_or_insert_with(Flash::default).form = Some(form);
        }
        if let Some(flash) = flash {
            request.extensions_mut().insert(flash);
        }
        let mut response = next.run(request).await;
        if typed.is_some()
            && let Some(clear) = cookie.set("", 0)
        {
            response.headers_mut().append(header::SET_COOKIE, clear);
        }
        response
    }

    async fn keep_refused_form(cookie: FlashCookie, request: Request, next: Next) -> Response {
        let action = request.uri().path().to_owned();
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "This form is larger than pinbridge accepts (1 MiB).",
            )
                .into_response();
        };
        let kept = encode_kept(cookie.kept, &action, &bytes);
        let mut response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        let refused = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|location| location.contains("__err="));
        if refused && let Some(value) = kept.and_then(|kept| cookie.set(&kept, KEEP_SECONDS)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const SIGN_IN: &str = "/api/auth/sign-in";
        const SETUP: &str = "/api/auth/setup";
        const TABLE: KeptFields = &[(SIGN_IN, &["email"]), (SETUP, &["workspace_name", "email"])];

        #[test]
        fn secret_fields_are_recognised() {
            assert!(is_secret_field("password"));
            assert!(is_secret_field("new_password"));
            assert!(is_secret_field("client_secret"));
            assert!(is_secret_field("token"));
            assert!(!is_secret_field("email"));
            assert!(!is_secret_field("workspace_name"));
        }

        #[test]
        fn only_declared_fields_are_kept_within_the_limit() {
            let body = b"email=a%40b.example&password=hunter2hunter2&next=%2Fx&junk=1";
            let kept = encode_kept(TABLE, SIGN_IN, body).unwrap();
            let form = decode_kept(TABLE, &kept).unwrap();
            assert_eq!(form.action, SIGN_IN);
            assert_eq!(form.values, vec![("email".into(), "a@b.example".into())]);
            assert!(!kept.contains("hunter2"));

            // An undeclared form keeps nothing.
            assert_eq!(encode_kept(TABLE, "/api/auth/sign-out", b"email=x"), None);
            // A value too long for the cookie is left out; the rest stays.
            let long = format!("workspace_name={}&email=o%40x.example", "w".repeat(4000));
            let kept = encode_kept(TABLE, SETUP, long.as_bytes()).unwrap();
            assert!(kept.len() <= KEEP_LIMIT);
            let form = decode_kept(TABLE, &kept).unwrap();
            assert_eq!(form.values, vec![("email".into(), "o@x.example".into())]);
        }

        #[test]
        fn forged_cookies_are_ignored_or_filtered() {
            assert_eq!(decode_kept(TABLE, ""), None);
            assert_eq!(decode_kept(TABLE, "garbage"), None);
            assert_eq!(
                decode_kept(TABLE, "_action=%2Fapi%2Fauth%2Fsign-out&email=x"),
                None
            );
            assert_eq!(
                decode_kept(
                    TABLE,
                    &format!(
                        "_action=%2Fapi%2Fauth%2Fsign-in&email={}",
                        "x".repeat(KEEP_LIMIT)
                    )
                ),
                None
            );
            let form =
                decode_kept(TABLE, "_action=%2Fapi%2Fauth%2Fsign-in&password=p&email=e").unwrap();
            assert_eq!(form.values, vec![("email".into(), "e".into())]);
        }
    }
}
