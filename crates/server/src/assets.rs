//! The built site's static files: `/pkg` (the wasm, its script and the
//! stylesheet) and `/css` (the NHS.UK stylesheet), served ahead of the
//! session, same-origin and page layers, so an asset costs no database
//! lookup, and as the `.br` or `.gz` written once at build time when the
//! browser accepts it, so nothing is compressed per request.

use axum::Router;
use std::io::Write;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The folders of the site root served this way.
const FOLDERS: [&str; 2] = ["pkg", "css"];

/// Files worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: [&str; 5] = ["css", "js", "wasm", "svg", "json"];

/// The routes for the static folders under `site_root`.
pub fn router(site_root: &Path) -> Router {
    FOLDERS.iter().fold(Router::new(), |router, folder| {
        router.nest_service(
            &format!("/{folder}"),
            ServeDir::new(site_root.join(folder))
                .precompressed_br()
                .precompressed_gzip(),
        )
    })
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
