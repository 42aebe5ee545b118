use leptos::prelude::*;

/// A one-time secret (an authorisation code) in large type, with a button
/// that copies it once the page is interactive.
#[component]
pub fn OneTimeCode(#[prop(into)] code: String, #[prop(into)] label: String) -> impl IntoView {
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    let copied = RwSignal::new(false);
    let text = code.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&text);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <div class="nhsuk-panel pp-code-panel">
            <h2 class="nhsuk-panel__title">{label}</h2>
            <p class="pp-code" data-testid="authorisation-code">{code}</p>
            <p>"Give it to the organisation's practice manager now: it will not be shown again."</p>
            <Show when=move || interactive.get()>
                <button type="button" class="nhsuk-button nhsuk-button--reverse" on:click=copy.clone()>
                    {move || if copied.get() { "Copied" } else { "Copy the code" }}
                </button>
            </Show>
        </div>
    }
}
