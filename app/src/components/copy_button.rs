//! A button that copies a value to the clipboard. It needs JavaScript, so it
//! stays hidden until its island has hydrated; the value itself is always shown.
//!
//! An island: the only part of a page that ships to the browser as wasm. Its
//! props travel in the page as JSON (`data-props`); every value a copy button
//! holds is also shown as text beside it, so the page holds nothing more.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Copied {
    Not,
    Yes,
    Failed,
}

#[island]
pub fn CopyButton(
    /// The text to copy.
    #[prop(into)]
    text: String,
    /// What the button copies, for screen readers ("Copy redirect URI").
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let copied = RwSignal::new(Copied::Not);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let on_click = move |_| copy_to_clipboard(text.clone(), copied);

    view! {
        <button
            type="button"
            class="copy-button"
            aria-label=label
            hidden=move || !hydrated.get()
            on:click=on_click
        >
            {move || match copied.get() {
                Copied::Not => "Copy",
                Copied::Yes => "Copied",
                Copied::Failed => "Copy failed: select the text and copy it",
            }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: String, copied: RwSignal<Copied>) {
    leptos::task::spawn_local(async move {
        let promise = window().navigator().clipboard().write_text(&text);
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        copied.set(if ok { Copied::Yes } else { Copied::Failed });
    });
}

// Clicks only happen in the browser.
#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_text: String, _copied: RwSignal<Copied>) {}
