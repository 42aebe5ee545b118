use crate::security::{self, SecuritySettings};
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceExt;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Everything the router needs.
#[derive(Clone, Debug)]
pub struct RouterSettings {
    pub leptos: LeptosOptions,
    pub security: Arc<SecuritySettings>,
    pub max_body_bytes: usize,
    /// Largest file an administrator may upload.
    pub max_upload_bytes: usize,
    /// Which static files' addresses name their content.
    pub assets: crate::assets::Versions,
}

/// The app's routes, worked out once per process. Working them out runs
/// the whole app with resource loading suppressed process-wide (Leptos'
/// `SuppressResourceLoad`), so doing it again while another router in the
/// same process renders a page (as when several servers share one test
/// process) can leave that page's render waiting for ever. Working them
/// out also sets Leptos' own task spawner unless one is set, so ours is
/// set first.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES
        .get_or_init(|| {
            crate::spawner::init();
            generate_route_list(App)
        })
        .clone()
}

/// Builds the whole application: pages and server functions (Leptos),
/// health checks and the 404 page, wrapped in the security, limit,
/// session and compression layers; and the static folders ahead of them
/// (`crate::assets`), inside only the security headers and tracing.
pub fn build(state: AppState, settings: RouterSettings) -> Router {
    let routes = routes();
    let context = context(state.clone());
    let forms = crate::forms::FormRoute {
        state: state.clone(),
        leptos: settings.leptos.clone(),
    };
    let leptos = settings.leptos.clone();
    let db = state.db.clone();
    let counting = crate::stats::Counting {
        counter: state.stats.clone(),
        own_host: settings
            .security
            .public_origin
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .to_owned(),
    };

    let downloads = Router::new()
        .route(
            domain::library::DOWNLOAD_ROUTE,
            get(crate::files::download_latest),
        )
        .route(
            domain::library::VERSION_DOWNLOAD_ROUTE,
            get(crate::files::download_version),
        )
        .route(
            domain::audit::AUDIT_EXPORT_ROUTE,
            get(crate::exports::audit_csv),
        )
        .route(
            domain::mydata::MY_DATA_EXPORT_ROUTE,
            get(crate::exports::my_data_json),
        )
        .route(domain::stats::STATS_EXPORT_ROUTE, get(crate::stats::csv))
        .route(
            domain::rights::REQUEST_EXPORT_ROUTE,
            get(crate::exports::rights_request_json),
        )
        .with_state(state.clone());
    let limits = crate::files::Limits {
        body_bytes: settings.max_body_bytes,
        upload_bytes: settings.max_upload_bytes + crate::files::UPLOAD_OVERHEAD_BYTES,
        timeout: Duration::from_secs(30),
        upload_timeout: Duration::from_secs(15 * 60),
    };

    let site_root = std::path::PathBuf::from(settings.leptos.site_root.as_ref());
    let static_files = crate::assets::StaticFiles::new(&site_root, settings.assets);

    let seo = Router::new()
        .route("/robots.txt", get(crate::seo::robots))
        .route("/sitemap.xml", get(crate::seo::sitemap))
        .with_state(state.clone());

    let pages = Router::new()
        .route(crate::health::LIVE_PATH, get(crate::health::live))
        .route(
            crate::health::READY_PATH,
            get(move || crate::health::ready(db.clone())),
        )
        .merge(seo)
        .merge(downloads)
        .leptos_routes_with_context(&leptos, routes, context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback({
            // The site root's own files, else the 404 page. Nothing else
            // reads the site root: Leptos' own file handler would send any
            // file in it, hidden ones included.
            let files = static_files.clone();
            let not_found =
                leptos_axum::ErrorHandler::new_with_context(context, shell, leptos.clone());
            move |request: Request<Body>| {
                let files = files.clone();
                let not_found = not_found.clone();
                async move {
                    match files.root_file(request).await {
                        Ok(response) => response,
                        Err(request) => match not_found.oneshot(request).await {
                            Ok(response) => response,
                        },
                    }
                }
            }
        })
        .with_state(leptos)
        // Layers run outermost-last: server functions' answers (JSON or a
        // page) sit closest to the handlers, inside the body cap and the
        // timeout (both larger for the upload address only); tracing wraps
        // everything.
        .layer(middleware::from_fn_with_state(
            forms,
            crate::forms::server_functions,
        ))
        .layer(middleware::from_fn_with_state(limits, crate::files::limits))
        .layer(middleware::map_response(explain_too_large))
        // Inside the counting (a kept page is still a view) and the session
        // (which has redirected anyone a public page is not for).
        .layer(middleware::from_fn_with_state(
            crate::page_cache::PageCache::new(state.db.clone()),
            crate::page_cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            counting,
            crate::stats::count,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::session::session,
        ))
        .layer(middleware::from_fn_with_state(
            settings.security.clone(),
            security::client_key,
        ))
        .layer(middleware::from_fn_with_state(
            settings.security.clone(),
            security::same_origin,
        ))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        // Pages are compressed per request with gzip (the only encoding
        // built in) at its fastest level:
        // a third of the CPU of brotli at tower-http's default quality for
        // under a kilobyte more on the home page (BENCHMARKS.md,
        // `benches/html_compression.rs`). Documents are compressed
        // already, or not worth compressing as they stream.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(
                    DefaultPredicate::new()
                        .and(NotForContentType::const_new("application/pdf"))
                        .and(NotForContentType::const_new("application/vnd.")),
                ),
        );

    // The static folders go ahead of all of that: no session, no page
    // machinery, and their copies compressed at build time.
    pages
        .merge(static_files.folders())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(middleware::from_fn_with_state(settings.security, security::headers))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            // The path only: query strings may carry one-time tokens.
            tracing::info_span!("request", method = %request.method(), path = request.uri().path())
        }))
}

/// What every page render and server function finds in its context.
pub fn context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        provide_context(state.site.clone());
        app::state::share_nonce();
    }
}

/// The body-limit layer answers 413 with no explanation; people get one.
async fn explain_too_large(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "That was too large to send. Go back, shorten what you entered and try again.",
    )
        .into_response()
}
