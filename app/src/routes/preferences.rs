//! Portal preferences for this browser session. The form works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{PublicFrame, ThemeSignal};
use crate::functions::preferences::SetTheme;
use crate::models::Theme;

#[component]
pub fn PreferencesPage() -> impl IntoView {
    let ThemeSignal(theme) = expect_context::<ThemeSignal>();
    let save = ServerAction::<SetTheme>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            theme.set(saved);
        }
    });
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    let saved = move || {
        matches!(save.value().get(), Some(Ok(_)))
            .then(|| view! { <p class="notice" role="status">"Saved."</p> })
    };

    view! {
        <Title text="Preferences · pinbridge"/>
        <PublicFrame>
        <section class="page page-narrow">
            <h1>"Preferences"</h1>
            <p class="lead">"These apply to this browser session."</p>
            <ActionForm action=save attr:class="form">
                <fieldset>
                    <legend>"Theme"</legend>
                    {Theme::ALL
                        .into_iter()
                        .map(|t| {
                            view! {
                                <label class="choice">
                                    <input
                                        type="radio"
                                        name="theme"
                                        value=t.as_str()
                                        prop:checked=move || theme.get() == t
                                        checked=theme.get_untracked() == t
                                    />
                                    {t.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class="button">"Save preferences"</button>
                {error}
                {saved}
            </ActionForm>
        </section>
        </PublicFrame>
    }
}
