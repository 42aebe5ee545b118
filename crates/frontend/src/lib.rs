//! The browser entry point: hydrates the page the server rendered.
#![forbid(unsafe_code)]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::restore_page_address();
    leptos::mount::hydrate_body(app::App);
}
