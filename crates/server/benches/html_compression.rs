//! What compressing a page per request costs at each level: one core
//! runs the page's bytes through tower-http's compression layer, as the
//! router does, and counts pages a second and the bytes each came to.
//! `cargo xtask bench` runs it on the home page it fetched (the file
//! named by `PRIMARYPOINT_BENCH_PAGE`); BENCHMARKS.md has the figures
//! and the router's choice (gzip at its fastest level) follows them.
#![allow(clippy::print_stdout)]

use axum::body::{Body, Bytes};
use axum::http::{Request, Response, header};
use http_body_util::BodyExt;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

const RUN_FOR: Duration = Duration::from_secs(3);

/// Pages a second through the layer at `level`, asking for `encoding`,
/// and the bytes of one page as sent.
async fn measure(page: &Bytes, encoding: &str, level: CompressionLevel) -> (f64, usize) {
    let page = page.clone();
    let mut service = ServiceBuilder::new()
        .layer(CompressionLayer::new().quality(level))
        .service_fn(move |_: Request<Body>| {
            let page = page.clone();
            async move {
                Ok::<_, Infallible>(
                    Response::builder()
                        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                        .body(Body::from(page))
                        .expect("response"),
                )
            }
        });
    let started = Instant::now();
    let (mut pages, mut sent) = (0u32, 0);
    while started.elapsed() < RUN_FOR {
        let request = Request::get("/")
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .expect("request");
        let response = service
            .ready()
            .await
            .expect("ready")
            .call(request)
            .await
            .expect("response");
        sent = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .len();
        pages += 1;
    }
    (f64::from(pages) / started.elapsed().as_secs_f64(), sent)
}

fn main() {
    let path = std::env::var("PRIMARYPOINT_BENCH_PAGE")
        .expect("PRIMARYPOINT_BENCH_PAGE names the page to compress");
    let page = Bytes::from(std::fs::read(&path).expect("the page"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // The baseline: tower-http's default, brotli at quality 4, which
        // a browser got before the level was chosen.
        let (default, _) = measure(&page, "br", CompressionLevel::Precise(4)).await;
        println!(
            "| encoding | level | bytes | pages/s on one core | CPU per page | **ratio** (÷ brotli 4) |\n\
             |---|---:|---:|---:|---:|---:|\n\
             | none | – | {} | – | – | – |",
            page.len()
        );
        for (encoding, levels) in [("br", [1, 2, 3, 4]), ("gzip", [1, 2, 4, 6])] {
            for level in levels {
                let (rate, bytes) = measure(&page, encoding, CompressionLevel::Precise(level)).await;
                // A layer built without this encoding passes the page on as
                // it is: a figure for work not done.
                assert!(
                    bytes < page.len(),
                    "{encoding} left the page as it was: is tower-http's compression-{encoding} feature on for benches?"
                );
                println!(
                    "| {encoding} | {level} | {bytes} | {rate:.0} | {:.0} µs | **{:.2}** |",
                    1e6 / rate,
                    rate / default
                );
            }
        }
    });
}
