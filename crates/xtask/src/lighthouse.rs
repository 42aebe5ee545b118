//! Lighthouse (mobile profile, Debian's Chromium) against the release
//! server: the public pages, then the member portal signed in as the demo
//! member. Prints the table for BENCHMARKS.md.

use super::{Context, Result, exec, output};
use std::path::{Path, PathBuf};

/// The `lighthouse` package from the npm registry (12.x runs on Node.js
/// 20; 13 needs 22).
const VERSION: &str = "12.8.2";

/// The demo member a local run creates (see the README): address and
/// password.
pub(crate) const DEMO_SIGN_IN: (&str, &str) = (
    "demo.member@primarypoint.example",
    "local demo only, never in production",
);

/// Reads the scores and metrics out of a Lighthouse JSON report.
const SUMMARY_JS: &str = r#"
const report = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
const score = (c) => Math.round(report.categories[c].score * 100);
const audit = (a) => report.audits[a].numericValue;
console.log([score('performance'), score('accessibility'), score('best-practices'), score('seo'),
  (audit('largest-contentful-paint') / 1000).toFixed(2) + ' s',
  Math.round(audit('total-blocking-time')) + ' ms',
  audit('cumulative-layout-shift').toFixed(3)].join(' | '));
"#;

/// Installs Lighthouse under the tools folder if it is missing; returns
/// the path of its command.
fn ensure(ctx: &Context) -> Result<PathBuf> {
    let prefix = ctx.tools.join(format!("lighthouse-{VERSION}"));
    let bin = prefix.join("node_modules/.bin/lighthouse");
    if !bin.exists() {
        println!("installing lighthouse {VERSION} from the npm registry");
        exec(ctx.cmd(
            "npm",
            &[
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                &prefix.display().to_string(),
                &format!("lighthouse@{VERSION}"),
            ],
        ))?;
    }
    Ok(bin)
}

/// The session cookie of the demo member, signed in at `base`.
pub(crate) fn sign_in(ctx: &Context, base: &str) -> Result<String> {
    let head = output(ctx.cmd(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "--data-urlencode",
            &format!("email={}", DEMO_SIGN_IN.0),
            "--data-urlencode",
            &format!("password={}", DEMO_SIGN_IN.1),
            &format!("{base}/api/account/sign-in"),
        ],
    ))
    .ok_or("could not sign in as the demo member")?;
    head.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then_some(value)
        })
        .filter_map(|value| value.trim().split(';').next())
        .find(|pair| pair.contains("session=") && !pair.ends_with('='))
        .map(str::to_owned)
        .ok_or_else(|| format!("signing in set no session cookie:\n{head}"))
}

/// The first address in `page`'s HTML that starts with `prefix` and
/// continues with at least one character of a slug or id.
pub(crate) fn first_link(
    ctx: &Context,
    url: &str,
    cookie: Option<&str>,
    prefix: &str,
) -> Result<String> {
    let mut args = vec!["-sf".to_owned(), url.to_owned()];
    if let Some(cookie) = cookie {
        args.extend(["-H".to_owned(), format!("Cookie: {cookie}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let html = output(ctx.cmd("curl", &args)).ok_or_else(|| format!("could not fetch {url}"))?;
    html.split(&format!("href=\"{prefix}"))
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .find(|tail| !tail.is_empty())
        .map(|tail| format!("{prefix}{tail}"))
        .ok_or_else(|| format!("no link starting {prefix} on {url}"))
}

/// One page's line of the table.
fn audit(
    ctx: &Context,
    bin: &Path,
    chromium: &str,
    url: &str,
    headers: Option<&Path>,
    report: &Path,
) -> Result<String> {
    let mut args = vec![
        url.to_owned(),
        "--quiet".to_owned(),
        "--chrome-flags=--headless=new --no-sandbox".to_owned(),
        "--output=json".to_owned(),
        format!("--output-path={}", report.display()),
        "--only-categories=performance,accessibility,best-practices,seo".to_owned(),
    ];
    if let Some(headers) = headers {
        args.push(format!("--extra-headers={}", headers.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Lighthouse now and then fails to record a load's trace (NO_NAVSTART)
    // and asks to be run again; a page that fails three times in a row
    // fails the benchmark.
    for attempt in 1.. {
        let mut cmd = ctx.cmd(&bin.display().to_string(), &args);
        cmd.env("CHROME_PATH", chromium);
        match exec(cmd) {
            Ok(()) => break,
            Err(error) if attempt < 3 => eprintln!("{url}: {error}; running Lighthouse again"),
            Err(error) => return Err(error),
        }
    }
    output(ctx.cmd("node", &["-e", SUMMARY_JS, &report.display().to_string()]))
        .map(|line| line.trim().to_owned())
        .ok_or_else(|| format!("could not read the Lighthouse report for {url}"))
}

/// Audits every page the benchmark names at `base` (a release server
/// with the demo accounts) and prints the table.
pub fn run(ctx: &Context, base: &str, chromium: &str, scratch: &Path) -> Result {
    let bin = ensure(ctx)?;
    let cookie = sign_in(ctx, base)?;
    let headers = scratch.join("lighthouse-headers.json");
    std::fs::write(&headers, format!("{{\"Cookie\": \"{cookie}\"}}")).map_err(|e| e.to_string())?;
    let service = first_link(ctx, &format!("{base}/services"), None, "/services/")?;
    let resource = first_link(
        ctx,
        &format!("{base}/portal/library"),
        Some(&cookie),
        "/portal/library/",
    )?;
    let public = [
        "/".to_owned(),
        "/services".to_owned(),
        service,
        "/page/privacy-policy".to_owned(),
        "/contact".to_owned(),
        "/register".to_owned(),
        "/login".to_owned(),
    ];
    let signed_in = ["/portal".to_owned(), "/portal/library".to_owned(), resource];
    let report = scratch.join("lighthouse.json");
    let mut rows = Vec::new();
    for (path, headers) in public
        .iter()
        .map(|p| (p, None))
        .chain(signed_in.iter().map(|p| (p, Some(headers.as_path()))))
    {
        let line = audit(
            ctx,
            &bin,
            chromium,
            &format!("{base}{path}"),
            headers,
            &report,
        )?;
        rows.push(format!("| `{path}` | {line} |"));
    }
    println!(
        "\n| page | performance | accessibility | best practices | SEO | LCP | TBT | CLS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
