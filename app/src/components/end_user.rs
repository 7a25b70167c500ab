//! What the end user sees of a workspace's branding: the header with its logo
//! or name, and the footer with its help and privacy links and a small
//! "Secured by pinbridge". The connect and callback pages (`server::connect`)
//! and the portal's preview (`routes::branding`) draw the same components.

use leptos::prelude::*;

use crate::models::LogoView;

/// The rule that paints an accent colour into the end user's palette (the
/// button, links and focus ring) of the elements `selector` picks. `accent`
/// must be a colour the domain accepted (`#rrggbb`), which keeps the rule free
/// of anything but hex digits.
pub fn accent_css(selector: &str, accent: &str) -> String {
    format!("{selector}{{--accent:{accent};--accent-fg:{accent};--link:{accent};--focus:{accent}}}")
}

/// The header: the logo (its text alternative is the name), else the name.
#[component]
pub fn BrandHeader(name: String, logo: Option<LogoView>) -> impl IntoView {
    let mark = match logo {
        // Stored at twice the shown size, for high-density screens.
        Some(logo) => view! {
            <img class="brand-logo" src=logo.url width=logo.width.div_ceil(2)
                height=logo.height.div_ceil(2) alt=name/>
        }
        .into_any(),
        None => {
            let initial: String = name.chars().take(1).flat_map(char::to_uppercase).collect();
            view! {
                <span class="brand-mark" aria-hidden="true">{initial}</span>
                <span class="brand-name">{name}</span>
            }
            .into_any()
        }
    };
    view! {
        <header class="topbar end-user-topbar">
            <span class="brand">{mark}</span>
        </header>
    }
}

/// The footer: the workspace's own links, and who runs the connection.
#[component]
pub fn SecuredBy(support_url: Option<String>, privacy_url: Option<String>) -> impl IntoView {
    let links = (support_url.is_some() || privacy_url.is_some()).then(|| {
        let help = support_url.map(|u| view! { <a href=u rel="noopener noreferrer">"Help"</a> });
        let privacy =
            privacy_url.map(|u| view! { <a href=u rel="noopener noreferrer">"Privacy policy"</a> });
        view! {
            <nav class="end-user-links" aria-label="Help and privacy">
                {help}
                {privacy}
            </nav>
        }
    });
    view! {
        <footer class="end-user-footer">
            {links}
            <p class="secured-by">"Secured by pinbridge"</p>
        </footer>
    }
}
