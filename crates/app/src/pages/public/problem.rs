use crate::components::head::PageHead;
use crate::components::layout::Main;
use crate::error::AppError;
use crate::pages::public::not_found::NotFound;
use leptos::prelude::*;

/// Renders a failed load: a 404 for things that do not exist, otherwise a
/// "sorry, there is a problem" page with the error's status. Never shows
/// causes.
#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    if error == AppError::NotFound {
        return view! { <NotFound /> }.into_any();
    }
    #[cfg(feature = "ssr")]
    crate::state::set_status(
        http::StatusCode::from_u16(error.status_code())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    view! {
        <PageHead title="Sorry, there is a problem with the service" description="The service could not show this page." />
        <Main>
            <h1>"Sorry, there is a problem with the service"</h1>
            <p>"Try again later."</p>
            <p>{error.to_string()}</p>
            <p>
                "If the problem continues, "<a href="/contact">"contact us"</a>"."
            </p>
        </Main>
    }
    .into_any()
}
