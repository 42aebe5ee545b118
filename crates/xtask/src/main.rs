//! `cargo xtask run`  — install what is missing, then serve the site at
//!                      http://127.0.0.1:3000 on SQLite under ./data.
//! `cargo xtask test` — every check a change must pass, in order, stopping
//!                      at the first failure with a summary.
//!
//! Build output and installed tools live outside the clone (under
//! `$HOME/.cache/primarypoint` unless `CARGO_TARGET_DIR` / `PRIMARYPOINT_TOOLS`
//! say otherwise) so every clone and every run reuses them.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout)]

use std::env;
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const CARGO_LEPTOS_VERSION: &str = "0.3.10";
/// Must equal the `wasm-bindgen` pinned in the workspace Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let ctx = match Context::new() {
        Ok(ctx) => ctx,
        Err(error) => {
            eprintln!("xtask: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&ctx, args.iter().any(|a| a == "--release")),
        Some("test") => test(&ctx),
        Some("tools") => ensure_tools(&ctx),
        Some("bench") => bench::run(&ctx),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run [--release]  serve the site at http://127.0.0.1:3000\n  test             fmt, clippy, tests on SQLite and PostgreSQL, release build, browser tests\n  tools            install missing build tools only\n  bench            load-test the release build and measure bundle sizes (see BENCHMARKS.md)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nxtask: {error}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

/// `cargo xtask bench`: the numbers in BENCHMARKS.md.
mod bench;
mod lighthouse;

/// Paths and environment shared by every step.
struct Context {
    root: PathBuf,
    tools: PathBuf,
    target_dir: PathBuf,
    path: OsString,
    ci: bool,
}

impl Context {
    fn new() -> Result<Self> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .ok_or("cannot find the workspace root")?
            .to_path_buf();
        let cache = env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cache/primarypoint"))
            .unwrap_or_else(|| root.join("target/cache"));
        let tools = env::var_os("PRIMARYPOINT_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("tools"));
        let target_dir = env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("target"));
        let mut paths = vec![tools.join("bin"), root.join("end2end/node_modules/.bin")];
        paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        let path = env::join_paths(paths).map_err(|e| e.to_string())?;
        let ci = env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        Ok(Self {
            root,
            tools,
            target_dir,
            path,
            ci,
        })
    }

    /// A command run from the workspace root with our PATH and target dir.
    fn cmd(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.root)
            .env("PATH", &self.path)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        if self.ci {
            // Each clone's incremental caches stay in the shared target
            // directory for ever; a run from a fresh clone never reuses
            // them, so CI writes none.
            cmd.env("CARGO_INCREMENTAL", "0");
        }
        cmd
    }
}

/// Runs a command, echoing it first; fails with its exit status.
pub(crate) fn exec(mut cmd: Command) -> Result {
    let shown = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// The trimmed stdout of a command, or `None` if it could not run or failed.
pub(crate) fn output(mut cmd: Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub(crate) fn section(title: &str) {
    println!("\n==> {title}");
}

// ---------------------------------------------------------------- tools --

fn ensure_tools(ctx: &Context) -> Result {
    section("Checking build tools");
    let installed =
        output(ctx.cmd("rustup", &["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|t| t == "wasm32-unknown-unknown") {
        println!("wasm32-unknown-unknown target: present");
    } else {
        println!("installing the wasm32-unknown-unknown target");
        exec(ctx.cmd("rustup", &["target", "add", "wasm32-unknown-unknown"]))?;
    }

    let root = ctx.tools.to_string_lossy().into_owned();
    let leptos = output(ctx.cmd("cargo-leptos", &["--version"])).unwrap_or_default();
    if leptos.contains(CARGO_LEPTOS_VERSION) {
        println!("cargo-leptos {CARGO_LEPTOS_VERSION}: present");
    } else {
        println!(
            "installing cargo-leptos {CARGO_LEPTOS_VERSION} into {root} (about 13 minutes, once)"
        );
        exec(ctx.cmd(
            "cargo",
            &[
                "install",
                "--locked",
                "--root",
                &root,
                &format!("cargo-leptos@{CARGO_LEPTOS_VERSION}"),
            ],
        ))?;
    }

    let bindgen = output(ctx.cmd("wasm-bindgen", &["--version"])).unwrap_or_default();
    if bindgen.contains(WASM_BINDGEN_VERSION) {
        println!("wasm-bindgen {WASM_BINDGEN_VERSION}: present");
    } else {
        println!(
            "installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} into {root} (about 2 minutes, once)"
        );
        // Not --locked: one of its locked dependencies is no longer on the registry.
        exec(ctx.cmd(
            "cargo",
            &[
                "install",
                "--root",
                &root,
                "wasm-bindgen-cli",
                "--version",
                WASM_BINDGEN_VERSION,
            ],
        ))?;
    }

    ensure_smtp_peer(ctx)?;
    ensure_npm_packages(ctx)
}

/// The pinned aiosmtpd, a real SMTP server the mail tests deliver to.
const AIOSMTPD_VERSION: &str = "1.4.6";
/// The pinned moto, whose server is the S3 the file storage tests use.
const MOTO_VERSION: &str = "5.2.5";

impl Context {
    /// The Python that has aiosmtpd and moto, in a virtual environment of
    /// our own.
    fn smtp_python(&self) -> PathBuf {
        self.tools.join("venv/bin/python")
    }
}

fn ensure_smtp_peer(ctx: &Context) -> Result {
    let python = ctx.smtp_python();
    let python = python.to_string_lossy();
    let version = |module: &str| {
        output(ctx.cmd(
            &python,
            &[
                "-c",
                &format!("import importlib.metadata as m; print(m.version('{module}'))"),
            ],
        ))
        .unwrap_or_default()
    };
    let wanted = [
        (
            "aiosmtpd",
            AIOSMTPD_VERSION,
            "SMTP server for mail tests",
            "aiosmtpd",
        ),
        (
            "moto",
            MOTO_VERSION,
            "S3 server for file storage tests",
            "moto[server]",
        ),
    ];
    let mut missing = Vec::new();
    for (name, pinned, what, requirement) in wanted {
        if version(name).trim() == pinned {
            println!("{name} {pinned} ({what}): present");
        } else {
            missing.push(format!("{requirement}=={pinned}"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "installing {} from PyPI into a virtual environment",
        missing.join(" and ")
    );
    let venv = ctx.tools.join("venv");
    if !ctx.smtp_python().exists() {
        exec(ctx.cmd("python3", &["-m", "venv", &venv.to_string_lossy()]))?;
    }
    let mut args = vec!["-m", "pip", "install", "--quiet"];
    args.extend(missing.iter().map(String::as_str));
    exec(ctx.cmd(&python, &args))
}

/// Playwright, axe-core, wasm-opt (binaryen) and PurgeCSS come from
/// end2end/package.json.
fn ensure_npm_packages(ctx: &Context) -> Result {
    let dir = ctx.root.join("end2end");
    let lock = dir.join("package-lock.json");
    let marker = dir.join("node_modules/.package-lock.json");
    let fresh = match (modified(&lock), modified(&marker)) {
        (Some(lock), Some(marker)) => marker >= lock,
        _ => false,
    };
    if fresh {
        println!("npm packages: present");
        return Ok(());
    }
    println!("installing npm packages (Playwright, axe-core, binaryen, PurgeCSS) in end2end/");
    let mut npm = ctx.cmd("npm", &["ci", "--no-audit", "--no-fund"]);
    npm.current_dir(&dir);
    exec(npm)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

fn ensure_chromium(ctx: &Context) -> Result<String> {
    let path = env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if Path::new(&path).exists() {
        println!("Chromium: {path}");
        return Ok(path);
    }
    println!("installing Debian's chromium (Playwright's own browser download is not used)");
    exec(ctx.cmd("apt-get", &["update", "-qq"]))?;
    exec(ctx.cmd("apt-get", &["install", "-y", "-qq", "chromium"]))?;
    if Path::new(&path).exists() {
        Ok(path)
    } else {
        Err(format!(
            "Chromium is still missing at {path}; set CHROMIUM_PATH"
        ))
    }
}

// ------------------------------------------------------------------ run --

fn run(ctx: &Context, release: bool) -> Result {
    ensure_tools(ctx)?;
    section(&format!(
        "Serving PrimaryPoint at http://127.0.0.1:3000 (Ctrl-C to stop); sign in as {} or {}",
        "demo.member@primarypoint.example", "demo.admin@primarypoint.example"
    ));
    // `cargo leptos serve` rebuilds files as they change and never
    // compresses them: copies left by a release build would be stale.
    for folder in ["pkg", "css"] {
        let dir = ctx.root.join("target/site").join(folder);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path
                .extension()
                .is_some_and(|ext| ext == "br" || ext == "gz")
            {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    let mut args = vec!["leptos", "serve", "--split"];
    if release {
        args.push("--release");
    }
    let mut serve = ctx.cmd("cargo", &args);
    // A local run gets the demo accounts (see the README); the server
    // refuses them anywhere but on this machine.
    serve.env("DEMO_ACCOUNTS", "true");
    exec(serve)
}

/// `cargo leptos build --release --split` (each signed-in page's code in
/// its own wasm chunk), then the NHS.UK stylesheet pruned to the classes
/// the site names (`style/purgecss.config.cjs`), then the static files
/// compressed once (`primarypoint precompress`), as the server sends them.
fn release_build(ctx: &Context) -> Result {
    exec(ctx.cmd("cargo", &["leptos", "build", "--release", "--split"]))?;
    let stylesheet = ctx.root.join("target/site/css/nhsuk-frontend.min.css");
    let size = || std::fs::metadata(&stylesheet).map(|m| m.len()).unwrap_or(0);
    let before = size();
    let purgecss = ctx.root.join("end2end/node_modules/.bin/purgecss");
    exec(ctx.cmd(
        &purgecss.display().to_string(),
        &["--config", "style/purgecss.config.cjs"],
    ))?;
    println!(
        "NHS.UK stylesheet pruned to the classes the site names: {before} → {} bytes",
        size()
    );
    let bin = ctx.target_dir.join("release/primarypoint");
    let mut precompress = ctx.cmd(&bin.display().to_string(), &["precompress"]);
    precompress.env("SITE_ROOT", ctx.root.join("target/site"));
    exec(precompress)
}

/// The most the wasm a public page loads first may weigh, as sent
/// (brotli), in bytes.
const FIRST_WASM_BUDGET: u64 = 250_000;
/// The most any wasm chunk loaded later may weigh, as sent.
const CHUNK_BUDGET: u64 = 150_000;

/// One wasm file of the release build and what it weighs.
pub(crate) struct Wasm {
    pub name: String,
    /// Whether it is the module every page loads first.
    pub first: bool,
    /// Its `.br` copy, as the server sends it.
    pub brotli: u64,
}

/// The wasm files under `pkg`, the first one first, with their sizes as
/// sent; run after `primarypoint precompress`.
pub(crate) fn wasm_files(pkg: &Path) -> Result<Vec<Wasm>> {
    let entries = std::fs::read_dir(pkg).map_err(|e| format!("{}: {e}", pkg.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".wasm") {
            continue;
        }
        let br = pkg.join(format!("{name}.br"));
        let brotli = std::fs::metadata(&br)
            .map_err(|e| format!("{}: {e}", br.display()))?
            .len();
        files.push(Wasm {
            first: name.starts_with("primarypoint."),
            brotli,
            name,
        });
    }
    files.sort_by_key(|wasm| (!wasm.first, wasm.name.clone()));
    match files.iter().filter(|wasm| wasm.first).count() {
        1 => Ok(files),
        n => Err(format!(
            "expected one primarypoint.*.wasm in {}, found {n}",
            pkg.display()
        )),
    }
}

/// Fails when the first wasm or any chunk is over its budget. Prints the
/// first wasm, the largest chunk and every file over.
fn bundle_budget(ctx: &Context) -> Result {
    let files = wasm_files(&ctx.root.join("target/site/pkg"))?;
    let budget = |wasm: &Wasm| {
        if wasm.first {
            FIRST_WASM_BUDGET
        } else {
            CHUNK_BUDGET
        }
    };
    let line = |what: &str, wasm: &Wasm| {
        println!(
            "{what:<14}{:>9} bytes brotli (budget {:>7})  {}",
            wasm.brotli,
            budget(wasm),
            wasm.name
        );
    };
    let chunks = files.iter().filter(|wasm| !wasm.first);
    if let Some(first) = files.iter().find(|wasm| wasm.first) {
        line("loaded first", first);
    }
    if let Some(largest) = chunks.clone().max_by_key(|wasm| wasm.brotli) {
        line("largest chunk", largest);
    }
    println!("{} chunks in all", chunks.count());
    let over: Vec<String> = files
        .iter()
        .filter(|wasm| wasm.brotli > budget(wasm))
        .map(|wasm| {
            format!(
                "{} is {} bytes, over {}",
                wasm.name,
                wasm.brotli,
                budget(wasm)
            )
        })
        .collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!("over the bundle budget: {}", over.join("; ")))
    }
}

// ----------------------------------------------------------------- test --

struct Step {
    name: &'static str,
    took: Duration,
    outcome: Outcome,
}

#[derive(PartialEq)]
enum Outcome {
    Passed,
    Skipped(String),
    Failed(String),
}

fn test(ctx: &Context) -> Result {
    let started = Instant::now();
    let mut steps: Vec<Step> = Vec::new();
    let mut run_step =
        |name: &'static str, f: &mut dyn FnMut() -> Result<Option<String>>| -> bool {
            section(name);
            let begun = Instant::now();
            let outcome = match f() {
                Ok(None) => Outcome::Passed,
                Ok(Some(why)) => Outcome::Skipped(why),
                Err(error) => Outcome::Failed(error),
            };
            let failed = matches!(outcome, Outcome::Failed(_));
            steps.push(Step {
                name,
                took: begun.elapsed(),
                outcome,
            });
            !failed
        };

    let postgres = PostgresForTests::find(ctx);
    let port = free_port()?;
    let ok = run_step("Build tools", &mut || ensure_tools(ctx).map(|()| None))
        && run_step("Formatting (cargo fmt --check)", &mut || {
            exec(ctx.cmd("cargo", &["fmt", "--all", "--check"])).map(|()| None)
        })
        && run_step("Lints, server build (clippy -D warnings)", &mut || {
            exec(ctx.cmd(
                "cargo",
                &[
                    "clippy",
                    "--locked",
                    "-p",
                    "domain",
                    "-p",
                    "backend",
                    "-p",
                    "app",
                    "-p",
                    "server",
                    "-p",
                    "xtask",
                    "--all-targets",
                    "--features",
                    "app/ssr,backend/testing",
                    "--",
                    "-D",
                    "warnings",
                ],
            ))
            .map(|()| None)
        })
        && run_step("Lints, browser build (clippy -D warnings)", &mut || {
            exec(ctx.cmd(
                "cargo",
                &[
                    "clippy",
                    "--locked",
                    "-p",
                    "frontend",
                    "-p",
                    "app",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--features",
                    "app/hydrate",
                    "--",
                    "-D",
                    "warnings",
                ],
            ))
            .map(|()| None)
        })
        && run_step(
            "Unit and integration tests (SQLite and PostgreSQL)",
            &mut || {
                let mut cmd = ctx.cmd(
                    "cargo",
                    &[
                        "test",
                        "--locked",
                        "-p",
                        "domain",
                        "-p",
                        "backend",
                        "-p",
                        "app",
                        "-p",
                        "server",
                        "-p",
                        "xtask",
                        "--features",
                        "app/ssr,backend/testing",
                    ],
                );
                cmd.env("PRIMARYPOINT_TEST_PYTHON", ctx.smtp_python());
                let skipped = match &postgres {
                    Ok(pg) => {
                        cmd.env("PRIMARYPOINT_TEST_POSTGRES", &pg.url)
                            .env("PRIMARYPOINT_TEST_DB_PREFIX", &pg.prefix);
                        None
                    }
                    Err(why) if ctx.ci => {
                        return Err(format!("PostgreSQL is required in CI: {why}"));
                    }
                    Err(why) => {
                        cmd.env_remove("PRIMARYPOINT_TEST_POSTGRES");
                        println!("PostgreSQL tests will be skipped: {why}");
                        Some(format!("PostgreSQL part skipped: {why}"))
                    }
                };
                let result = exec(cmd);
                if let Ok(pg) = &postgres {
                    pg.sweep(ctx);
                }
                result.map(|()| skipped)
            },
        )
        && run_step(
            "Release build (cargo leptos build --release --split, precompress)",
            &mut || release_build(ctx).map(|()| None),
        )
        && run_step("Bundle budget (wasm as sent, brotli)", &mut || {
            bundle_budget(ctx).map(|()| None)
        })
        && run_step("Browser tests (Playwright in Chromium)", &mut || {
            let chromium = ensure_chromium(ctx)?;
            let data = tempdir("e2e")?;
            let mut cmd = ctx.cmd("npx", &["playwright", "test"]);
            cmd.current_dir(ctx.root.join("end2end"))
                .env("CHROMIUM_PATH", chromium)
                .env(
                    "PRIMARYPOINT_BIN",
                    ctx.target_dir.join("release/primarypoint"),
                )
                .env("PRIMARYPOINT_PORT", port.to_string())
                .env("SITE_ROOT", ctx.root.join("target/site"))
                .env("DATA_DIR", &data);
            let result = exec(cmd);
            let _ = std::fs::remove_dir_all(&data);
            result.map(|()| None)
        });

    println!("\n==> Summary ({:.0?} in all)", started.elapsed());
    for step in &steps {
        let (mark, note) = match &step.outcome {
            Outcome::Passed => ("passed ", String::new()),
            Outcome::Skipped(why) => ("partial", format!(" — {why}")),
            Outcome::Failed(why) => ("FAILED ", format!(" — {why}")),
        };
        println!("  {mark}  {:<52} {:>6.1?}{note}", step.name, step.took);
    }
    if ok {
        println!("\nAll checks passed.");
        Ok(())
    } else {
        Err("a check failed; see the summary above".to_owned())
    }
}

/// The PostgreSQL server the tests create their databases on.
struct PostgresForTests {
    url: String,
    /// Every database this run creates starts with this.
    prefix: String,
}

impl PostgresForTests {
    fn find(ctx: &Context) -> std::result::Result<Self, String> {
        let url = env::var("PRIMARYPOINT_TEST_POSTGRES")
            .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_owned());
        let prefix = format!("pp_run{}", std::process::id());
        let pg = Self { url, prefix };
        if pg.answers(ctx) {
            return Ok(pg);
        }
        // The project's machines run PostgreSQL; start it if it has stopped.
        if let Some(version) = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|mut dir| dir.next())
            .and_then(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
        {
            println!("PostgreSQL is not answering; starting cluster {version}/main");
            let _ = exec(ctx.cmd(
                "pg_ctlcluster",
                &["--skip-systemctl-redirect", &version, "main", "start"],
            ));
            std::thread::sleep(Duration::from_secs(2));
            if pg.answers(ctx) {
                return Ok(pg);
            }
        }
        Err(format!("no PostgreSQL answers at {}", pg.url))
    }

    fn answers(&self, ctx: &Context) -> bool {
        output(ctx.cmd("psql", &[&self.url, "-tAc", "select 1"])).is_some_and(|out| out == "1")
    }

    /// Drops any database this run left behind (a test that panicked
    /// before its own clean-up).
    fn sweep(&self, ctx: &Context) {
        let query = format!(
            "select datname from pg_database where datname like '{}\\_%'",
            self.prefix
        );
        for name in output(ctx.cmd("psql", &[&self.url, "-tAc", &query]))
            .unwrap_or_default()
            .lines()
        {
            let _ = output(ctx.cmd(
                "psql",
                &[
                    &self.url,
                    "-qc",
                    &format!("drop database if exists {name} with (force)"),
                ],
            ));
        }
    }
}

pub(crate) fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

pub(crate) fn tempdir(label: &str) -> Result<PathBuf> {
    let dir = env::temp_dir().join(format!("primarypoint-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}
