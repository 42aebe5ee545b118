use crate::components::head::PageHead;
use crate::components::layout::Main;
use leptos::prelude::*;

/// The 404 page: says plainly what happened and offers the way on.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::state::set_status(http::StatusCode::NOT_FOUND);
    view! {
        <PageHead title="Page not found" description="The page you were looking for could not be found." />
        <Main>
            <h1>"Page not found"</h1>
            <p>"If you typed the web address, check it is correct."</p>
            <p>"If you pasted the web address, check you copied the entire address."</p>
            <p>
                "You can browse "<a href="/services">"our services"</a>", go to the "
                <a href="/">"home page"</a>" or "<a href="/contact">"contact us"</a>
                " if you need help."
            </p>
        </Main>
    }
}

/// The 403 page: signed in, but this area is not for this account.
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::state::set_status(http::StatusCode::FORBIDDEN);
    view! {
        <PageHead title="You cannot see this page" description="This page is for administrators." />
        <Main>
            <h1>"You cannot see this page"</h1>
            <p>"This part of the site is for the service team's administrators."</p>
            <p>"Go to the "<a href="/portal">"member portal"</a>" instead."</p>
        </Main>
    }
}
