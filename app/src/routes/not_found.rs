use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path no route matches, with HTTP status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found · pinbridge"/>
        <section class="page page-message">
            <p class="eyebrow">"404"</p>
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p><a class="button" href="/" rel="external">"Go to the home page"</a></p>
        </section>
    }
}
