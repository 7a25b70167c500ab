//! The portal frame: header (product, environment switcher, operator), navigation, main.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::models::Theme;

/// The current theme, shared by the frame and the preferences page.
#[derive(Clone, Copy)]
pub struct ThemeSignal(pub RwSignal<Theme>);

/// The theme the page was rendered with: read from the request on the server
/// (`load_preferences` put it there) and from the rendered markup in the browser,
/// so both sides agree when hydrating.
fn initial_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Theme>().copied())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .get_element_by_id("app")
            .and_then(|el| el.get_attribute("data-theme"))
            .and_then(|raw| Theme::parse(&raw))
            .unwrap_or_default()
    }
}

/// The document frame every page shares: theme, skip link and footer. The
/// header and navigation belong to the page's frame ([`PublicFrame`] or the
/// workspace frame), since only a workspace page has environments to switch.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let theme = RwSignal::new(initial_theme());
    provide_context(ThemeSignal(theme));

    view! {
        <div id="app" class="app" data-theme=move || theme.get().as_str()>
            // The first stop of the Tab key. `rel="external"`: the browser
            // follows it, moving focus into `<main tabindex="-1">` (the
            // router would only scroll there, leaving focus behind).
            <a class="skip-link" href="#main" rel="external">"Skip to content"</a>
            {children()}
            <footer class="footer">
                "pinbridge " {env!("CARGO_PKG_VERSION")}
                " · "<a href="/healthz">"health"</a>
                " · "<a href="/readyz">"readiness"</a>
            </footer>
        </div>
    }
}

/// The product's mark, linking home.
#[component]
pub fn Brand() -> impl IntoView {
    view! {
        // A full page load: `/` is resolved by the server (to the first workspace).
        <a class="brand" href="/" rel="external">
            <span class="brand-mark" aria-hidden="true">"pb"</span>
            <span class="brand-name">"pinbridge"</span>
        </a>
    }
}

/// The frame of pages outside a workspace: signing in, setup, invitations,
/// preferences, and pages that do not exist.
#[component]
pub fn PublicFrame(children: Children) -> impl IntoView {
    view! {
        <header class="topbar">
            <Brand/>
            <div class="topbar-spacer"></div>
            <nav class="operator-slot" aria-label="Account">
                <A href="/preferences" attr:class="operator-link">"Preferences"</A>
            </nav>
        </header>
        <main id="main" class="main main-public" tabindex="-1">{children()}</main>
    }
}
