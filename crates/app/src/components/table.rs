use crate::components::pager::Pager;
use domain::paging::Paged;
use leptos::either::Either;
use leptos::prelude::*;

/// A column's heading. A numeric column's heading aligns right, over
/// cells marked `nhsuk-table__cell--numeric`.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    title: &'static str,
    numeric: bool,
}

impl Column {
    pub const fn text(title: &'static str) -> Self {
        Self {
            title,
            numeric: false,
        }
    }

    pub const fn numeric(title: &'static str) -> Self {
        Self {
            title,
            numeric: true,
        }
    }
}

/// A table: its caption (for screen readers only when `hide_caption`),
/// the column headings, and `children`, its rows.
#[component]
pub fn Table(
    #[prop(into)] caption: String,
    #[prop(optional)] hide_caption: bool,
    columns: &'static [Column],
    #[prop(optional)] testid: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let caption_class = if hide_caption {
        "nhsuk-table__caption nhsuk-u-visually-hidden"
    } else {
        "nhsuk-table__caption"
    };
    view! {
        <table class="nhsuk-table" data-testid=testid>
            <caption class=caption_class>{caption}</caption>
            <thead class="nhsuk-table__head">
                <tr>
                    {columns
                        .iter()
                        .map(|c| if c.numeric {
                            Either::Left(view! {
                                <th scope="col" class="nhsuk-table__header--numeric">{c.title}</th>
                            })
                        } else {
                            Either::Right(view! { <th scope="col">{c.title}</th> })
                        })
                        .collect_view()}
                </tr>
            </thead>
            <tbody class="nhsuk-table__body">{children()}</tbody>
        </table>
    }
}

/// One page of a long list: its rows as a table under `caption`, each
/// drawn by `row`, then links to the pages either side, each made by
/// `link` from a page number.
#[component]
pub fn PagedTable<T, R, V, L>(
    found: Paged<T>,
    #[prop(into)] caption: String,
    columns: &'static [Column],
    row: R,
    link: L,
) -> impl IntoView
where
    T: Send + 'static,
    R: Fn(T) -> V + Send + 'static,
    V: IntoView + 'static,
    L: Fn(i64) -> String + 'static,
{
    let Paged {
        rows, page, pages, ..
    } = found;
    view! {
        <Table caption columns>{rows.into_iter().map(row).collect_view()}</Table>
        <Pager page pages link />
    }
}

/// `path` with `query` as its query string: a list's address with its
/// filters, for [`PagedTable`]'s links.
pub fn with_query(path: &str, query: &impl serde::Serialize) -> String {
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(query).unwrap_or_default()
    )
}
