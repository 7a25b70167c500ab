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

/// The stylesheet link and the bootstrap that hydrates the page's islands.
///
/// The portal is server-rendered HTML that works without JavaScript; only its
/// islands (`#[island]`: the copy buttons) need wasm. The bootstrap loads the
/// script and the wasm only on a page that has an island, then calls each
/// island's exported hydration function on its `<leptos-island>` element (what
/// Leptos' own islands script does, but in one nonce'd module script: the
/// Content-Security-Policy allows no other inline script). A page with no
/// island loads no script beyond these few lines.
#[component]
pub fn Hydration() -> impl IntoView {
    let AssetUrls { js, wasm, css } = AssetUrls::current();
    let nonce = leptos::nonce::use_nonce();
    view! {
        <link rel="stylesheet" href=css/>
        <script type="module" nonce=nonce>{bootstrap(&js, &wasm)}</script>
    }
}

/// The module script: a module runs once the document is parsed, so every
/// island is in the DOM when it looks.
fn bootstrap(js: &str, wasm: &str) -> String {
    // The names are our own (letters, digits, `.`, `-`, `_`, `/`), so the
    // debug form of each is a valid JavaScript string literal.
    format!(
        "const islands = document.querySelectorAll(\"leptos-island\");\
         if (islands.length) import({js:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => {{\
         m.hydrate();\
         for (const el of islands) {{ const f = m[el.dataset.component]; \
         if (f) f(el); else console.warn(\"no wasm for the island\", el.dataset.component); }}\
         }}));"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_loads_the_given_files_only_when_a_page_has_islands() {
        let script = bootstrap("/pkg/pinbridge.abc.js", "/pkg/pinbridge.abc.wasm");
        assert!(script.starts_with(
            "const islands = document.querySelectorAll(\"leptos-island\");if (islands.length) import(\"/pkg/pinbridge.abc.js\")"
        ));
        assert!(script.contains("m.default({module_or_path: \"/pkg/pinbridge.abc.wasm\"})"));
        assert!(script.contains("m[el.dataset.component]"));
    }
}
