use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

const ENVIRONMENT_HELP: &str = "\
Every option can also be set by the environment variable shown beside it.
`admin create` reads the new administrator's password from ADMIN_PASSWORD when
it is set, and otherwise asks for it; it never takes it on the command line.
RUST_LOG filters log output (default: info).";

/// PrimaryPoint: the online home of a commissioning support unit's
/// primary-care services.
#[derive(Debug, Parser)]
#[command(name = "primarypoint", version, after_help = ENVIRONMENT_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the website (the default when no subcommand is given).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Customer organisations.
    #[command(subcommand)]
    Organisation(OrganisationCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Deleting personal data past its retention (the server does this on
    /// its own every few minutes).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Make an encrypted backup of the database and every stored file in
    /// BACKUP_DIR now, keeping the newest BACKUP_KEEP. The server makes one
    /// on its own every BACKUP_EVERY_HOURS.
    Backup {
        #[command(subcommand)]
        action: Option<BackupCommand>,
    },
    /// Restore a backup into an empty database (DATABASE_URL) and an empty
    /// file store (STORAGE_URL). A target that holds anything is refused
    /// and left as it was.
    Restore {
        /// The age identity file (the private key) the backup was
        /// encrypted to.
        #[arg(long, value_name = "PATH")]
        identity: PathBuf,
        /// The backup: a primarypoint-….tar.age file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Reads a file on standard input and writes its text to standard
    /// output, under tight limits. The server runs this itself, once per
    /// uploaded file, so a hostile file cannot harm it.
    /// Write a `.br` and a `.gz` beside each stylesheet, script and wasm
    /// file under SITE_ROOT/pkg and SITE_ROOT/css, which the server sends
    /// as they are to browsers that accept them. Run after each release
    /// build (`cargo xtask test` and `cargo xtask bench` do).
    Precompress,
    #[command(hide = true)]
    Extract {
        /// The file's type, as its extension (pdf, docx, xlsx, pptx, odt, csv, txt).
        #[arg(long = "type")]
        file_type: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a new key pair for backups: the private key to a new file at
    /// PATH, readable by you only (keep it away from the server: whoever
    /// holds it can read every backup), and the public key, for
    /// BACKUP_RECIPIENT, to standard output.
    NewKey {
        /// Where to write the identity file; it must not exist.
        #[arg(long, value_name = "PATH")]
        identity: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Delete what is past its retention now, and print what went.
    Run {
        /// Only print what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit event was altered, deleted or moved; names the
    /// first one that was, and exits with status 1.
    Verify,
    /// Delete audit events older than AUDIT_RETENTION_MONTHS, leaving a
    /// signed checkpoint so that the chain still verifies. The server does
    /// this on its own every few minutes.
    Prune,
}

#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// Create a customer organisation and print its authorisation code
    /// (shown this once; only its keyed hash is stored).
    Create {
        #[command(flatten)]
        form: Box<domain::organisation::OrganisationForm>,
        /// A service the organisation subscribes to, by its slug (repeat
        /// for several).
        #[arg(long = "service", value_name = "SLUG")]
        services: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator account (the first one, typically). The
    /// password comes from ADMIN_PASSWORD or a prompt, never an argument.
    Create {
        /// The administrator's work email address (their username).
        #[arg(long)]
        email: String,
        /// The administrator's full name.
        #[arg(long)]
        name: String,
    },
    /// Remove an account's second factor (authenticator app and recovery
    /// codes) and sign it out everywhere, so its owner sets one up again:
    /// after SECRET_KEY has changed, or when they have lost both. The owner
    /// is told by email.
    RemoveSecondFactor {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
}

/// Deployment settings. Nothing needs setting for a local run.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen_addr: SocketAddr,

    /// Database: `sqlite:PATH?mode=rwc` or `postgres://user:pass@host/db`.
    /// Default: SQLite at DATA_DIR/primarypoint.db.
    #[arg(long, env = "DATABASE_URL", value_parser = parse_database_url, global = true)]
    pub database_url: Option<Secret>,

    /// Directory for the SQLite database, the generated secret key and the mail outbox.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Directory holding the built site (`pkg/`, `css/`, favicon).
    #[arg(long, env = "SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: PathBuf,

    /// The site's public origin, used for canonical links and same-origin
    /// checks. Default: http://LISTEN_ADDR.
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url, global = true)]
    pub public_url: Option<String>,

    /// Secret (32+ characters) from which the keys are derived that hash
    /// authorisation codes, client pseudonyms and recovery codes and
    /// encrypt second-factor secrets. Every instance must share it.
    /// Default: generated once into DATA_DIR/secret.key.
    #[arg(long, env = "SECRET_KEY", value_parser = parse_secret_key, global = true)]
    pub secret_key: Option<Secret>,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Take the client's address from the last X-Forwarded-For entry. Set
    /// only behind a load balancer that overwrites that header.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, global = true,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub trust_forwarded_for: bool,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true,
          value_parser = clap::value_parser!(u32).range(1024..=64 * 1024 * 1024))]
    pub max_body_bytes: u32,

    /// Where uploaded files are kept: `file:///absolute/path`,
    /// `s3://bucket[/prefix]` (credentials, region and endpoint from the
    /// usual AWS_… variables) or `az://container[/prefix]` (AZURE_…).
    /// Default: DATA_DIR/files.
    #[arg(long, env = "STORAGE_URL", value_parser = parse_storage_url, global = true)]
    pub storage_url: Option<String>,

    /// Largest file an administrator may upload, in bytes. Only the upload
    /// address accepts a body this large; MAX_BODY_BYTES holds elsewhere.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = domain::files::DEFAULT_MAX_UPLOAD_BYTES,
          global = true, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_upload_bytes: u64,

    /// Most database connections this instance opens for reads. Default:
    /// twice the CPU cores, at least 4, on SQLite (plus one that writes
    /// queue for) and on PostgreSQL on this machine; 16 on PostgreSQL
    /// elsewhere.
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: Option<u32>,

    /// Fill an empty database with demo services and the statutory pages.
    #[arg(long, env = "SEED_DEMO_CONTENT", default_value_t = true, global = true,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub seed_demo_content: bool,

    /// Fill an empty library with demo resources, owned by the first
    /// administrator (added at the first start after one exists).
    #[arg(long, env = "DEMO_LIBRARY", default_value_t = true, global = true,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub demo_library: bool,

    /// Create a demo administrator and a demo member with a published
    /// password. Refused unless PUBLIC_URL is this machine (a local run).
    #[arg(long, env = "DEMO_ACCOUNTS", default_value_t = false, global = true,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub demo_accounts: bool,

    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 4, global = true,
          value_parser = clap::value_parser!(u64).range(0..=120))]
    pub shutdown_grace_secs: u64,

    /// Product name in the header and page titles.
    #[arg(
        long,
        env = "PRODUCT_NAME",
        default_value = "PrimaryPoint",
        global = true
    )]
    pub product_name: String,

    /// A logo shown beside the product name: a path on this site, such as
    /// /brand/logo.svg for SITE_ROOT/brand/logo.svg. Default: no logo.
    #[arg(long, env = "LOGO_PATH", value_parser = parse_logo_path, global = true)]
    pub logo_path: Option<String>,

    /// The organisation that runs the service; also the data controller.
    #[arg(
        long,
        env = "ORGANISATION_NAME",
        default_value = "Example Commissioning Support Unit",
        global = true
    )]
    pub organisation_name: String,

    /// Postal address of the data controller, for the privacy statement.
    #[arg(
        long,
        env = "CONTROLLER_ADDRESS",
        default_value = "1 Example Street, Exampletown, EX1 1AA",
        global = true
    )]
    pub controller_address: String,

    /// Public contact email shown on every page.
    #[arg(
        long,
        env = "CONTACT_EMAIL",
        default_value = "primarypoint@example.nhs.uk",
        global = true
    )]
    pub contact_email: String,

    /// Where the inbox tells the team about a new message (a link, never
    /// the message). Defaults to CONTACT_EMAIL.
    #[arg(long, env = "TEAM_EMAIL", global = true)]
    pub team_email: Option<String>,

    /// Public contact telephone number shown on every page.
    #[arg(
        long,
        env = "CONTACT_PHONE",
        default_value = "01632 960 000",
        global = true
    )]
    pub contact_phone: String,

    /// The data protection officer's email, for the privacy statement.
    #[arg(
        long,
        env = "DPO_EMAIL",
        default_value = "dpo@example.nhs.uk",
        global = true
    )]
    pub dpo_email: String,

    /// Where mail goes: `smtps://user:pass@host:465` (TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtp://host:25`. Unset: one `.eml` file per message in
    /// DATA_DIR/outbox, and a log line.
    #[arg(long, env = "SMTP_URL", value_parser = parse_smtp_url, global = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of every email, as `Name <address>`.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "PrimaryPoint <no-reply@primarypoint.invalid>",
        value_parser = parse_mailbox,
        global = true
    )]
    pub mail_from: String,

    /// How long members of an ended organisation are kept, in months (P9).
    #[arg(long, env = "MEMBER_RETENTION_MONTHS", default_value_t = 6, global = true,
          value_parser = clap::value_parser!(u32).range(1..=120))]
    pub member_retention_months: u32,

    /// How long a message to the team is kept after it was closed, in
    /// months, with its replies and notes (P9).
    #[arg(long, env = "MESSAGE_RETENTION_MONTHS", default_value_t = 24, global = true,
          value_parser = clap::value_parser!(u32).range(1..=120))]
    pub message_retention_months: u32,

    /// How long a data-rights request is kept after it was completed or
    /// refused, in months (P9). The default follows the NHS records
    /// management code, which keeps subject access requests three years
    /// after they close.
    #[arg(long, env = "RIGHTS_RETENTION_MONTHS", default_value_t = 36, global = true,
          value_parser = clap::value_parser!(u32).range(1..=120))]
    pub rights_retention_months: u32,

    /// How long audit events are kept, in months (P5): older ones are
    /// pruned, leaving a signed checkpoint so the chain still verifies.
    #[arg(long, env = "AUDIT_RETENTION_MONTHS", default_value_t = 72, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub audit_retention_months: u32,

    /// The age public key (`age1…`, from `primarypoint backup new-key` or
    /// `age-keygen`) every backup is encrypted to (P11). Unset: no backups
    /// are made, and `primarypoint backup` says why.
    #[arg(long, env = "BACKUP_RECIPIENT", value_parser = backend::backup::parse_recipient,
          global = true)]
    pub backup_recipient: Option<backend::backup::Recipient>,

    /// Directory the backups are written to. Default: DATA_DIR/backups.
    #[arg(long, env = "BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,

    /// How many of the newest backups are kept; older ones are deleted as
    /// each new one is made.
    #[arg(long, env = "BACKUP_KEEP", default_value_t = 14, global = true,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub backup_keep: u32,

    /// Hours between the backups the server makes on its own, when
    /// BACKUP_RECIPIENT is set; 0 turns the schedule off.
    #[arg(long, env = "BACKUP_EVERY_HOURS", default_value_t = 24, global = true,
          value_parser = clap::value_parser!(u32).range(0..=8760))]
    pub backup_every_hours: u32,
}

/// "6 months", "1 month", "6 years": a retention period as the privacy
/// statement says it.
fn months_text(months: u32) -> String {
    use domain::paging::how_many;
    if months.is_multiple_of(12) {
        how_many((months / 12).into(), "year", "years")
    } else {
        how_many(months.into(), "month", "months")
    }
}

impl Config {
    /// How long audit events are kept, in seconds.
    pub fn audit_retention_secs(&self) -> i64 {
        backend::retention::months(self.audit_retention_months)
    }

    /// How long everything else personal is kept.
    pub fn retention(&self) -> backend::retention::Policy {
        backend::retention::Policy {
            member_months: self.member_retention_months,
            message_months: self.message_retention_months,
            rights_months: self.rights_retention_months,
        }
    }

    /// Where backups go and whom they are encrypted to; `None` without
    /// BACKUP_RECIPIENT.
    pub fn backup_plan(&self) -> Option<backend::backup::Plan> {
        Some(backend::backup::Plan {
            recipient: self.backup_recipient.clone()?,
            dir: self
                .backup_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("backups")),
            keep: self.backup_keep as usize,
        })
    }

    /// The first setting that puts private files (the database, the
    /// secret key, uploaded documents, backups) inside SITE_ROOT, whose
    /// files are sent to anyone who asks, with the folder it names.
    pub fn private_files_in_site_root(&self) -> Option<(&'static str, PathBuf)> {
        let site_root = resolved(&self.site_root)?;
        let storage = self
            .storage_url
            .as_deref()
            .and_then(|url| url.strip_prefix("file://"))
            .map(PathBuf::from);
        let database = backend::db::sqlite_file(&self.database_url());
        [
            ("DATA_DIR", Some(self.data_dir.clone())),
            ("DATABASE_URL", database),
            ("STORAGE_URL", storage),
            ("BACKUP_DIR", self.backup_dir.clone()),
        ]
        .into_iter()
        .filter_map(|(name, dir)| Some((name, dir?)))
        .find(|(_, dir)| resolved(dir).is_some_and(|dir| dir.starts_with(&site_root)))
    }
}

/// `path` made absolute, with links resolved where it exists and `..`
/// taken as the parent of what precedes it (so a path through a folder
/// not made yet still resolves).
fn resolved(path: &Path) -> Option<PathBuf> {
    let mut resolved = PathBuf::new();
    for part in std::path::absolute(path).ok()?.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            part => {
                resolved.push(part);
                if let Ok(real) = std::fs::canonicalize(&resolved) {
                    resolved = real;
                }
            }
        }
    }
    Some(resolved)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A setting that must never be printed: `Debug` shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn parse_database_url(raw: &str) -> Result<Secret, String> {
    backend::Backend::from_url(raw)
        .map_err(|_| "expected a URL starting sqlite: or postgres://".to_owned())?;
    Ok(Secret(raw.to_owned()))
}

fn parse_public_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("expected an origin starting http:// or https://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err("expected an origin only, like https://primarypoint.example.nhs.uk".to_owned());
    }
    // Plain HTTP would switch off Secure cookies and HSTS without a word:
    // allowed only for a local run on this machine.
    if trimmed.starts_with("http://") && !is_loopback_host(rest) {
        return Err(
            "plain http:// is only for a local run (localhost, 127.0.0.1 or [::1]); use https://"
                .to_owned(),
        );
    }
    Ok(trimmed.to_owned())
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn parse_logo_path(raw: &str) -> Result<String, String> {
    let local =
        raw.starts_with('/') && !raw.starts_with("//") && !raw.contains(['\\', '"', '<', '>', ' ']);
    if local {
        Ok(raw.to_owned())
    } else {
        Err("expected a path on this site, like /brand/logo.svg (pages load nothing from other hosts)".to_owned())
    }
}

fn parse_storage_url(raw: &str) -> Result<String, String> {
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or("expected file:///path, s3://bucket or az://container")?;
    match scheme {
        "file" if rest.starts_with('/') => Ok(raw.to_owned()),
        "file" => Err("expected an absolute path, like file:///srv/primarypoint/files".to_owned()),
        "s3" | "az" | "azure" | "abfs" | "abfss" if !rest.trim_matches('/').is_empty() => {
            Ok(raw.to_owned())
        }
        _ => Err("expected file:///path, s3://bucket or az://container".to_owned()),
    }
}

fn parse_smtp_url(raw: &str) -> Result<Secret, String> {
    if raw.starts_with("smtp://") || raw.starts_with("smtps://") {
        Ok(Secret(raw.to_owned()))
    } else {
        Err("must start with smtp:// or smtps://".to_owned())
    }
}

fn parse_mailbox(raw: &str) -> Result<String, String> {
    let address = raw
        .rsplit_once('<')
        .map_or(raw, |(_, rest)| rest.trim_end_matches('>'));
    domain::Email::parse(address.trim())
        .map(|_| raw.to_owned())
        .map_err(|_| "must be an email address, optionally as Name <address>".to_owned())
}

fn parse_secret_key(raw: &str) -> Result<Secret, String> {
    if raw.chars().count() < 32 {
        return Err("must be at least 32 characters".to_owned());
    }
    Ok(Secret(raw.to_owned()))
}

impl Cli {
    /// Parses arguments and environment. On a bad setting prints one line
    /// naming the variable and the problem, and asks for exit code 2;
    /// `--help` and `--version` print and ask for 0.
    pub fn parse_env() -> Result<Self, ExitCode> {
        Self::try_parse().map_err(|error| {
            match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = error.print();
                    return ExitCode::SUCCESS;
                }
                _ => eprintln!("primarypoint: {}", one_line(&error)),
            }
            ExitCode::from(2)
        })
    }
}

/// Settings whose wrong value is never echoed. A BACKUP_RECIPIENT that is
/// not a public key may well be the private key pasted by mistake.
const SECRET_SETTINGS: [&str; 3] = ["DATABASE_URL", "SECRET_KEY", "BACKUP_RECIPIENT"];

/// "LISTEN_ADDR: invalid value 'nowhere': invalid socket address syntax"
fn one_line(error: &clap::Error) -> String {
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    // Options are shown as `--listen-addr <LISTEN_ADDR>`: the value name is
    // the environment variable people set.
    let name = arg
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(name, _)| name.to_owned())
        .unwrap_or(arg);
    // Secret settings are never echoed back, even when wrong.
    let value = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) if !SECRET_SETTINGS.contains(&name.as_str()) => {
            format!(" '{value}'")
        }
        _ => String::new(),
    };
    let reason = std::error::Error::source(error)
        .map(ToString::to_string)
        .unwrap_or_else(|| {
            error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned()
        });
    if name.is_empty() {
        reason
    } else {
        format!("{name}: invalid value{value}: {reason}")
    }
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite:{}?mode=rwc",
                self.data_dir.join("primarypoint.db").display()
            ),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen_addr))
    }

    /// Whether the site is served to this machine only (a local run).
    pub fn is_local(&self) -> bool {
        let public_url = self.public_url();
        let authority = public_url
            .strip_prefix("http://")
            .or_else(|| public_url.strip_prefix("https://"))
            .unwrap_or_default();
        is_loopback_host(authority)
    }

    pub fn site_info(&self) -> domain::site::SiteInfo {
        domain::site::SiteInfo {
            product_name: self.product_name.clone(),
            organisation_name: self.organisation_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            public_url: self.public_url(),
            logo_path: self.logo_path.clone(),
        }
    }

    /// Where new-message notices go: TEAM_EMAIL, or CONTACT_EMAIL.
    pub fn team_email(&self) -> anyhow::Result<domain::Email> {
        let raw = self.team_email.as_deref().unwrap_or(&self.contact_email);
        domain::Email::parse(raw).map_err(|e| {
            anyhow::anyhow!("TEAM_EMAIL (or CONTACT_EMAIL) is not an email address: {e}")
        })
    }

    /// `{{name}}` values for the statutory pages.
    pub fn placeholders(&self) -> Vec<(String, String)> {
        [
            ("organisation_name", self.organisation_name.clone()),
            ("controller_name", self.organisation_name.clone()),
            ("controller_address", self.controller_address.clone()),
            ("dpo_email", self.dpo_email.clone()),
            ("accessibility_email", self.contact_email.clone()),
            (
                "member_retention",
                months_text(self.member_retention_months),
            ),
            ("audit_retention", months_text(self.audit_retention_months)),
            (
                "message_retention",
                months_text(self.message_retention_months),
            ),
            (
                "rights_retention",
                months_text(self.rights_retention_months),
            ),
            ("backup_keep", self.backup_keep.to_string()),
            ("cookies", domain::cookies::table()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(std::iter::once("primarypoint").chain(args.iter().copied()))
            .map_err(|e| one_line(&e))
    }

    #[test]
    fn retention_periods_read_as_the_privacy_statement_says_them() {
        for (months, text) in [
            (1, "1 month"),
            (6, "6 months"),
            (12, "1 year"),
            (18, "18 months"),
            (72, "6 years"),
        ] {
            assert_eq!(months_text(months), text);
        }
    }

    #[test]
    fn private_files_are_never_kept_where_the_site_is_served_from() {
        let site = tempfile::tempdir().expect("site");
        let apart = tempfile::tempdir().expect("apart");
        let root = site.path().display().to_string();
        let elsewhere = apart.path().display().to_string();
        let inside = format!("{root}/private");
        let site_name = site.path().file_name().expect("name").to_string_lossy();
        let check = |args: &[&str]| {
            let args = [&["--site-root", &root][..], args].concat();
            parse(&args)
                .expect("settings")
                .config
                .private_files_in_site_root()
                .map(|(name, _)| name)
        };
        assert_eq!(check(&["--data-dir", &elsewhere]), None);
        assert_eq!(check(&["--data-dir", &root]), Some("DATA_DIR"));
        assert_eq!(check(&["--data-dir", &inside]), Some("DATA_DIR"));
        let around = format!("{elsewhere}/../{site_name}/data");
        assert_eq!(check(&["--data-dir", &around]), Some("DATA_DIR"));
        let missing = format!("{root}/missing/../data");
        assert_eq!(check(&["--data-dir", &missing]), Some("DATA_DIR"));
        let encoded =
            percent_encoding::utf8_percent_encode(&inside, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        for database in [
            format!("sqlite://{inside}/primarypoint.db?mode=rwc"),
            format!("sqlite:{inside}/primarypoint.db"),
            format!("sqlite:///{inside}/primarypoint.db"),
            format!("sqlite:file:{inside}/primarypoint.db?mode=rwc"),
            format!("sqlite:file://{inside}/primarypoint.db"),
            format!("sqlite:file://localhost{inside}/primarypoint.db"),
            format!("sqlite:{encoded}%2Fprimarypoint.db?mode=rwc"),
        ] {
            assert_eq!(
                check(&["--data-dir", &elsewhere, "--database-url", &database]),
                Some("DATABASE_URL"),
                "{database}"
            );
        }
        for database in ["sqlite::memory:", "sqlite://?mode=memory"] {
            assert_eq!(
                check(&["--data-dir", &elsewhere, "--database-url", database]),
                None,
                "{database}"
            );
        }
        let storage = format!("file://{inside}");
        assert_eq!(
            check(&["--data-dir", &elsewhere, "--storage-url", &storage]),
            Some("STORAGE_URL")
        );
        assert_eq!(
            check(&["--data-dir", &elsewhere, "--backup-dir", &inside]),
            Some("BACKUP_DIR")
        );
        // The site may sit inside the data directory; the other way round
        // is what exposes it.
        let nested = parse(&[
            "--data-dir",
            &elsewhere,
            "--site-root",
            &format!("{elsewhere}/site"),
        ])
        .expect("settings");
        assert_eq!(nested.config.private_files_in_site_root(), None);
    }

    #[test]
    fn defaults_run_locally_with_nothing_set() {
        let cli = parse(&[]).expect("defaults");
        assert_eq!(cli.config.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            cli.config.database_url(),
            "sqlite:data/primarypoint.db?mode=rwc"
        );
        assert_eq!(cli.config.public_url(), "http://127.0.0.1:3000");
        assert!(cli.command.is_none());
    }

    #[test]
    fn a_bad_value_is_reported_in_one_line_naming_the_variable() {
        let line = parse(&["--database-url", "mysql://db"]).expect_err("rejected");
        assert_eq!(
            line,
            "DATABASE_URL: invalid value: expected a URL starting sqlite: or postgres://"
        );
        let line = parse(&["--listen-addr", "nowhere"]).expect_err("rejected");
        assert!(
            line.starts_with("LISTEN_ADDR: invalid value 'nowhere': "),
            "{line}"
        );
        let line = parse(&["--secret-key", "short"]).expect_err("rejected");
        assert_eq!(
            line,
            "SECRET_KEY: invalid value: must be at least 32 characters"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let cli = parse(&[
            "--database-url",
            "postgres://u:hunter2@db/x",
            "--secret-key",
            &"k".repeat(40),
        ])
        .expect("valid");
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("kkkk"),
            "{debug}"
        );
    }

    #[test]
    fn storage_is_local_unless_a_store_is_named() {
        let cli = parse(&[]).expect("defaults");
        assert_eq!(cli.config.storage_url, None);
        assert_eq!(cli.config.max_upload_bytes, 50 * 1024 * 1024);
        for good in [
            "s3://bucket",
            "s3://bucket/prefix",
            "az://container",
            "file:///srv/files",
        ] {
            assert_eq!(parse_storage_url(good), Ok(good.to_owned()), "{good}");
        }
        for bad in ["bucket", "file://relative", "ftp://host", "s3://"] {
            assert!(parse_storage_url(bad).is_err(), "{bad}");
        }
        let line = parse(&["--max-upload-bytes", "10"]).expect_err("too small");
        assert!(
            line.starts_with("MAX_UPLOAD_BYTES: invalid value '10'"),
            "{line}"
        );
    }

    #[test]
    fn backups_need_a_public_key_and_are_kept_by_default_under_the_data_dir() {
        let cli = parse(&[]).expect("defaults");
        assert!(cli.config.backup_plan().is_none());
        assert_eq!(cli.config.backup_every_hours, 24);
        let (_, recipient) = backend::backup::new_key();
        let cli = parse(&["--backup-recipient", &recipient.to_string()]).expect("a key");
        let plan = cli.config.backup_plan().expect("a plan");
        assert_eq!(plan.recipient, recipient);
        assert_eq!(plan.dir, std::path::Path::new("data/backups"));
        assert_eq!(plan.keep, 14);
        let line = parse(&["--backup-recipient", "AGE-SECRET-KEY-1XYZ"]).expect_err("a secret");
        assert!(
            line.starts_with("BACKUP_RECIPIENT: invalid value: ") && line.contains("age1"),
            "{line}"
        );
        assert!(
            !line.contains("XYZ"),
            "a pasted private key is never echoed: {line}"
        );
        assert!(parse(&["--backup-keep", "0"]).is_err());
    }

    #[test]
    fn the_logo_must_come_from_this_site() {
        assert_eq!(
            parse_logo_path("/brand/logo.svg"),
            Ok("/brand/logo.svg".to_owned())
        );
        for bad in [
            "https://cdn.example/logo.svg",
            "//cdn.example/logo.svg",
            "logo.svg",
            "/a\" onerror=\"x",
        ] {
            assert!(parse_logo_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_url_must_be_an_origin() {
        assert_eq!(
            parse_public_url("https://pp.example.nhs.uk/"),
            Ok("https://pp.example.nhs.uk".to_owned())
        );
        assert!(parse_public_url("ftp://x").is_err());
        assert!(parse_public_url("https://x/path").is_err());
    }

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for local in [
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            "http://127.0.0.2",
            "http://[::1]:3000",
        ] {
            assert_eq!(parse_public_url(local), Ok(local.to_owned()), "{local}");
        }
        for remote in [
            "http://pp.example.nhs.uk",
            "http://10.0.0.5:3000",
            "http://localhost.evil.example",
            "http://[::2]:3000",
        ] {
            assert!(parse_public_url(remote).is_err(), "{remote}");
        }
    }
}
