//! The wasm entry point. The portal renders on the server; the browser only
//! hydrates its islands (`#[island]` components in `app`), which the page's
//! bootstrap (`app::assets::Hydration`) finds and calls by name.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Links the islands' exported hydration functions into this module.
    #[allow(unused_imports)]
    use app::components::*;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
