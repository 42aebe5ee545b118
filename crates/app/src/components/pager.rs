use leptos::prelude::*;

/// Previous and next links, and where this page sits.
#[component]
pub fn Pager(page: i64, pages: i64, link: impl Fn(i64) -> String + 'static) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="nhsuk-pagination" role="navigation" aria-label="Pagination">
                <ul class="nhsuk-list nhsuk-pagination__list">
                    {(page > 1).then(|| view! {
                        <li class="nhsuk-pagination-item--previous">
                            <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href=link(page - 1)>
                                <span class="nhsuk-pagination__title">"Previous"</span>
                            </a>
                        </li>
                    })}
                    <li>{format!("Page {page} of {pages}")}</li>
                    {(page < pages).then(|| view! {
                        <li class="nhsuk-pagination-item--next">
                            <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href=link(page + 1)>
                                <span class="nhsuk-pagination__title">"Next"</span>
                            </a>
                        </li>
                    })}
                </ul>
            </nav>
        }
    })
}
