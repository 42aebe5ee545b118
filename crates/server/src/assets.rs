//! The built site's static files: `/pkg` (the wasm, its script and the
//! stylesheet) and `/css` (the NHS.UK stylesheet), served ahead of the
//! session, same-origin and page layers, so an asset costs no database
//! lookup, and as the `.br` or `.gz` written once at build time when the
//! browser accepts it, so nothing is compressed per request.
//!
//! Pages link them by addresses that change when their content does:
//! cargo-leptos puts a hash in the name of each file under `/pkg`, and the
//! NHS.UK stylesheet is linked with its own hash as `?v=`. Those addresses
//! are cached by browsers for a year without asking again; any other
//! answer carries `no-cache`.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::services::ServeDir;

/// The folders of the site root served this way.
const FOLDERS: [&str; 2] = ["pkg", "css"];

/// The NHS.UK stylesheet, under the site root.
const NHSUK_CSS: &str = "css/nhsuk-frontend.min.css";

/// How long a browser keeps a file whose address names its content.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// Which addresses name their content, worked out once at start.
#[derive(Clone, Debug)]
pub struct Versions {
    /// Whether the files under `/pkg` carry hashes in their names (a
    /// cargo-leptos build with `hash-files`, whose `hash.txt` the server
    /// found beside itself).
    pub pkg_hashed: bool,
    /// The NHS.UK stylesheet's `v=…` query: a hash of its content.
    pub stylesheet_query: Option<String>,
}

impl Versions {
    /// Reads the NHS.UK stylesheet under `site_root` to hash it.
    pub fn of(site_root: &Path, pkg_hashed: bool) -> Self {
        let stylesheet_query = std::fs::read(site_root.join(NHSUK_CSS))
            .ok()
            .map(|bytes| format!("v={}", &hex::encode(Sha256::digest(bytes))[..16]));
        Self {
            pkg_hashed,
            stylesheet_query,
        }
    }

    /// The address pages link the NHS.UK stylesheet by.
    pub fn stylesheet_href(&self) -> String {
        match &self.stylesheet_query {
            Some(query) => format!("/{NHSUK_CSS}?{query}"),
            None => format!("/{NHSUK_CSS}"),
        }
    }

    /// Whether the answer to `request` may be kept for a year.
    fn immutable(&self, request: &Request) -> bool {
        let uri = request.uri();
        if uri.path().starts_with("/pkg/") {
            self.pkg_hashed
        } else {
            uri.path().strip_prefix('/') == Some(NHSUK_CSS)
                && self.stylesheet_query.is_some()
                && uri.query() == self.stylesheet_query.as_deref()
        }
    }
}

/// Marks a successful answer for a versioned address as immutable.
async fn cache(State(versions): State<Arc<Versions>>, request: Request, next: Next) -> Response {
    let immutable = versions.immutable(&request);
    let mut response = next.run(request).await;
    if immutable && response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, IMMUTABLE);
    }
    response
}

/// Files worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: [&str; 5] = ["css", "js", "wasm", "svg", "json"];

/// The routes for the static folders under `site_root`.
pub fn router(site_root: &Path, versions: Versions) -> Router {
    FOLDERS
        .iter()
        .fold(Router::new(), |router, folder| {
            router.nest_service(
                &format!("/{folder}"),
                ServeDir::new(site_root.join(folder))
                    .precompressed_br()
                    .precompressed_gzip(),
            )
        })
        .layer(middleware::from_fn_with_state(Arc::new(versions), cache))
}

/// The `.br` and `.gz` beside `file`.
fn copies(file: &Path) -> [PathBuf; 2] {
    ["br", "gz"].map(|ext| {
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    })
}

/// The compressible files of the static folders.
fn compressible(site_root: &Path) -> Vec<PathBuf> {
    FOLDERS
        .iter()
        .filter_map(|folder| std::fs::read_dir(site_root.join(folder)).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e))
        })
        .collect()
}

/// Writes a `.br` (brotli at its best) and a `.gz` (gzip at its best)
/// beside each compressible file of the static folders; returns how many
/// files it compressed. `primarypoint precompress` runs it after a release
/// build.
pub fn precompress(site_root: &Path) -> std::io::Result<usize> {
    let files = compressible(site_root);
    for file in &files {
        let bytes = std::fs::read(file)?;
        let [br, gz] = copies(file);
        let mut brotli_bytes = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli_bytes, &params)?;
        std::fs::write(br, brotli_bytes)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&bytes)?;
        std::fs::write(gz, gzip.finish()?)?;
    }
    Ok(files.len())
}

/// Removes each `.br` or `.gz` older than the file it was made from (the
/// site was rebuilt without compressing it again), so the browser is
/// never sent a stale copy; returns how many went.
pub fn remove_stale(site_root: &Path) -> usize {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut removed = 0;
    for file in compressible(site_root) {
        for copy in copies(&file) {
            let stale = match (modified(&file), modified(&copy)) {
                (Some(made), Some(copied)) => copied < made,
                _ => false,
            };
            if stale && std::fs::remove_file(&copy).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use tower::ServiceExt;

    /// The `Cache-Control` of a GET for `uri`, and its status.
    async fn cache_control(app: &Router, uri: &str) -> (u16, Option<String>) {
        let response = app
            .clone()
            .oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        let value = response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().expect("ascii").to_owned());
        (response.status().as_u16(), value)
    }

    #[tokio::test]
    async fn only_addresses_that_name_their_content_are_kept_for_a_year() {
        let root = tempfile::tempdir().expect("dir");
        for folder in FOLDERS {
            std::fs::create_dir(root.path().join(folder)).expect("folder");
        }
        std::fs::write(root.path().join(NHSUK_CSS), "body { margin: 0 }").expect("css");
        std::fs::write(root.path().join("pkg/primarypoint.a1B2c3.wasm"), b"\0asm").expect("wasm");
        let year = Some("public, max-age=31536000, immutable".to_owned());

        let versions = Versions::of(root.path(), true);
        let href = versions.stylesheet_href();
        let query = href.split_once('?').expect("a version").1.to_owned();
        assert_eq!(query.len(), "v=".len() + 16, "{href}");
        let app = router(root.path(), versions);
        assert_eq!(cache_control(&app, &href).await, (200, year.clone()));
        assert_eq!(
            cache_control(&app, "/pkg/primarypoint.a1B2c3.wasm").await,
            (200, year)
        );
        // Another version, or none, may change under the same address.
        for uri in [
            "/css/nhsuk-frontend.min.css",
            "/css/nhsuk-frontend.min.css?v=0000000000000000",
        ] {
            assert_eq!(cache_control(&app, uri).await, (200, None), "{uri}");
        }
        // A missing file is never kept.
        assert_eq!(cache_control(&app, "/pkg/gone.wasm").await.1, None);

        // Built without hashes, nothing under /pkg is kept; a change to the
        // stylesheet changes its address.
        std::fs::write(root.path().join(NHSUK_CSS), "body { margin: 1px }").expect("css");
        let versions = Versions::of(root.path(), false);
        assert_ne!(versions.stylesheet_href(), href);
        let app = router(root.path(), versions);
        assert_eq!(
            cache_control(&app, "/pkg/primarypoint.a1B2c3.wasm").await,
            (200, None)
        );
    }

    #[test]
    fn the_copies_decompress_to_the_file_and_a_stale_copy_goes() {
        let root = tempfile::tempdir().expect("dir");
        std::fs::create_dir(root.path().join("pkg")).expect("pkg");
        let css = root.path().join("pkg/site.css");
        let text = "body { color: #212b32 } ".repeat(500);
        std::fs::write(&css, &text).expect("css");
        std::fs::write(root.path().join("pkg/logo.png"), b"not compressible").expect("png");
        assert_eq!(precompress(root.path()).expect("precompress"), 1);

        let [br, gz] = copies(&css);
        let mut unbrotli = String::new();
        brotli::Decompressor::new(std::fs::File::open(&br).expect("br"), 4096)
            .read_to_string(&mut unbrotli)
            .expect("brotli");
        assert_eq!(unbrotli, text);
        let mut ungzip = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&gz).expect("gz"))
            .read_to_string(&mut ungzip)
            .expect("gzip");
        assert_eq!(ungzip, text);
        assert!(std::fs::metadata(&br).expect("br").len() < 200);
        assert!(!root.path().join("pkg/logo.png.br").exists());

        // Fresh copies stay; once the file is rebuilt, they go.
        assert_eq!(remove_stale(root.path()), 0);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&css)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        assert_eq!(remove_stale(root.path()), 2);
        assert!(!br.exists() && !gz.exists());
    }
}
