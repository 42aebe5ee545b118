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
