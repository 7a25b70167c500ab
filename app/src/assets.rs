//! The portal's script, WebAssembly and stylesheet as the page's `<head>` names
//! them, and the bootstrap that hydrates the page.
//!
//! A release build names each file after a hash of its content
//! (`pinbridge.<hash>.wasm`, cargo-leptos' `hash-files`), so the server can let
//! browsers keep it for a year without asking again; the server finds the names
//! when it starts (`server::assets`) and hands them to each render as context.
//! Without that context (a development build, a test without a site) the plain
//! names are used.

use leptos::prelude::*;

/// Where the browser loads the portal's files from: paths under the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetUrls {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl AssetUrls {
    /// The names cargo-leptos gives the files when it does not hash them.
    pub fn unhashed() -> Self {
        Self {
            js: "/pkg/pinbridge.js".into(),
            wasm: "/pkg/pinbridge.wasm".into(),
            css: "/pkg/pinbridge.css".into(),
        }
    }

    /// The ones this render was given, or the plain names.
    pub fn current() -> Self {
        use_context::<Self>().unwrap_or_else(Self::unhashed)
    }
}

/// Marks the answer being rendered as one that must not be compressed: it
/// shows a secret (a new API key, a signing secret, a one-time link, a TOTP key,
/// recovery codes). Compressing a page that holds a secret beside text an
/// attacker can choose lets someone who can both make the browser load it many
/// times and watch the sizes on the wire guess the secret (BREACH); such pages
/// are sent as they are. The server's compression layer reads this header and
/// removes it.
pub fn shows_a_secret() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::HeaderName::from_static(NO_COMPRESSION_HEADER),
            http::HeaderValue::from_static("secret"),
        );
    }
}

/// The internal header [`shows_a_secret`] sets; never leaves the server.
pub const NO_COMPRESSION_HEADER: &str = "x-pinbridge-no-compression";

/// The stylesheet link, the preload hints and the module script that loads
/// the WebAssembly and hydrates the page. The script carries the answer's
/// nonce (the Content-Security-Policy allows no other inline script).
#[component]
pub fn Hydration() -> impl IntoView {
    let AssetUrls { js, wasm, css } = AssetUrls::current();
    let nonce = leptos::nonce::use_nonce();
    // The names are our own (letters, digits, `.`, `-`, `_`, `/`), so the
    // debug form of each is a valid JavaScript string literal.
    let script = format!(
        "import({js:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => m.hydrate()));"
    );
    view! {
        <link rel="stylesheet" href=css/>
        <link rel="modulepreload" href=js.clone()/>
        <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=nonce>{script}</script>
    }
}
