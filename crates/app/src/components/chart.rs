use leptos::prelude::*;

/// The drawing's size in SVG units; it scales to the page's width.
const WIDTH: i64 = 600;
const HEIGHT: i64 = 180;
/// Room on the left for the scale, and below for the first and last labels.
const LEFT: i64 = 40;
const BOTTOM: i64 = 24;

/// A bar chart drawn on the server as SVG (readable without JavaScript),
/// followed by its figures as a table, its text alternative.
#[component]
pub fn BarChart(
    /// What the chart shows: its heading and accessible name.
    title: &'static str,
    /// The table's headings: what a label is, and what a value counts.
    columns: (&'static str, &'static str),
    /// One bar per `(label, value)`, in order.
    bars: Vec<(String, i64)>,
) -> impl IntoView {
    let most = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let count = i64::try_from(bars.len()).unwrap_or(1).max(1);
    let slot = (WIDTH - LEFT) / count;
    let plot = HEIGHT - BOTTOM - 10;
    let total: i64 = bars.iter().map(|(_, v)| *v).sum();
    let first = bars.first().map(|(l, _)| l.clone()).unwrap_or_default();
    let last = bars.last().map(|(l, _)| l.clone()).unwrap_or_default();
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, (_, value))| {
            let height = value * plot / most;
            let x = LEFT + i64::try_from(i).unwrap_or(0) * slot + 1;
            view! {
                <rect
                    x=x.to_string()
                    y=(10 + plot - height).to_string()
                    width=(slot - 2).max(1).to_string()
                    height=height.to_string()
                    fill="#005eb8"
                />
            }
        })
        .collect_view();
    let rows = bars
        .into_iter()
        .map(|(label, value)| view! { <tr><td>{label}</td><td>{value}</td></tr> })
        .collect_view();
    view! {
        <figure class="pp-chart">
            <figcaption class="nhsuk-heading-s">{format!("{title}: {total} in all")}</figcaption>
            <svg
                role="img"
                aria-label=format!("{title}, as a bar chart; the figures are in the table below it")
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            >
                <line x1=LEFT.to_string() y1=(10 + plot).to_string() x2=WIDTH.to_string() y2=(10 + plot).to_string() stroke="#4c6272" />
                <text x="0" y="20" font-size="14" fill="#4c6272">{most}</text>
                <text x="0" y=(10 + plot).to_string() font-size="14" fill="#4c6272">"0"</text>
                {rects}
                <text x=LEFT.to_string() y=HEIGHT.to_string() font-size="14" fill="#4c6272">{first}</text>
                <text x=WIDTH.to_string() y=HEIGHT.to_string() font-size="14" fill="#4c6272" text-anchor="end">{last}</text>
            </svg>
            <details class="nhsuk-details">
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">{format!("{title}: the figures")}</span>
                </summary>
                <div class="nhsuk-details__text">
                    <table class="nhsuk-table">
                        <thead class="nhsuk-table__head">
                            <tr><th scope="col">{columns.0}</th><th scope="col">{columns.1}</th></tr>
                        </thead>
                        <tbody class="nhsuk-table__body">{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}
