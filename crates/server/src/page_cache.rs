//! Public pages as a first-time visitor sees them, kept rendered.
//!
//! A visitor who sends no cookie and no query string gets the same page as
//! every other such visitor, but for the script nonce. So the first render
//! of each such page is kept, and later visitors get a copy with a fresh
//! nonce in place of the kept one (the security middleware names the fresh
//! one in the Content-Security-Policy). The copy is kept while the public
//! content's generation stays the same ([`backend::content::generation`]:
//! at most a second behind another instance's change, at once after this
//! one's) and for at most [`MAX_AGE`], so nothing a page shows that the
//! generation does not track can be stale for longer.
//!
//! Only `200` HTML pages rendered here with a nonce and no cookie are kept,
//! each at its address as the site spells it, so an unknown address (a
//! 404) or another spelling of a known one is never kept, and the cache is
//! as large as the public site, whatever addresses people try
//! ([`MAX_PAGES`] caps it all the same). Anyone with a cookie, a session or a query string
//! gets a page rendered for them, as before.

use app::state::NonceSlot;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The longest a kept page is reused.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Most pages kept at once.
pub const MAX_PAGES: usize = 256;

/// Largest page kept.
const MAX_PAGE_BYTES: usize = 1 << 20;

/// The kept pages, shared by every request to one router.
#[derive(Clone, Debug)]
pub struct PageCache {
    db: backend::Db,
    pages: Arc<RwLock<HashMap<String, Arc<Kept>>>>,
}

/// One page as rendered for a first-time visitor.
#[derive(Debug)]
struct Kept {
    generation: u64,
    at: Instant,
    headers: HeaderMap,
    html: String,
    /// The nonce the render used, replaced in each copy.
    nonce: String,
}

impl Kept {
    fn fresh(&self, generation: u64) -> bool {
        self.generation == generation && self.at.elapsed() < MAX_AGE
    }

    /// The page with a new nonce, named in `slot` for the security
    /// headers.
    fn response(&self, slot: &NonceSlot) -> Response {
        let nonce = leptos::nonce::Nonce::new().to_string();
        let html = self.html.replace(&self.nonce, &nonce);
        slot.put(nonce);
        let mut response = Response::new(Body::from(html));
        *response.headers_mut() = self.headers.clone();
        response
    }
}

impl PageCache {
    pub fn new(db: backend::Db) -> Self {
        Self {
            db,
            pages: Arc::default(),
        }
    }

    fn get(&self, path: &str, generation: u64) -> Option<Arc<Kept>> {
        let pages = self.pages.read().unwrap_or_else(PoisonError::into_inner);
        pages
            .get(path)
            .filter(|kept| kept.fresh(generation))
            .cloned()
    }

    fn keep(&self, path: String, kept: Kept) {
        let mut pages = self.pages.write().unwrap_or_else(PoisonError::into_inner);
        if pages.len() >= MAX_PAGES && !pages.contains_key(&path) {
            pages.retain(|_, old| old.fresh(kept.generation));
            if pages.len() >= MAX_PAGES {
                return;
            }
        }
        pages.insert(path, Arc::new(kept));
    }
}

/// Whether every first-time visitor asking this gets the same page: a
/// `GET` of a public page's address with no query string and no cookie
/// at all.
fn shared(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && request.uri().query().is_none()
        && !request.headers().contains_key(header::COOKIE)
        && page_address(path)
        && !domain::account::is_signed_in_page(path)
}

/// Whether `path` is spelt as the site spells its pages' addresses: `/`,
/// or slugs between single slashes. A page reached by another spelling
/// (`/page/%61bout`, `/x/../services`, a trailing slash) is rendered, not
/// kept, so the cache holds one copy of each page at most; the health
/// checks are not pages, and must not wait on the database.
fn page_address(path: &str) -> bool {
    path == "/"
        || (![crate::health::LIVE_PATH, crate::health::READY_PATH].contains(&path)
            && path
                .strip_prefix('/')
                .is_some_and(|rest| rest.split('/').all(domain::content::is_slug)))
}

/// Whether a response may be kept for every first-time visitor: a page
/// rendered here (with a nonce), `200`, setting no cookie, and not marked
/// as private to whoever asked.
fn keepable(response: &Response) -> bool {
    let headers = response.headers();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let private = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("no-store") || v.contains("private"));
    response.status() == StatusCode::OK
        && html
        && !private
        && !headers.contains_key(header::SET_COOKIE)
}

/// Serves a kept copy of a shared page, or renders it and keeps it.
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(slot) = request.extensions().get::<NonceSlot>().cloned() else {
        return next.run(request).await;
    };
    if !shared(&request) {
        return next.run(request).await;
    }
    let generation = match backend::content::generation(&cache.db).await {
        Ok(generation) => generation,
        Err(error) => {
            tracing::warn!(%error, "could not read the content version; rendering afresh");
            return next.run(request).await;
        }
    };
    let path = request.uri().path().to_owned();
    if let Some(kept) = cache.get(&path, generation) {
        return kept.response(&slot);
    }
    let response = next.run(request).await;
    let Some(nonce) = slot.peek().filter(|_| keepable(&response)) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::error!(%error, "a page stopped part way while rendering");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    if bytes.len() <= MAX_PAGE_BYTES
        && let Ok(html) = std::str::from_utf8(&bytes)
    {
        cache.keep(
            path,
            Kept {
                generation,
                at: Instant::now(),
                headers: parts.headers.clone(),
                html: html.to_owned(),
                nonce,
            },
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, uri: &str, cookie: bool) -> Request {
        let mut builder = Request::builder().method(method).uri(uri);
        if cookie {
            builder = builder.header(header::COOKIE, "pp_session=x");
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn only_pages_spelt_as_the_site_spells_them_are_shared() {
        for kept in [
            "/",
            "/services",
            "/services/medicines-management",
            "/page/about",
        ] {
            assert!(shared(&request(Method::GET, kept, false)), "{kept}");
        }
        for not in [
            "/healthz",
            "/readyz",
            "/page/%61bout",
            "/x/../services",
            "/services/",
            "//services",
            "/Services",
            "/robots.txt",
        ] {
            assert!(!shared(&request(Method::GET, not, false)), "{not}");
        }
    }

    #[test]
    fn only_first_time_visitors_public_gets_are_shared() {
        assert!(shared(&request(Method::GET, "/services", false)));
        assert!(!shared(&request(Method::GET, "/services", true)));
        assert!(!shared(&request(Method::GET, "/services?x=1", false)));
        assert!(!shared(&request(Method::POST, "/services", false)));
        assert!(!shared(&request(Method::HEAD, "/services", false)));
        assert!(!shared(&request(Method::GET, "/portal", false)));
        assert!(!shared(&request(Method::GET, "/admin/library", false)));
    }

    #[tokio::test]
    async fn a_kept_page_is_rendered_once_and_sent_with_a_fresh_nonce() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tower::ServiceExt;
        let db = backend::testing::sqlite().await;
        let renders = Arc::new(AtomicUsize::new(0));
        let counted = renders.clone();
        let render = move |request: Request| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                let nonce = leptos::nonce::Nonce::new().to_string();
                if let Some(slot) = request.extensions().get::<NonceSlot>() {
                    slot.put(nonce.clone());
                }
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    format!("<script nonce=\"{nonce}\">{nonce}</script>"),
                )
            }
        };
        let app = axum::Router::new()
            .route("/", axum::routing::get(render))
            .layer(axum::middleware::from_fn_with_state(
                PageCache::new(db.db.clone()),
                serve,
            ));
        let mut nonces = Vec::new();
        for _ in 0..2 {
            let slot = NonceSlot::default();
            let mut request = request(Method::GET, "/", false);
            request.extensions_mut().insert(slot.clone());
            let response = app.clone().oneshot(request).await.expect("response");
            let body = response.into_body().collect().await.expect("body");
            let nonce = slot.take().expect("the page's nonce, for the policy");
            assert_eq!(
                std::str::from_utf8(&body.to_bytes()).expect("utf-8"),
                format!("<script nonce=\"{nonce}\">{nonce}</script>")
            );
            nonces.push(nonce);
        }
        assert_eq!(
            renders.load(Ordering::SeqCst),
            1,
            "one render, then the copy"
        );
        assert_ne!(nonces[0], nonces[1]);
        db.finish().await;
    }

    /// A response of `status` and `content_type`, with `extra` headers.
    fn response(
        status: StatusCode,
        content_type: &'static str,
        extra: Option<(header::HeaderName, &'static str)>,
    ) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type),
        );
        if let Some((name, value)) = extra {
            headers.insert(name, header::HeaderValue::from_static(value));
        }
        response
    }

    #[test]
    fn only_public_pages_rendered_ok_are_kept() {
        let html = "text/html; charset=utf-8";
        assert!(keepable(&response(StatusCode::OK, html, None)));
        assert!(!keepable(&response(StatusCode::NOT_FOUND, html, None)));
        assert!(!keepable(&response(
            StatusCode::OK,
            "application/json",
            None
        )));
        for private in [
            (header::SET_COOKIE, "pp_session=y"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CACHE_CONTROL, "private, max-age=0"),
        ] {
            assert!(
                !keepable(&response(StatusCode::OK, html, Some(private.clone()))),
                "{private:?}"
            );
        }
    }
}
