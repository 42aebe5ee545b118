use crate::components::head::PageHead;
use crate::components::layout::{Main, viewer};
use crate::pages::auth::account::SignInFirst;
use leptos::prelude::*;

/// `/portal`: the member's home. The server only shows it to members
/// signed in with an active organisation.
#[component]
pub fn PortalHome() -> impl IntoView {
    let Some(me) = viewer() else {
        return view! { <SignInFirst /> }.into_any();
    };
    view! {
        <PageHead title="Member portal" description="Policies, procedures, toolkits and guidance for your organisation." />
        <Main>
            <h1>{format!("Welcome, {}", me.full_name)}</h1>
            {me.organisation.clone().map(|org| view! { <p class="nhsuk-lede-text">{org}</p> })}
            <ul class="nhsuk-list">
                <li><a href="/services">"Browse our services"</a></li>
                <li><a href="/contact">"Contact the team"</a></li>
                <li><a href="/account">"Your account"</a></li>
            </ul>
        </Main>
    }
    .into_any()
}
