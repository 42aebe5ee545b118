//! The `primarypoint` binary as an operator meets it: start-up, bad
//! settings, help text and SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn primarypoint() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_primarypoint"));
    // Start from a clean slate whatever the developer's shell exports.
    for var in [
        "DATABASE_URL",
        "LISTEN_ADDR",
        "SECRET_KEY",
        "PUBLIC_URL",
        "LOG_FORMAT",
        "ADMIN_PASSWORD",
        "STORAGE_URL",
        "BACKUP_RECIPIENT",
        "BACKUP_DIR",
        "BACKUP_KEEP",
        "BACKUP_EVERY_HOURS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn an_invalid_setting_stops_start_up_with_one_line_and_exit_code_2() {
    let out = primarypoint()
        .env("LISTEN_ADDR", "not-an-address")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("primarypoint: LISTEN_ADDR: invalid value 'not-an-address'"),
        "{stderr}"
    );

    let out = primarypoint()
        .env("DATABASE_URL", "mysql://root:hunter2@db/x")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "a secret setting is never echoed: {stderr}"
    );
}

#[test]
fn help_lists_the_subcommands_and_every_environment_variable() {
    let out = primarypoint().arg("--help").output().expect("run");
    assert!(out.status.success());
    // Help is wrapped to the terminal's width: compare words, not lines.
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for item in [
        "serve",
        "migrate",
        "admin",
        "backup",
        "restore",
        "ADMIN_PASSWORD",
        "RUST_LOG",
    ] {
        assert!(help.contains(item), "help mentions {item}");
    }
    for var in [
        "LISTEN_ADDR",
        "DATABASE_URL",
        "DATA_DIR",
        "SITE_ROOT",
        "PUBLIC_URL",
        "SECRET_KEY",
        "LOG_FORMAT",
        "TRUST_FORWARDED_FOR",
        "MAX_BODY_BYTES",
        "DB_MAX_CONNECTIONS",
        "SEED_DEMO_CONTENT",
        "SHUTDOWN_GRACE_SECS",
        "PRODUCT_NAME",
        "LOGO_PATH",
        "ORGANISATION_NAME",
        "CONTROLLER_ADDRESS",
        "CONTACT_EMAIL",
        "CONTACT_PHONE",
        "DPO_EMAIL",
        "MEMBER_RETENTION_MONTHS",
        "RIGHTS_RETENTION_MONTHS",
        "AUDIT_RETENTION_MONTHS",
        "BACKUP_RECIPIENT",
        "BACKUP_DIR",
        "BACKUP_KEEP",
        "BACKUP_EVERY_HOURS",
    ] {
        assert!(help.contains(&format!("[env: {var}=]")), "help lists {var}");
    }
    let readme = include_str!("../../../README.md");
    for var in [
        "LISTEN_ADDR",
        "DATABASE_URL",
        "SECRET_KEY",
        "MEMBER_RETENTION_MONTHS",
        "AUDIT_RETENTION_MONTHS",
        "ADMIN_PASSWORD",
        "BACKUP_RECIPIENT",
        "BACKUP_KEEP",
    ] {
        assert!(
            readme.contains(&format!("| `{var}` |")),
            "README's table documents {var}"
        );
    }
}

#[test]
fn admin_create_takes_the_password_from_the_environment_never_an_argument() {
    let data = tempfile::tempdir().expect("dir");
    let run = |password: &str| {
        primarypoint()
            .args([
                "admin",
                "create",
                "--email",
                "ada@example.nhs.uk",
                "--name",
                "Ada Lovelace",
            ])
            .env("DATA_DIR", data.path())
            .env("ADMIN_PASSWORD", password)
            .stdin(Stdio::null())
            .output()
            .expect("run")
    };
    let short = run("too short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let created = run("a long enough passphrase");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&created.stdout),
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        !logs.contains("passphrase"),
        "the password never reaches a log line: {logs}"
    );

    let again = run("a long enough passphrase");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let refused = primarypoint()
        .args([
            "admin",
            "create",
            "--email",
            "b@example.nhs.uk",
            "--name",
            "B",
            "--password",
            "x",
        ])
        .output()
        .expect("run");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "there is no --password argument"
    );
}

#[test]
fn backup_and_restore_run_end_to_end() {
    let data = tempfile::tempdir().expect("dir");
    let keys = tempfile::tempdir().expect("dir");
    let key = keys.path().join("backup-key.txt");
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let made = primarypoint()
        .args(["backup", "new-key", "--identity"])
        .arg(&key)
        .output()
        .expect("run");
    assert!(made.status.success(), "{}", stderr(&made));
    let recipient = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert!(recipient.starts_with("age1"), "{recipient}");
    let identity = std::fs::read_to_string(&key).expect("identity file");
    assert!(identity.contains("AGE-SECRET-KEY-1"));
    assert!(
        !stderr(&made).contains("AGE-SECRET-KEY"),
        "the private key is never logged"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = primarypoint()
        .args(["backup", "new-key", "--identity"])
        .arg(&key)
        .output()
        .expect("run");
    assert!(
        !again.status.success(),
        "an identity file is never overwritten"
    );
    assert_eq!(std::fs::read_to_string(&key).expect("kept"), identity);

    let unset = primarypoint()
        .arg("backup")
        .env("DATA_DIR", data.path())
        .output()
        .expect("run");
    assert_eq!(unset.status.code(), Some(1));
    assert!(
        stderr(&unset).contains("BACKUP_RECIPIENT is not set"),
        "{}",
        stderr(&unset)
    );

    let created = primarypoint()
        .args([
            "admin",
            "create",
            "--email",
            "ada@example.nhs.uk",
            "--name",
            "Ada Lovelace",
        ])
        .env("DATA_DIR", data.path())
        .env("ADMIN_PASSWORD", "a long enough passphrase")
        .output()
        .expect("run");
    assert!(created.status.success(), "{}", stderr(&created));
    let backup = primarypoint()
        .arg("backup")
        .env("DATA_DIR", data.path())
        .env("BACKUP_RECIPIENT", &recipient)
        .output()
        .expect("run");
    assert!(backup.status.success(), "{}", stderr(&backup));
    let backups: Vec<_> = std::fs::read_dir(data.path().join("backups"))
        .expect("BACKUP_DIR defaults to DATA_DIR/backups")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");

    let fresh = tempfile::tempdir().expect("dir");
    let restore = || {
        primarypoint()
            .arg("restore")
            .arg("--identity")
            .arg(&key)
            .arg(&backups[0])
            .env("DATA_DIR", fresh.path())
            .output()
            .expect("run")
    };
    let restored = restore();
    assert!(restored.status.success(), "{}", stderr(&restored));
    let refused = restore();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("not empty"),
        "{}",
        stderr(&refused)
    );

    // The restored deployment is the one backed up: Ada is there.
    let duplicate = primarypoint()
        .args([
            "admin",
            "create",
            "--email",
            "ada@example.nhs.uk",
            "--name",
            "Ada Lovelace",
        ])
        .env("DATA_DIR", fresh.path())
        .env("ADMIN_PASSWORD", "another long passphrase")
        .output()
        .expect("run");
    assert!(!duplicate.status.success());
    assert!(
        stderr(&duplicate).contains("already exists"),
        "{}",
        stderr(&duplicate)
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly_within_five_seconds() {
    let (data, site) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut child = primarypoint()
        .env("DATA_DIR", data.path())
        .env("SITE_ROOT", site.path())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "text")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");

    // Wait for the "listening" line, then hold a request open while stopping.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .expect("read");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    let mut keep_alive = std::net::TcpStream::connect(&addr).expect("connect");
    std::io::Write::write_all(&mut keep_alive, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");

    let stopped_at = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit, got {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

/// P12 and one-time links: request logs carry the path, never the query
/// string (where email links put their tokens) or anything from a body.
#[cfg(unix)]
#[test]
fn request_logs_carry_paths_but_never_tokens_or_passwords() {
    use std::io::{Read, Write};
    let (data, site) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut child = primarypoint()
        .env("DATA_DIR", data.path())
        .env("SITE_ROOT", site.path())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .expect("read");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest
                .split(|c: char| c.is_whitespace() || c == '"')
                .next()
                .expect("address")
                .to_owned();
        }
    };
    let token = "5ec7e7a0ken5ec7e7a0ken";
    let password = "hunter2 is my passphrase";
    let body = format!(
        "email=sam%40riverside.example&password={}",
        password.replace(' ', "+")
    );
    for request in [
        format!(
            "GET /verify-email?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    ] {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let log: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = child.wait();
    let log = log.join("\n");
    assert!(log.contains("/verify-email"), "requests are logged: {log}");
    assert!(log.contains("/login"), "requests are logged: {log}");
    assert!(
        !log.contains(token),
        "a link's token reached the log: {log}"
    );
    assert!(
        !log.contains("hunter2"),
        "a password reached the log: {log}"
    );
}

#[test]
fn demo_accounts_are_refused_unless_the_site_is_on_this_machine() {
    let data = tempfile::tempdir().expect("data dir");
    let site = tempfile::tempdir().expect("site root");
    let refused = primarypoint()
        .env("DATA_DIR", data.path())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("PUBLIC_URL", "https://portal.example.nhs.uk")
        .env("DEMO_ACCOUNTS", "true")
        .env("SITE_ROOT", site.path())
        .arg("serve")
        .output()
        .expect("run");
    assert!(!refused.status.success(), "the server did not start");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("DEMO_ACCOUNTS"), "{stderr}");
    // Nothing was created: the demo administrator's address is still free.
    let out = primarypoint()
        .env("DATA_DIR", data.path())
        .env("ADMIN_PASSWORD", "a long enough passphrase")
        .args([
            "admin",
            "create",
            "--email",
            "demo.admin@primarypoint.example",
            "--name",
            "Check",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn audit_verify_names_an_altered_event_and_fails() {
    let data = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        primarypoint()
            .args(args)
            .env("DATA_DIR", data.path())
            .env("ADMIN_PASSWORD", "a long enough passphrase")
            .stdin(Stdio::null())
            .output()
            .expect("run")
    };
    let created = run(&[
        "admin",
        "create",
        "--email",
        "ada@example.nhs.uk",
        "--name",
        "Ada",
    ]);
    assert!(created.status.success());
    let intact = run(&["audit", "verify"]);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stderr).contains("the audit chain is intact"));

    // Someone with the database file rewrites what an event says.
    let url = format!(
        "sqlite:{}?mode=rw",
        data.path().join("primarypoint.db").display()
    );
    let db = backend::Db::connect(&url, &backend::db::PoolSettings::default())
        .await
        .expect("database");
    let (id, seq): (i64, i64) =
        sqlx::query_as("select id, seq from audit_events order by seq desc limit 1")
            .fetch_one(db.pool())
            .await
            .expect("an event");
    sqlx::query("update audit_events set actor = 'system' where id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .expect("tamper");
    db.close().await;

    let broken = run(&["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains(&format!("event #{seq} (id {id}) was altered")),
        "{said}"
    );
}

#[test]
fn the_server_refuses_to_keep_private_files_where_the_site_is_served_from() {
    let site = tempfile::tempdir().expect("site root");
    let data = site.path().join("data");
    let mut server = primarypoint()
        .env("SITE_ROOT", site.path())
        .env("DATA_DIR", &data)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    // A server that starts would run until stopped: give it ten seconds.
    let started = Instant::now();
    while server.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            server.kill().expect("kill");
            panic!("the server started with its data inside the site root");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let refused = server.wait_with_output().expect("output");
    assert!(!refused.status.success(), "the server did not start");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("DATA_DIR") && stderr.contains("inside SITE_ROOT"),
        "{stderr}"
    );
    // Nothing was written where the site is served from.
    assert!(!data.exists(), "no database or secret key under the site");
}
