//! `primarypoint`: serve the site (the default), migrate, or run an
//! administrative task. Everything lives in the library; see `lib.rs`.

fn main() -> std::process::ExitCode {
    server::main()
}
