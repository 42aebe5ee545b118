//! The built site's static files: `/pkg` (the wasm, its script and the
//! stylesheet) and `/css` (the NHS.UK stylesheet), served ahead of the
//! session, same-origin and page layers, so an asset costs no database
//! lookup; as the `.br` or `.gz` written once at build time when the
//! browser accepts it, so nothing is compressed per request; and from
//! memory once asked for, so nothing is read from disk per request. The
//! site root's other files (the favicon, the stylesheet's images) are
//! answered from the same memory by the pages' fallback, inside the page
//! layers, before it renders the 404 page.
//!
//! Pages link them by addresses that change when their content does:
//! cargo-leptos puts a hash in the name of each file under `/pkg`, and the
//! NHS.UK stylesheet is linked with its own hash as `?v=`. Those addresses
//! are cached by browsers for a year without asking again; any other
//! answer carries `no-cache`.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// The folders of the site root served this way.
const FOLDERS: [&str; 2] = ["pkg", "css"];

/// The NHS.UK stylesheet, under the site root.
const NHSUK_CSS: &str = "css/nhsuk-frontend.min.css";

/// How long a browser keeps a file whose address names its content.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The name cargo-leptos gives the app's script and wasm under `/pkg`,
/// before the hashes.
pub(crate) const APP: &str = "primarypoint";

/// Which addresses name their content, worked out once at start.
#[derive(Clone, Debug)]
pub struct Versions {
    /// Whether the files under `/pkg` carry hashes in their names (a
    /// cargo-leptos build with `hash-files`, whose `hash.txt` the server
    /// found beside itself).
    pub pkg_hashed: bool,
    /// The NHS.UK stylesheet's `v=…` query: a hash of its content.
    pub stylesheet_query: Option<String>,
    /// The app's script and wasm under `/pkg`.
    app_script: String,
    app_wasm: String,
}

impl Versions {
    /// Reads the NHS.UK stylesheet under `site_root` to hash it. `hashes`
    /// is the `hash.txt` of a build with hashed names (`js: …` and
    /// `wasm: …` lines), if there is one.
    pub fn of(site_root: &Path, hashes: Option<&str>) -> Self {
        let stylesheet_query = std::fs::read(site_root.join(NHSUK_CSS))
            .ok()
            .map(|bytes| format!("v={}", &hex::encode(Sha256::digest(bytes))[..16]));
        let hash = |file: &str| {
            hashes
                .into_iter()
                .flat_map(str::lines)
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim() == file)
                .map(|(_, hash)| format!(".{}", hash.trim()))
                .unwrap_or_default()
        };
        Self {
            pkg_hashed: hashes.is_some(),
            stylesheet_query,
            app_script: format!("/pkg/{APP}{}.js", hash("js")),
            app_wasm: format!("/pkg/{APP}{}.wasm", hash("wasm")),
        }
    }

    /// The addresses pages link the stylesheet and the app by.
    pub fn links(&self) -> app::state::Links {
        app::state::Links {
            nhsuk_stylesheet: match &self.stylesheet_query {
                Some(query) => format!("/{NHSUK_CSS}?{query}"),
                None => format!("/{NHSUK_CSS}"),
            },
            app_script: self.app_script.clone(),
            app_wasm: self.app_wasm.clone(),
        }
    }

    /// Whether the answer for `uri` may be kept for a year.
    fn immutable(&self, uri: &Uri) -> bool {
        if uri.path().starts_with("/pkg/") {
            self.pkg_hashed
        } else {
            uri.path().strip_prefix('/') == Some(NHSUK_CSS)
                && self.stylesheet_query.is_some()
                && uri.query() == self.stylesheet_query.as_deref()
        }
    }
}

/// Files worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: [&str; 5] = ["css", "js", "wasm", "svg", "json"];

/// The encodings a file may be sent in, best first, each with the
/// extension of its copy beside the file.
const ENCODINGS: [(&str, &str); 2] = [("br", "br"), ("gzip", "gz")];

/// One file as sent: its bytes in each encoding it has, read once.
#[derive(Debug)]
struct File {
    content_type: HeaderValue,
    /// The strong validator of the file's content; each encoding adds
    /// its own suffix, as a different representation must.
    tag: String,
    identity: Bytes,
    /// The copies written at build time, in the order of `ENCODINGS`.
    encoded: [Option<Bytes>; 2],
}

impl File {
    /// Reads the file at `path` and its copies; `None` when there is no
    /// such file.
    async fn read(path: &Path) -> Option<Self> {
        let identity = Bytes::from(tokio::fs::read(path).await.ok()?);
        let mut encoded = [None, None];
        if compressible_name(path) {
            for (copy, slot) in copies(path).iter().zip(&mut encoded) {
                *slot = tokio::fs::read(copy).await.ok().map(Bytes::from);
            }
        }
        let content_type = mime_guess::from_path(path).first_or_octet_stream();
        Some(Self {
            content_type: HeaderValue::from_str(content_type.as_ref()).ok()?,
            tag: hex::encode(&Sha256::digest(&identity)[..12]),
            identity,
            encoded,
        })
    }

    /// The answer to a GET or HEAD that accepts `accepts` and already
    /// holds the validators in `if_none_match`.
    fn answer(&self, accepts: Option<&str>, if_none_match: Option<&str>) -> Response {
        let chosen = ENCODINGS
            .iter()
            .zip(&self.encoded)
            .filter(|((name, _), _)| accepts.is_some_and(|list| accepted(list, name)))
            .find_map(|((name, _), bytes)| Some((*name, bytes.as_ref()?)));
        let (encoding, body, etag) = match chosen {
            Some((name, bytes)) => (Some(name), bytes, format!("\"{}-{name}\"", self.tag)),
            None => (None, &self.identity, format!("\"{}\"", self.tag)),
        };
        let mut builder = Response::builder()
            .header(header::CONTENT_TYPE, self.content_type.clone())
            .header(header::ETAG, &etag);
        if self.encoded.iter().any(Option::is_some) {
            builder = builder.header(header::VARY, "accept-encoding");
        }
        if let Some(name) = encoding {
            builder = builder.header(header::CONTENT_ENCODING, name);
        }
        let fresh = if_none_match.is_some_and(|tags| {
            tags.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == etag || tag == "*")
        });
        let response = if fresh {
            builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
        } else {
            builder.body(Body::from(body.clone()))
        };
        response.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// Whether an `Accept-Encoding` list accepts `encoding` (by name, or by
/// `*`, with a weight above zero).
fn accepted(list: &str, encoding: &str) -> bool {
    let weight = |name: &str| {
        list.split(',').find_map(|item| {
            let mut parts = item.split(';');
            let named = parts.next()?.trim();
            if !named.eq_ignore_ascii_case(name) {
                return None;
            }
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            Some(q)
        })
    };
    weight(encoding)
        .or_else(|| weight("*"))
        .is_some_and(|q| q > 0.0)
}

/// The site's static files, each read from disk on its first request
/// and then answered from memory: a file nobody asks for (most of an
/// administrator's chunks) costs nothing, and a file asked for costs no
/// file system call again.
#[derive(Debug)]
struct Files {
    site_root: PathBuf,
    /// Also says whether to keep what was read: only when the names
    /// under `/pkg` carry their content's hash. A rebuild then makes new
    /// names, where without the hashes it would change a file under a
    /// name already kept.
    versions: Versions,
    kept: RwLock<HashMap<String, Arc<File>>>,
}

/// Largest file of the site root's own (outside the static folders)
/// answered from memory; a larger one is streamed from disk.
const MAX_KEPT_BYTES: u64 = 1 << 20;

/// A file found under the site root.
enum Found {
    /// Read whole: small enough, or built into a static folder.
    Read(Arc<File>),
    /// Too large to hold: its real path, to stream.
    Large(PathBuf),
}

impl Files {
    /// The file answering `path`, read whole when it is at most `largest`
    /// bytes. Only a regular file with a plain name (see [`relative`])
    /// whose real path, links followed, is inside the site root is
    /// found; and only one asked for by its own name is kept, so other
    /// spellings of the same file (through links) never add copies.
    async fn get(&self, path: &str, largest: u64) -> Option<Found> {
        if let Some(file) = self.kept.read().ok()?.get(path) {
            return Some(Found::Read(file.clone()));
        }
        let relative = relative(path)?;
        let root = tokio::fs::canonicalize(&self.site_root).await.ok()?;
        let real = tokio::fs::canonicalize(root.join(&relative)).await.ok()?;
        let metadata = tokio::fs::metadata(&real).await.ok()?;
        if !real.starts_with(&root) || !metadata.is_file() {
            return None;
        }
        if metadata.len() > largest {
            return Some(Found::Large(real));
        }
        let file = Arc::new(File::read(&real).await?);
        if self.versions.pkg_hashed
            && real == root.join(&relative)
            && let Ok(mut kept) = self.kept.write()
        {
            kept.insert(path.to_owned(), file.clone());
        }
        Some(Found::Read(file))
    }

    /// The answer with `file` to a GET or HEAD for `uri`.
    fn answer(&self, file: &File, uri: &Uri, headers: &HeaderMap) -> Response {
        let value = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let mut response =
            file.answer(value(header::ACCEPT_ENCODING), value(header::IF_NONE_MATCH));
        if self.versions.immutable(uri) {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, IMMUTABLE);
        }
        response
    }
}

/// The file under the site root a request path names: plain names only
/// (no `..`, no hidden files, no copies).
fn relative(path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    let plain = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    let copy = ENCODINGS.iter().any(|(_, ext)| {
        rest.strip_suffix(ext)
            .is_some_and(|stem| stem.ends_with('.'))
    });
    (rest.split('/').all(plain) && !copy).then(|| PathBuf::from(rest))
}

/// Answers a GET or HEAD under a static folder, from memory whatever
/// its size: these are the built site's own files.
async fn serve(State(files): State<Arc<Files>>, request: Request) -> Response {
    match files.get(request.uri().path(), u64::MAX).await {
        Some(Found::Read(file)) => files.answer(&file, request.uri(), request.headers()),
        Some(Found::Large(_)) | None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The site's static files, read once each: the static folders' routes,
/// and the rest of the site root for the pages' fallback.
#[derive(Clone, Debug)]
pub struct StaticFiles(Arc<Files>);

impl StaticFiles {
    /// The files under `site_root`, none read yet.
    pub fn new(site_root: &Path, versions: Versions) -> Self {
        Self(Arc::new(Files {
            site_root: site_root.to_owned(),
            versions,
            kept: RwLock::default(),
        }))
    }

    /// The routes for the static folders.
    pub fn folders(&self) -> Router {
        FOLDERS
            .iter()
            .fold(Router::new(), |router, folder| {
                router.route(&format!("/{folder}/{{*name}}"), get(serve))
            })
            .with_state(self.0.clone())
    }

    /// The answer to a GET or HEAD for a file of the site root's own
    /// (the favicon, the stylesheet's images, a logo); otherwise the
    /// request back, for the pages. A small file is answered from memory
    /// with a weak validator, since the pages' compression may encode it
    /// per request; a large one is streamed from disk (and may be asked
    /// for in ranges).
    pub async fn root_file(&self, request: Request) -> Result<Response, Request> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return Err(request);
        }
        match self.0.get(request.uri().path(), MAX_KEPT_BYTES).await {
            Some(Found::Read(file)) => {
                let mut response = self.0.answer(&file, request.uri(), request.headers());
                let weak = response.headers().get(header::ETAG).and_then(|tag| {
                    HeaderValue::from_str(&format!("W/{}", tag.to_str().ok()?)).ok()
                });
                if let Some(weak) = weak {
                    response.headers_mut().insert(header::ETAG, weak);
                }
                Ok(response)
            }
            Some(Found::Large(real)) => {
                let Ok(response) = ServeFile::new(real).oneshot(request).await;
                Ok(response.map(Body::new))
            }
            None => Err(request),
        }
    }
}

/// The `.br` and `.gz` beside `file`, in the order of `ENCODINGS`.
fn copies(file: &Path) -> [PathBuf; 2] {
    ENCODINGS.map(|(_, ext)| {
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
        .filter(|path| compressible_name(path))
        .collect()
}

/// Whether `file` is of a kind worth compressing.
fn compressible_name(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| COMPRESSIBLE.contains(&e))
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
        let (status, headers, _) = fetch(app, uri, &[]).await;
        (status, headers.get("cache-control").cloned())
    }

    #[test]
    fn pages_link_the_app_by_the_names_the_build_gave_it() {
        let root = tempfile::tempdir().expect("dir");
        let built = Versions::of(root.path(), Some("js: Ab12\nwasm: Cd34\ncss: Ef56\n")).links();
        assert_eq!(
            (built.app_script.as_str(), built.app_wasm.as_str()),
            ("/pkg/primarypoint.Ab12.js", "/pkg/primarypoint.Cd34.wasm")
        );
        let unhashed = Versions::of(root.path(), None).links();
        assert_eq!(
            (unhashed.app_script.as_str(), unhashed.app_wasm.as_str()),
            ("/pkg/primarypoint.js", "/pkg/primarypoint.wasm")
        );
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

        let versions = Versions::of(root.path(), Some(""));
        let href = versions.links().nhsuk_stylesheet;
        let query = href.split_once('?').expect("a version").1.to_owned();
        assert_eq!(query.len(), "v=".len() + 16, "{href}");
        let app = StaticFiles::new(root.path(), versions).folders();
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
        let versions = Versions::of(root.path(), None);
        assert_ne!(versions.links().nhsuk_stylesheet, href);
        let app = StaticFiles::new(root.path(), versions).folders();
        assert_eq!(
            cache_control(&app, "/pkg/primarypoint.a1B2c3.wasm").await,
            (200, None)
        );
    }

    /// A GET for `uri` with `headers`: the status, the named response
    /// headers and the body.
    async fn fetch(
        app: &Router,
        uri: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> (u16, HashMap<String, String>, Vec<u8>) {
        let mut request = axum::http::Request::get(uri);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status().as_u16();
        let named = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").to_owned()))
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, named, body.to_vec())
    }

    #[tokio::test]
    async fn a_file_is_sent_in_the_best_accepted_encoding_from_memory() {
        let root = tempfile::tempdir().expect("dir");
        std::fs::create_dir(root.path().join("pkg")).expect("pkg");
        let js = "export function hydrate() { return 1; } ".repeat(200);
        std::fs::write(root.path().join("pkg/app.a1.js"), &js).expect("js");
        precompress(root.path()).expect("precompress");
        let br = std::fs::read(root.path().join("pkg/app.a1.js.br")).expect("br");
        let gz = std::fs::read(root.path().join("pkg/app.a1.js.gz")).expect("gz");
        let app = StaticFiles::new(root.path(), Versions::of(root.path(), Some(""))).folders();
        let uri = "/pkg/app.a1.js";

        let mut tags = Vec::new();
        for (accepts, encoding, body) in [
            ("gzip, deflate, br, zstd", Some("br"), &br),
            ("br;q=0, gzip", Some("gzip"), &gz),
            ("gzip;q=0.5, br;q=0.8", Some("br"), &br),
            ("*", Some("br"), &br),
            ("identity", None, &js.as_bytes().to_vec()),
            ("br;q=0, gzip;q=0", None, &js.as_bytes().to_vec()),
        ] {
            let (status, headers, sent) =
                fetch(&app, uri, &[(header::ACCEPT_ENCODING, accepts)]).await;
            assert_eq!(status, 200, "{accepts}");
            assert_eq!(
                headers.get("content-encoding").map(String::as_str),
                encoding,
                "{accepts}"
            );
            assert_eq!(&sent, body, "{accepts}");
            assert_eq!(headers["content-type"], "text/javascript", "{accepts}");
            assert_eq!(headers["vary"], "accept-encoding", "{accepts}");
            assert_eq!(
                headers["cache-control"], "public, max-age=31536000, immutable",
                "{accepts}"
            );
            tags.push(headers["etag"].clone());
        }
        // Each encoding is its own representation, with its own validator.
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[4]);

        // A browser that holds the copy it was sent is told so, bodiless;
        // one holding another encoding's copy gets the file again.
        let br_headers = [
            (header::ACCEPT_ENCODING, "br"),
            (header::IF_NONE_MATCH, tags[0].as_str()),
        ];
        let (status, _, body) = fetch(&app, uri, &br_headers).await;
        assert_eq!((status, body.len()), (304, 0));
        let gzip_holding_br = [
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, tags[0].as_str()),
        ];
        assert_eq!(fetch(&app, uri, &gzip_holding_br).await.2, gz);

        // Once read, the file is answered from memory: removing it from
        // disk changes nothing.
        for file in ["pkg/app.a1.js", "pkg/app.a1.js.br", "pkg/app.a1.js.gz"] {
            std::fs::remove_file(root.path().join(file)).expect("remove");
        }
        let (status, _, body) = fetch(&app, uri, &[(header::ACCEPT_ENCODING, "br")]).await;
        assert_eq!((status, body), (200, br));
    }

    #[tokio::test]
    async fn without_hashed_names_every_request_reads_the_disk() {
        let root = tempfile::tempdir().expect("dir");
        std::fs::create_dir(root.path().join("pkg")).expect("pkg");
        let css = root.path().join("pkg/site.css");
        std::fs::write(&css, "a { color: red }").expect("css");
        let app = StaticFiles::new(root.path(), Versions::of(root.path(), None)).folders();
        let (status, headers, body) = fetch(&app, "/pkg/site.css", &[]).await;
        assert_eq!((status, body.as_slice()), (200, &b"a { color: red }"[..]));
        assert_eq!(headers["content-type"], "text/css");
        assert!(!headers.contains_key("cache-control"));
        // A rebuild under the same name is sent as it now is.
        std::fs::write(&css, "a { color: blue }").expect("css");
        assert_eq!(
            fetch(&app, "/pkg/site.css", &[]).await.2,
            b"a { color: blue }"
        );
    }

    #[tokio::test]
    async fn only_plain_names_in_the_static_folders_are_served() {
        let root = tempfile::tempdir().expect("dir");
        for folder in FOLDERS {
            std::fs::create_dir(root.path().join(folder)).expect("folder");
        }
        std::fs::write(root.path().join("secret.toml"), "key = 1").expect("secret");
        std::fs::write(root.path().join("pkg/.hidden"), "x").expect("hidden");
        std::fs::write(root.path().join("pkg/app.js"), "x".repeat(100)).expect("js");
        precompress(root.path()).expect("precompress");
        let app = StaticFiles::new(root.path(), Versions::of(root.path(), Some(""))).folders();
        assert_eq!(fetch(&app, "/pkg/app.js", &[]).await.0, 200);
        for uri in [
            "/pkg/../secret.toml",
            "/pkg/%2e%2e/secret.toml",
            "/pkg/..%2fsecret.toml",
            "/css/../pkg/app.js",
            "/pkg/.hidden",
            "/pkg/app.js.br",
            "/pkg/app.js.gz",
            "/pkg/",
            "/pkg/missing.js",
        ] {
            assert_eq!(fetch(&app, uri, &[]).await.0, 404, "{uri}");
        }
    }

    #[tokio::test]
    async fn the_site_roots_own_files_are_answered_from_memory_and_pages_are_not() {
        let root = tempfile::tempdir().expect("dir");
        let outside = tempfile::tempdir().expect("outside");
        std::fs::create_dir_all(root.path().join("assets/images")).expect("images");
        let icon = b"\0\0\x01\0icon".to_vec();
        let svg = "<svg xmlns='http://www.w3.org/2000/svg'/>";
        std::fs::write(root.path().join("favicon.ico"), &icon).expect("icon");
        std::fs::write(root.path().join("assets/images/arrow.svg"), svg).expect("svg");
        std::fs::write(root.path().join(".env"), "SECRET_KEY=x").expect("hidden");
        std::fs::write(outside.path().join("secret.key"), "key").expect("secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(
                outside.path().join("secret.key"),
                root.path().join("key.txt"),
            )
            .expect("link");
            // A link back up to the root: endless spellings of one file.
            symlink(root.path(), root.path().join("assets/again")).expect("loop");
        }
        let ask = |files: &StaticFiles, method: Method, uri: &str| {
            let (files, request) = (
                files.clone(),
                axum::http::Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .expect("request"),
            );
            async move { files.root_file(request).await.ok() }
        };
        let body = |response: Response| async move {
            assert_eq!(response.status(), StatusCode::OK);
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body")
                .to_vec()
        };

        let built = StaticFiles::new(root.path(), Versions::of(root.path(), Some("")));
        let unbuilt = StaticFiles::new(root.path(), Versions::of(root.path(), None));
        for files in [&built, &unbuilt] {
            let answer = ask(files, Method::GET, "/favicon.ico")
                .await
                .expect("the icon");
            // The pages' compression may encode it: a weak validator.
            assert!(
                answer.headers()[header::ETAG]
                    .to_str()
                    .expect("tag")
                    .starts_with("W/\"")
            );
            assert_eq!(body(answer).await, icon);
            let answer = ask(files, Method::GET, "/assets/images/arrow.svg").await;
            assert_eq!(body(answer.expect("the image")).await, svg.as_bytes());
            // Pages, other methods, names that are not plain and links out
            // of the site root go on to the pages.
            for (method, uri) in [
                (Method::GET, "/"),
                (Method::GET, "/no-such-page"),
                (Method::GET, "/assets"),
                (Method::GET, "/.env"),
                (Method::GET, "/%2eenv"),
                (Method::GET, "/assets/../favicon.ico"),
                (Method::GET, "/key.txt"),
                (Method::POST, "/favicon.ico"),
            ] {
                assert!(ask(files, method, uri).await.is_none(), "{uri}");
            }
        }

        // Another spelling of a file, through a link, is answered but never
        // kept: only a file's own name adds it to memory.
        #[cfg(unix)]
        for depth in 1..=3 {
            let uri = format!("/{}favicon.ico", "assets/again/".repeat(depth));
            assert_eq!(
                body(ask(&built, Method::GET, &uri).await.expect("alias")).await,
                icon
            );
        }
        #[cfg(unix)]
        assert_eq!(
            built.0.kept.read().expect("kept").len(),
            2,
            "the icon and the image only"
        );

        // In a release build, once read, a file is answered from memory;
        // otherwise each request reads the disk.
        std::fs::remove_file(root.path().join("favicon.ico")).expect("remove");
        let answer = ask(&built, Method::HEAD, "/favicon.ico").await;
        assert_eq!(answer.expect("kept").status(), StatusCode::OK);
        let answer = ask(&built, Method::GET, "/favicon.ico").await;
        assert_eq!(body(answer.expect("kept")).await, icon);
        assert!(ask(&unbuilt, Method::GET, "/favicon.ico").await.is_none());

        // A large file is streamed from disk, in ranges when asked, and
        // never held.
        let large: Vec<u8> = (0..=u8::MAX)
            .cycle()
            .take(MAX_KEPT_BYTES as usize + 1)
            .collect();
        std::fs::write(root.path().join("large.bin"), &large).expect("large");
        assert_eq!(
            body(ask(&built, Method::GET, "/large.bin").await.expect("large")).await,
            large
        );
        let request = axum::http::Request::get("/large.bin")
            .header(header::RANGE, "bytes=256-259")
            .body(Body::empty())
            .expect("request");
        let part = built.root_file(request).await.expect("a range");
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        let bytes = axum::body::to_bytes(part.into_body(), usize::MAX)
            .await
            .expect("part");
        assert_eq!(bytes.as_ref(), &[0, 1, 2, 3]);
        assert!(
            !built
                .0
                .kept
                .read()
                .expect("kept")
                .contains_key("/large.bin")
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
