use crate::api::library::{WHATS_NEW_DAYS, whats_new};
use crate::components::head::PageHead;
use crate::components::layout::{Main, viewer};
use crate::pages::auth::account::SignInFirst;
use crate::pages::portal::library::{LIBRARY, ResourceCards, SAVED};
use crate::pages::public::problem::Problem;
use leptos::prelude::*;

/// `/portal`: the member's home: search the library, what is new, and
/// where everything else is. The server only shows it to members signed
/// in with an active organisation (and to administrators).
#[component]
pub fn PortalHome() -> impl IntoView {
    let Some(me) = viewer() else {
        return view! { <SignInFirst /> }.into_any();
    };
    let recent = Resource::new(|| (), |_| whats_new());
    view! {
        <PageHead title="Member portal" description="Policies, procedures, toolkits and guidance for your organisation." />
        <Main>
            <h1>{format!("Welcome, {}", me.full_name)}</h1>
            {me.organisation.clone().map(|org| view! { <p class="nhsuk-lede-text">{org}</p> })}
            <form method="get" action=LIBRARY class="pp-search" role="search">
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label nhsuk-label--m" for="q">"Search policies, procedures and guidance"</label>
                    <input class="nhsuk-input nhsuk-input--width-30" id="q" name="q" type="search" />
                </div>
                <button class="nhsuk-button" type="submit">"Search"</button>
            </form>
            <ul class="nhsuk-list">
                <li><a href=LIBRARY>"Browse the library"</a></li>
                <li><a href=SAVED>"Your saved resources"</a></li>
                <li><a href=crate::pages::portal::messages::MY_MESSAGES>"Your messages to the team"</a></li>
                <li><a href="/account">"Your account"</a></li>
                <li><a href=domain::mydata::MY_DATA>"Your data: everything we hold about you"</a></li>
            </ul>
            <h2>"What's new"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match recent.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p>{format!("Nothing has been added or updated in the last {WHATS_NEW_DAYS} days.")}</p>
                        }
                        .into_any(),
                        Ok(rows) => view! { <ResourceCards rows /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}
