use app::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `robots.txt`: the public site may be indexed; the form endpoints and
/// the page after sending an enquiry are not worth a crawler's visit. The
/// signed-in areas (portal, console, account) are not listed: they are
/// kept private by signing in, which sends a crawler to the sign-in page,
/// and listing them would only advertise their addresses.
pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /contact/thanks\n\nSitemap: {}\n",
        state.site.canonical("/sitemap.xml")
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `sitemap.xml`: every public page, from the database.
pub async fn sitemap(State(state): State<AppState>) -> Response {
    let services = backend::content::list_services(&state.db).await;
    let pages = backend::content::page_index(&state.db).await;
    let (Ok(services), Ok(pages)) = (services, pages) else {
        tracing::error!("sitemap: could not read content");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut urls = vec![
        "/".to_owned(),
        "/services".to_owned(),
        "/contact".to_owned(),
    ];
    urls.extend(services.iter().map(|s| format!("/services/{}", s.slug)));
    urls.extend(pages.iter().map(|(slug, _)| format!("/page/{slug}")));
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in urls {
        // Slugs are checked to be [a-z0-9-], so nothing here needs escaping
        // beyond the configured origin.
        xml.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            escape(&state.site.canonical(&path))
        ));
    }
    xml.push_str("</urlset>\n");
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
