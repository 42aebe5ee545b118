//! The browser entry point: hydrates the page the server rendered.
#![forbid(unsafe_code)]

use leptos::{prelude::document, tachys::dom::body};
use wasm_bindgen_futures::spawn_local;

/// Set on `<html>` once the whole page is live, the routed page included.
/// Browser tests wait for it before typing.
const HYDRATED: &str = "data-hydrated";

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::restore_page_address();
    // Every page is a lazy route: its chunk is fetched before it is
    // hydrated, so the page is live only when the whole tree has been.
    spawn_local(async {
        // On the heap: the whole app's hydration is a large future.
        Box::pin(leptos::mount::hydrate_from_async(body(), app::App))
            .await
            .forget();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute(HYDRATED, "true");
        }
    });
}
