use crate::components::head::PageHead;
use crate::components::layout::{Main, viewer};
use crate::pages::public::not_found::Forbidden;
use leptos::prelude::*;

/// `/admin`: where administrators start. Anyone else gets the 403 page
/// (the server has already sent signed-out people to sign in).
#[component]
pub fn AdminHome() -> impl IntoView {
    let Some(me) = viewer().filter(|v| v.is_admin()) else {
        return view! { <Forbidden /> }.into_any();
    };
    view! {
        <PageHead title="Administration" description="Run organisations, codes, members and content." />
        <Main>
            <h1>"Administration"</h1>
            <p class="nhsuk-lede-text">{format!("Signed in as {}", me.full_name)}</p>
            <ul class="nhsuk-list">
                <li><a href=crate::pages::admin::messages::INBOX>"Inbox"</a></li>
                <li><a href="/admin/organisations">"Organisations and authorisation codes"</a></li>
                <li><a href=crate::pages::admin::library::ADMIN_LIBRARY>"Library"</a></li>
                <li><a href=crate::pages::admin::services::ADMIN_SERVICES>"Services and their public pages"</a></li>
                <li><a href=crate::pages::admin::audit::AUDIT>"Audit trail"</a></li>
                <li><a href="/portal">"Member portal"</a></li>
                <li><a href="/account">"Your account"</a></li>
            </ul>
        </Main>
    }
    .into_any()
}
