//! The browser entry point: hydrates the page the server rendered.
#![forbid(unsafe_code)]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::restore_page_address();
    // Lazy routes: the page's chunk is fetched before it is hydrated.
    leptos::mount::hydrate_lazy(app::App);
}
