//! Measures the release build on this machine and prints the tables for
//! BENCHMARKS.md. Every figure that matters is a ratio against a baseline
//! measured in the same run, so a slower or busier machine moves both.

use super::{Context, Result, exec, free_port, output, section, tempdir};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTIONS: &str = "50";
const DURATION: &str = "15s";
/// What a browser sends, so every figure is for the bytes a browser gets.
const BROWSER_ENCODING: &str = "gzip, deflate, br, zstd";
/// The mixed soak: public pages, sign-ins and the library.
const SOAK_MINUTES: u64 = 10;

pub fn run(ctx: &Context) -> Result {
    for tool in ["wrk"] {
        if output(ctx.cmd("sh", &["-c", &format!("command -v {tool}")])).is_none() {
            println!("installing {tool}");
            exec(ctx.cmd("apt-get", &["install", "-y", "-qq", tool]))?;
        }
    }
    super::ensure_tools(ctx)?;
    section("Release build");
    super::release_build(ctx)?;

    section("Bundle sizes");
    // As sent: the `.gz` (gzip -9) and `.br` (brotli -q 11) copies that
    // `primarypoint precompress` wrote beside each file.
    let site = ctx.root.join("target/site");
    let len = |name: &str| {
        std::fs::metadata(site.join(name))
            .map(|m| m.len())
            .map_err(|e| format!("{name}: {e}"))
    };
    let sizes = |name: &str| -> Result<[u64; 3]> {
        Ok([
            len(name)?,
            len(&format!("{name}.gz"))?,
            len(&format!("{name}.br"))?,
        ])
    };
    let named = |folder: &str, prefix: &str, suffix: &str| -> Result<String> {
        std::fs::read_dir(site.join(folder))
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .find(|name| name.starts_with(prefix) && name.ends_with(suffix))
            .map(|name| format!("{folder}/{name}"))
            .ok_or_else(|| format!("no {folder}/{prefix}*{suffix}"))
    };
    println!("| file | raw | gzip -9 | brotli -q 11 |\n|---|---:|---:|---:|");
    let row = |label: &str, [raw, gz, br]: [u64; 3]| {
        println!("| {label} | {} | {} | {} |", kib(raw), kib(gz), kib(br));
    };
    let wasm = super::wasm_files(&site.join("pkg"))?;
    let first = wasm.iter().find(|w| w.first).ok_or("no first wasm")?;
    row(
        &format!("`pkg/{}` (every page, first)", first.name),
        sizes(&format!("pkg/{}", first.name))?,
    );
    for (folder, prefix, suffix) in [
        ("pkg", "primarypoint.", ".js"),
        ("pkg", "__wasm_split.", ".js"),
        ("pkg", "primarypoint.", ".css"),
        ("css", "nhsuk-frontend", ".css"),
    ] {
        let name = named(folder, prefix, suffix)?;
        row(&format!("`{name}`"), sizes(&name)?);
    }
    let chunks: Vec<&super::Wasm> = wasm.iter().filter(|w| !w.first).collect();
    if let Some(largest) = chunks.iter().max_by_key(|w| w.brotli) {
        row(
            &format!("largest chunk, `pkg/{}`", largest.name),
            sizes(&format!("pkg/{}", largest.name))?,
        );
    }
    // The home page's own chunk (the lazy route `HomePage`).
    if let Some(home) = chunks
        .iter()
        .find(|w| w.name.starts_with("split___home_page_"))
    {
        row(
            &format!("the home page's chunk, `pkg/{}`", home.name),
            sizes(&format!("pkg/{}", home.name))?,
        );
    }
    let mut all = [0; 3];
    for chunk in &chunks {
        for (sum, size) in all.iter_mut().zip(sizes(&format!("pkg/{}", chunk.name))?) {
            *sum += size;
        }
    }
    row(&format!("all {} chunks together", chunks.len()), all);

    section("Home page against a static file of the same bytes");
    let site = tempdir("bench-site")?;
    let data = tempdir("bench-data")?;
    exec(ctx.cmd(
        "cp",
        &[
            // Times kept: the server drops compressed copies older than
            // their files.
            "-a",
            &format!("{}/.", ctx.root.join("target/site").display()),
            &site.display().to_string(),
        ],
    ))?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(ctx, port, &site, &data)?;
    wait_ready(&base)?;
    let home = output(ctx.cmd("curl", &["-sf", &format!("{base}/")]))
        .ok_or("could not fetch the home page")?;
    // The page's own bytes, so compressing the file costs what compressing
    // the page does. Served by the pages' fallback, through the same
    // middleware, from memory after the first request.
    std::fs::write(site.join("same-bytes.html"), &home).map_err(|e| e.to_string())?;
    println!("home page: {} bytes of HTML", home.len());
    std::thread::sleep(Duration::from_secs(2));
    let idle = server.rss_kib("VmRSS")?;

    let _warm = wrk(ctx, &format!("{base}/"), "3s")?;
    let page = wrk(ctx, &format!("{base}/"), DURATION)?;
    let file = wrk(ctx, &format!("{base}/same-bytes.html"), DURATION)?;
    // Any cookie at all, and the page is rendered for the request, as for
    // someone signed in, rather than copied from a first-time visitor's.
    let encoding = format!("Accept-Encoding: {BROWSER_ENCODING}");
    let rendered = wrk_headers(
        ctx,
        &format!("{base}/"),
        DURATION,
        &[&encoding, "Cookie: bench=1"],
    )?;

    section("The home page by encoding (compressed per request)");
    let mut encodings = Vec::new();
    for encoding in ["gzip", ""] {
        let load = wrk_encoded(ctx, &format!("{base}/"), DURATION, encoding)?;
        let bytes = sent_bytes(ctx, &format!("{base}/"), encoding)?;
        encodings.push((encoding, load, bytes));
    }

    section("The NHS.UK stylesheet (precompressed at build time)");
    let stylesheet = home
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with("/css/nhsuk-frontend"))
        .ok_or("the home page links no NHS.UK stylesheet")?
        .to_owned();
    let css = wrk(ctx, &format!("{base}{stylesheet}"), DURATION)?;

    section("Sign-ins against raw Argon2id verifies");
    let email = "bench@csu.example";
    let mut admin = ctx.cmd(
        &ctx.target_dir
            .join("release/primarypoint")
            .display()
            .to_string(),
        &["admin", "create", "--email", email, "--name", "Bench Admin"],
    );
    admin
        .env("DATA_DIR", &data)
        .env("ADMIN_PASSWORD", SIGN_IN_PASSWORD)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL");
    exec(admin)?;
    let script = data.join("sign-in.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\n\
             wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
             wrk.body = \"email={}&password={}\"\n",
            email.replace('@', "%40"),
            SIGN_IN_PASSWORD.replace(' ', "+")
        ),
    )
    .map_err(|e| e.to_string())?;
    let sign_ins = wrk_script(
        ctx,
        &format!("{base}/api/account/sign-in"),
        "10",
        DURATION,
        &script,
    )?;
    let raw = argon2_verifies(ctx)?;

    // The home page while a sign-in flood runs alongside.
    let flood = ctx
        .cmd(
            "wrk",
            &[
                "-t1",
                "-c20",
                "-d20s",
                "-s",
                &script.display().to_string(),
                &format!("{base}/api/account/sign-in"),
            ],
        )
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the sign-in flood: {e}"))?;
    std::thread::sleep(Duration::from_secs(2));
    let busy = wrk(ctx, &format!("{base}/"), DURATION)?;
    let mut flood = flood;
    let _ = flood.wait();

    let loaded = server.rss_kib("VmHWM")?;

    println!(
        "\n| measure | value |\n|---|---:|\n\
         | raw Argon2id verifies/s (all cores) | {raw:.1} |\n\
         | sign-ins/s (`POST /api/account/sign-in`, 10 connections) | {:.1} |\n\
         | **ratio** (sign-ins ÷ verifies) | **{:.2}** |\n\
         | home page p99 at rest | {:.2} ms |\n\
         | home page p99 during a sign-in flood | {:.2} ms |\n\
         | **ratio** (flood ÷ rest) | **{:.2}×** |",
        sign_ins.rps,
        sign_ins.rps / raw,
        page.p99_ms,
        busy.p99_ms,
        busy.p99_ms / page.p99_ms
    );

    println!(
        "\n| {CONNECTIONS} connections, {DURATION} | requests/s | p99 latency |\n|---|---:|---:|\n\
         | home page `/`, first-time visitors (kept rendered) | {:.0} | {:.2} ms |\n\
         | home page `/`, with a cookie (rendered per request) | {:.0} | {:.2} ms |\n\
         | static file, the same bytes (from memory) | {:.0} | {:.2} ms |\n\
         | **ratio** (first-time visitors' page ÷ file) | **{:.2}** | {:.2}× |",
        page.rps,
        page.p99_ms,
        rendered.rps,
        rendered.p99_ms,
        file.rps,
        file.p99_ms,
        page.rps / file.rps,
        page.p99_ms / file.p99_ms
    );

    println!(
        "\n| the home page asking for | bytes sent | requests/s | p99 latency |\n|---|---:|---:|---:|"
    );
    for (encoding, load, bytes) in &encodings {
        let label = match *encoding {
            "" => "no compression",
            _ => "gzip (level 1, per request)",
        };
        println!(
            "| {label} | {bytes} | {:.0} | {:.2} ms |",
            load.rps, load.p99_ms
        );
    }
    println!(
        "\n| measure | value |\n|---|---:|\n\
         | stylesheet `{stylesheet}` requests/s | {:.0} |\n\
         | stylesheet p99 | {:.2} ms |\n\
         | RSS idle, after start | {:.1} MiB |\n\
         | RSS peak, after the loads above | {:.1} MiB |",
        css.rps,
        css.p99_ms,
        idle as f64 / 1024.0,
        loaded as f64 / 1024.0,
    );

    section("Lighthouse, mobile profile (public pages, then signed in as the demo member)");
    let chromium = super::ensure_chromium(ctx)?;
    crate::lighthouse::run(ctx, &base, &chromium, &data)?;

    section(&format!(
        "A {SOAK_MINUTES}-minute mixed soak: memory each minute"
    ));
    let soak = soak(ctx, &base, &data, &server)?;
    let peak = server.rss_kib("VmHWM")?;

    server.stop();
    let _ = std::fs::remove_dir_all(&site);
    let _ = std::fs::remove_dir_all(&data);

    println!(
        "\n| soak minute | requests/s | p99 latency | RSS | sign-ins | of which throttled |\n\
         |---:|---:|---:|---:|---:|---:|"
    );
    for (number, minute) in soak.iter().enumerate() {
        println!(
            "| {} | {:.0} | {:.2} ms | {:.1} MiB | {} | {} |",
            number + 1,
            minute.load.rps,
            minute.load.p99_ms,
            minute.rss_kib as f64 / 1024.0,
            minute.sign_ins,
            minute.throttled
        );
    }
    println!(
        "\nRSS peak over the whole run, soak included: {:.1} MiB",
        peak as f64 / 1024.0
    );

    section("Compressing the home page per request, by level (one core)");
    let home_html = tempdir("bench-page")?.join("home.html");
    std::fs::write(&home_html, &home).map_err(|e| e.to_string())?;
    let mut levels = ctx.cmd(
        "cargo",
        &[
            "bench",
            "--locked",
            "-p",
            "server",
            "--bench",
            "html_compression",
        ],
    );
    levels.env("PRIMARYPOINT_BENCH_PAGE", &home_html);
    exec(levels)?;

    section("The library at 100,000 resources (SQLite and PostgreSQL)");
    let mut library = ctx.cmd(
        "cargo",
        &[
            "bench",
            "--locked",
            "-p",
            "backend",
            "--bench",
            "library_search",
        ],
    );
    library.env(
        "PRIMARYPOINT_TEST_POSTGRES",
        std::env::var("PRIMARYPOINT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
    );
    exec(library)?;

    section("A 50 MB upload: throughput and memory");
    exec(ctx.cmd(
        "cargo",
        &[
            "bench",
            "--locked",
            "-p",
            "backend",
            "--bench",
            "upload_stream",
        ],
    ))
}

const SIGN_IN_PASSWORD: &str = "benchmark horse battery staple";

/// Raw verifies per second from the backend's own benchmark binary.
fn argon2_verifies(ctx: &Context) -> Result<f64> {
    let out = output(ctx.cmd(
        "cargo",
        &[
            "bench",
            "--locked",
            "-p",
            "backend",
            "--bench",
            "argon2_verify",
        ],
    ))
    .ok_or("the Argon2 benchmark failed")?;
    out.lines()
        .find_map(|l| l.strip_prefix("argon2id verifies/s: "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no figure in the Argon2 benchmark's output: {out}"))
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

struct Server(Child);

impl Server {
    fn start(ctx: &Context, port: u16, site: &Path, data: &Path) -> Result<Self> {
        let mut cmd = ctx.cmd(
            &ctx.target_dir
                .join("release/primarypoint")
                .display()
                .to_string(),
            &["serve"],
        );
        cmd.env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("SITE_ROOT", site)
            .env("DATA_DIR", data)
            .env("RUST_LOG", "warn")
            // The demo member, for Lighthouse on the portal's pages.
            .env("DEMO_ACCOUNTS", "true")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null());
        cmd.spawn()
            .map(Self)
            .map_err(|e| format!("starting the server: {e}"))
    }

    /// A memory figure of the server process from `/proc`, in KiB:
    /// `VmRSS` now, or `VmHWM`, the peak so far.
    fn rss_kib(&self, field: &str) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .map_err(|e| format!("reading the server's memory: {e}"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {field} in /proc/{}/status", self.0.id()))
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// How many bytes `url` answers with when asked for `encoding`.
fn sent_bytes(ctx: &Context, url: &str, encoding: &str) -> Result<String> {
    let header = format!("Accept-Encoding: {encoding}");
    let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{size_download}"];
    if !encoding.is_empty() {
        args.extend(["-H", &header]);
    }
    args.push(url);
    output(ctx.cmd("curl", &args))
        .map(|bytes| bytes.trim().to_owned())
        .ok_or_else(|| format!("could not fetch {url}"))
}

/// One minute of the soak.
struct Minute {
    load: Load,
    rss_kib: u64,
    sign_ins: u64,
    /// Sign-ins answered 429 with `Retry-After`: the throttle doing its job
    /// on one account signing in from one address dozens of times a second.
    throttled: u64,
}

/// Public pages, the library signed in, and one sign-in in twenty, for
/// `SOAK_MINUTES`: each minute's throughput, p99, RSS and sign-ins. Any
/// answer of 400 or more fails the soak, except a throttled sign-in.
fn soak(ctx: &Context, base: &str, scratch: &Path, server: &Server) -> Result<Vec<Minute>> {
    let cookie = crate::lighthouse::sign_in(ctx, base)?;
    let service =
        crate::lighthouse::first_link(ctx, &format!("{base}/services"), None, "/services/")?;
    let resource = crate::lighthouse::first_link(
        ctx,
        &format!("{base}/portal/library"),
        Some(&cookie),
        "/portal/library/",
    )?;
    let (email, password) = crate::lighthouse::DEMO_SIGN_IN;
    let script = scratch.join("soak.lua");
    std::fs::write(
        &script,
        format!(
            r#"local pages = {{"/", "/services", "{service}", "/page/privacy-policy", "/contact",
  "/portal", "/portal/library", "/portal/library?q=policy", "{resource}"}}
local n = 0
-- Per thread; `done` adds them up.
sign_ins, throttled, failed = 0, 0, 0
request = function()
  n = n + 1
  if n % 20 == 0 then
    sign_ins = sign_ins + 1
    return wrk.format("POST", "/api/account/sign-in",
      {{["Content-Type"] = "application/x-www-form-urlencoded", ["Accept-Encoding"] = "{BROWSER_ENCODING}"}},
      "email={}&password={}")
  end
  local path = pages[n % #pages + 1]
  -- A table of headers given here replaces wrk's own (`-H`) entirely.
  local headers = {{["Accept-Encoding"] = "{BROWSER_ENCODING}"}}
  if path:sub(1, 7) == "/portal" then headers["Cookie"] = "{cookie}" end
  return wrk.format("GET", path, headers)
end
response = function(status, headers, body)
  if status == 429 and headers["retry-after"] then
    throttled = throttled + 1
  elseif status < 200 or status >= 400 then
    failed = failed + 1
  end
end
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local s, t, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sign_ins")
    t = t + thread:get("throttled")
    f = f + thread:get("failed")
  end
  io.write(string.format("soak: %d sign-ins, %d throttled, %d failed\n", s, t, f))
end
"#,
            email.replace('@', "%40"),
            password.replace(' ', "+").replace(',', "%2C")
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut minutes = Vec::new();
    for _ in 0..SOAK_MINUTES {
        let out = wrk_script_output(ctx, &format!("{base}/"), CONNECTIONS, "60s", &script)?;
        let Some([sign_ins, throttled, failed]) = soak_tally(&out) else {
            return Err(format!("no tally in the soak's output:\n{out}"));
        };
        if failed > 0 {
            return Err(format!("{failed} answers failed in the soak:\n{out}"));
        }
        minutes.push(Minute {
            load: load_figures(&out)?,
            rss_kib: server.rss_kib("VmRSS")?,
            sign_ins,
            throttled,
        });
    }
    Ok(minutes)
}

/// The soak script's own line: sign-ins sent, throttled and failed answers.
fn soak_tally(out: &str) -> Option<[u64; 3]> {
    let line = out.lines().find_map(|l| l.strip_prefix("soak: "))?;
    let counts: Vec<u64> = line
        .split(", ")
        .map(|part| part.split(' ').next()?.parse().ok())
        .collect::<Option<_>>()?;
    counts.try_into().ok()
}

fn wait_ready(base: &str) -> Result {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if Command::new("curl")
            .args(["-sf", &format!("{base}/readyz")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("the server did not become ready".to_owned())
}

struct Load {
    rps: f64,
    p99_ms: f64,
}

fn wrk_script(
    ctx: &Context,
    url: &str,
    connections: &str,
    duration: &str,
    script: &Path,
) -> Result<Load> {
    parse_wrk(&wrk_script_output(ctx, url, connections, duration, script)?)
}

/// wrk's report of a run driven by a Lua `script`, unread.
fn wrk_script_output(
    ctx: &Context,
    url: &str,
    connections: &str,
    duration: &str,
    script: &Path,
) -> Result<String> {
    output(ctx.cmd(
        "wrk",
        &[
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{duration}"),
            "--latency",
            "-H",
            &format!("Accept-Encoding: {BROWSER_ENCODING}"),
            "-s",
            &script.display().to_string(),
            url,
        ],
    ))
    .ok_or_else(|| format!("wrk against {url} failed"))
}

fn wrk(ctx: &Context, url: &str, duration: &str) -> Result<Load> {
    wrk_encoded(ctx, url, duration, BROWSER_ENCODING)
}

/// `wrk` asking for `encoding` (empty: no `Accept-Encoding` at all).
fn wrk_encoded(ctx: &Context, url: &str, duration: &str, encoding: &str) -> Result<Load> {
    let header = format!("Accept-Encoding: {encoding}");
    let headers: &[&str] = if encoding.is_empty() { &[] } else { &[&header] };
    wrk_headers(ctx, url, duration, headers)
}

/// `wrk` sending `headers` with every request.
fn wrk_headers(ctx: &Context, url: &str, duration: &str, headers: &[&str]) -> Result<Load> {
    let mut args = vec!["-t2", "-c", CONNECTIONS, "-d", duration, "--latency"];
    for header in headers {
        args.extend(["-H", header]);
    }
    args.push(url);
    let out = output(ctx.cmd("wrk", &args)).ok_or_else(|| format!("wrk against {url} failed"))?;
    parse_wrk(&out).map_err(|e| format!("{url}: {e}"))
}

/// Requests per second and p99 latency from wrk's report. Any answer of
/// 400 or more under load is a failure, not a figure.
fn parse_wrk(out: &str) -> Result<Load> {
    if out.contains("Non-2xx") {
        return Err(format!("answered with errors under load:\n{out}"));
    }
    load_figures(out)
}

/// Requests per second and p99 latency from wrk's report, whatever the
/// answers' statuses.
fn load_figures(out: &str) -> Result<Load> {
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("no Requests/sec in wrk output")?;
    let p99 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .ok_or("no 99% latency in wrk output")?;
    Ok(Load {
        rps,
        p99_ms: to_ms(p99).ok_or_else(|| format!("cannot read latency {p99}"))?,
    })
}

/// wrk prints latencies like `812.00us`, `3.21ms` or `1.02s`.
fn to_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{soak_tally, to_ms};

    #[test]
    fn reads_the_soak_tally() {
        let out = "Requests/sec: 866.20\nsoak: 2597 sign-ins, 571 throttled, 0 failed\n";
        assert_eq!(soak_tally(out), Some([2597, 571, 0]));
        assert_eq!(soak_tally("soak: 3 sign-ins, x throttled, 0 failed"), None);
        assert_eq!(soak_tally("Requests/sec: 866.20"), None);
    }

    #[test]
    fn reads_wrk_latencies() {
        assert_eq!(to_ms("812.00us"), Some(0.812));
        assert_eq!(to_ms("3.21ms"), Some(3.21));
        assert_eq!(to_ms("1.50s"), Some(1500.0));
        assert_eq!(to_ms("fast"), None);
    }
}
