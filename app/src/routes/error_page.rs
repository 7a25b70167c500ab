use leptos::prelude::*;
use leptos_meta::Title;

/// Shown when a page fails to load. Errors carry only safe, user-facing text.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, err)| view! { <li>{err.to_string()}</li> })
            .collect_view()
    };
    view! {
        <Title text="Something went wrong · pinbridge"/>
        <section class="page page-message" role="alert">
            <p class="eyebrow">"Error"</p>
            <h1>"Something went wrong"</h1>
            <p>"This page could not be shown. Reload to try again; if it keeps happening, check the server log."</p>
            <ul class="error-list">{messages}</ul>
            <p><a class="button" href="/">"Go to the home page"</a></p>
        </section>
    }
}
