use crate::config::{
    AdminCommand, AuditCommand, BackupCommand, Cli, Command, Config, OrganisationCommand,
    RetentionCommand,
};
use crate::router::{self, RouterSettings};
use crate::security::SecuritySettings;
use crate::shutdown::{self, Shutdown};
use crate::telemetry;
use anyhow::{Context, bail};
use app::state::AppState;
use backend::Db;
use backend::db::PoolSettings;
use backend::keys::Keys;
use leptos::prelude::LeptosOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Runs the chosen subcommand on a fresh Tokio runtime.
pub fn run(cli: Cli) -> ExitCode {
    // The extracting child: no runtime, no logging set-up, limits first.
    if let Some(Command::Extract { file_type }) = &cli.command {
        return ExitCode::from(backend::files::extract::run_child(
            file_type,
            &backend::files::extract::ChildLimits::default(),
        ));
    }
    telemetry::init(cli.config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "could not start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(cli.config).await,
            Command::Migrate => migrate(&cli.config).await,
            Command::Admin(AdminCommand::Create { email, name }) => {
                admin_create(&cli.config, &email, &name).await
            }
            Command::Admin(AdminCommand::RemoveSecondFactor { email }) => {
                remove_second_factor(&cli.config, &email).await
            }
            Command::Organisation(OrganisationCommand::Create { form, services }) => {
                organisation_create(&cli.config, &form, &services).await
            }
            Command::Audit(AuditCommand::Verify) => verify_audit(&cli.config).await,
            Command::Audit(AuditCommand::Prune) => prune_audit(&cli.config).await,
            Command::Retention(RetentionCommand::Run { dry_run }) => {
                run_retention(&cli.config, dry_run).await
            }
            Command::Backup { action: None } => backup(&cli.config).await,
            Command::Backup {
                action: Some(BackupCommand::NewKey { identity }),
            } => new_backup_key(&identity),
            Command::Restore { identity, file } => restore(&cli.config, &identity, &file).await,
            Command::Extract { .. } => Ok(()),
            Command::Precompress => precompress(&cli.config),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database and brings its schema up to date.
async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
    }
    let settings = PoolSettings {
        max_connections: config.db_max_connections,
        ..PoolSettings::default()
    };
    let db = Db::connect(&url, &settings)
        .await
        .context("connecting to the database (check DATABASE_URL)")?;
    db.migrate().await.context("applying database migrations")?;
    let sealed = backend::audit::seal_backlog(&db)
        .await
        .context("sealing earlier audit events into the chain")?;
    if sealed > 0 {
        tracing::info!(sealed, "earlier audit events sealed into the chain");
    }
    Ok(db)
}

/// `primarypoint audit verify`: walks the audit chain and names the first
/// event that was altered, deleted or moved.
async fn verify_audit(config: &Config) -> anyhow::Result<()> {
    let keys = keys(config)?;
    let db = open_database(config).await?;
    let verification = backend::audit::verify(&db, &keys).await?;
    db.close().await;
    match verification.first_break {
        None => {
            tracing::info!(events = verification.checked, "the audit chain is intact");
            Ok(())
        }
        Some(fault) => bail!(
            "the audit chain is broken: {fault} ({} events before it are intact)",
            verification.checked
        ),
    }
}

/// `primarypoint audit prune`: deletes audit events past their retention,
/// leaving a signed checkpoint the chain check starts from.
async fn prune_audit(config: &Config) -> anyhow::Result<()> {
    let keys = keys(config)?;
    let db = open_database(config).await?;
    let cutoff = backend::clock::now() - config.audit_retention_secs();
    let pruned = backend::audit::prune(&db, &keys, cutoff).await?;
    db.close().await;
    tracing::info!(
        pruned,
        months = config.audit_retention_months,
        "audit events past retention deleted"
    );
    Ok(())
}

/// `primarypoint retention run [--dry-run]`: deletes (or lists) what is
/// past its retention, one line per kind.
async fn run_retention(config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let due =
        backend::retention::run(&db, config.retention(), backend::clock::now(), dry_run).await?;
    db.close().await;
    for item in due {
        tracing::info!(
            what = item.category.label(),
            count = item.count,
            oldest = item.oldest,
            "{}",
            if dry_run { "would delete" } else { "deleted" }
        );
    }
    Ok(())
}

/// The file cargo-leptos writes beside the binary with the hashes it put
/// in the names of the files under `/pkg`.
const HASH_FILE: &str = "hash.txt";

/// Why there is no backup without BACKUP_RECIPIENT, and what to do.
const NO_RECIPIENT: &str = "BACKUP_RECIPIENT is not set, so there is nothing to encrypt backups \
     to: make a key pair with `primarypoint backup new-key --identity PATH` (or age-keygen), \
     keep the identity file away from the server, and set BACKUP_RECIPIENT to the public key";

/// `primarypoint backup`: one encrypted backup now, keeping the newest
/// BACKUP_KEEP.
async fn backup(config: &Config) -> anyhow::Result<()> {
    let plan = config.backup_plan().context(NO_RECIPIENT)?;
    let db = open_database(config).await?;
    let files = storage(config)?;
    let made = backend::backup::make(
        &db,
        &config.database_url(),
        &files,
        &plan,
        &backend::audit::Actor::Operator,
    )
    .await;
    db.close().await;
    let made = made.context("making the backup")?;
    tracing::info!(
        path = %made.path.display(),
        bytes = made.bytes,
        files = made.files,
        removed = made.removed.len(),
        "encrypted backup made"
    );
    Ok(())
}

/// `primarypoint backup new-key --identity PATH`: a new key pair; the
/// private key to a new file readable by its owner only, the public key to
/// standard output.
fn new_backup_key(identity: &Path) -> anyhow::Result<()> {
    let (text, recipient) = backend::backup::new_key();
    write_private(identity, &text)
        .with_context(|| format!("writing the identity file {}", identity.display()))?;
    tracing::info!(
        identity = %identity.display(),
        "backup key made: set BACKUP_RECIPIENT to the public key printed, and keep the identity \
         file away from the server"
    );
    let mut out = std::io::stdout().lock();
    writeln!(out, "{recipient}").context("printing the public key")?;
    Ok(())
}

/// `primarypoint restore --identity PATH FILE`: the backup into an empty
/// database and file store, refusing any other. The schema comes with the
/// backup, so nothing is migrated first.
async fn restore(config: &Config, identity: &Path, file: &Path) -> anyhow::Result<()> {
    let files = storage(config)?;
    let restored = backend::backup::restore(&config.database_url(), &files, file, identity)
        .await
        .with_context(|| format!("restoring {}", file.display()))?;
    tracing::info!(
        database = restored.database.name(),
        files = restored.files,
        made_at = restored.created_at,
        "backup restored; start the server as usual"
    );
    Ok(())
}

fn precompress(config: &Config) -> anyhow::Result<()> {
    let count = crate::assets::precompress(&config.site_root).with_context(|| {
        format!(
            "compressing the static files under SITE_ROOT {}",
            config.site_root.display()
        )
    })?;
    tracing::info!(count, site_root = %config.site_root.display(), "compressed the static files");
    Ok(())
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    tracing::info!(database = db.backend().name(), "migrations applied");
    db.close().await;
    Ok(())
}

/// The keys derived from the server's secret.
fn keys(config: &Config) -> anyhow::Result<Keys> {
    Keys::derive(&secret_key(config)?).context("deriving keys from SECRET_KEY")
}

/// The secret from SECRET_KEY, or one generated once into DATA_DIR.
fn secret_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.secret_key {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let path = config.data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
    let generated = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, &generated).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a secret key; set SECRET_KEY to share one between instances");
    Ok(generated.into_bytes())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// The demo accounts, where a local run asks for them, and the demo
/// library for an empty library.
async fn demonstrate(
    config: &Config,
    db: &Db,
    key: &backend::keys::CodeKey,
    files: &backend::files::Storage,
) -> anyhow::Result<()> {
    if config.demo_accounts {
        if !config.is_local() {
            bail!(
                "DEMO_ACCOUNTS: demo accounts have a published password, so they are only for a \
                 local run (PUBLIC_URL on localhost or 127.0.0.1)"
            );
        }
        if backend::demo::create_accounts(db, key).await? {
            tracing::info!(
                admin = backend::demo::DEMO_ADMIN,
                member = backend::demo::DEMO_MEMBER,
                "demo accounts created (the password is in the README)"
            );
        }
    }
    if config.demo_library {
        let added = backend::demo::seed_library(db, files).await?;
        if added > 0 {
            tracing::info!(added, "empty library: added the demo resources");
        }
    }
    Ok(())
}

/// Everything `serve` builds before it listens; tests use it too.
pub async fn prepare(config: &Config) -> anyhow::Result<(AppState, RouterSettings)> {
    if let Some((setting, dir)) = config.private_files_in_site_root() {
        bail!(
            "{setting}: {} is inside SITE_ROOT ({}), whose files are sent to anyone who asks; \
             keep the database, the secret key, documents and backups outside it",
            dir.display(),
            config.site_root.display()
        );
    }
    let stale = crate::assets::remove_stale(&config.site_root);
    if stale > 0 {
        tracing::warn!(
            stale,
            "removed compressed copies older than their files: run `primarypoint precompress` after a build"
        );
    }
    // A cargo-leptos build with `hash-files` leaves `hash.txt` beside the
    // binary with the hashes in the names of the files under `/pkg`.
    let hashes = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::read_to_string(exe.parent()?.join(HASH_FILE)).ok());
    let assets = crate::assets::Versions::of(&config.site_root, hashes.as_deref());
    let db = open_database(config).await?;
    if config.seed_demo_content && backend::content::seed_demo_content(&db).await? {
        tracing::info!("empty database: added the demo services and statutory pages");
    }
    let keys = keys(config)?;
    let pseudonyms = keys.pseudonyms().clone();
    let files = storage(config)?;
    demonstrate(config, &db, keys.codes(), &files).await?;
    let state = AppState {
        files,
        max_upload_bytes: config.max_upload_bytes,
        team_email: config.team_email()?,
        db,
        site: config.site_info(),
        placeholders: config.placeholders(),
        keys,
        secure_cookies: config.public_url().starts_with("https://"),
        retention: config.retention(),
        stats: backend::stats::Counter::new(
            router::routes().iter().map(|route| route.path().to_owned()),
        ),
        links: assets.links(),
    };
    let leptos = LeptosOptions::builder()
        .output_name(crate::assets::APP)
        .hash_files(assets.pkg_hashed)
        .hash_file(HASH_FILE.into())
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.listen_addr)
        .build();
    let settings = RouterSettings {
        leptos,
        security: Arc::new(SecuritySettings {
            public_origin: config.public_url(),
            trust_forwarded_for: config.trust_forwarded_for,
            pseudonyms,
        }),
        max_body_bytes: config.max_body_bytes as usize,
        max_upload_bytes: usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX),
        assets,
    };
    Ok((state, settings))
}

/// Where uploaded files are kept: STORAGE_URL, or DATA_DIR/files.
pub fn storage(config: &Config) -> anyhow::Result<backend::files::Storage> {
    backend::files::Storage::open(config.storage_url.as_deref(), &config.data_dir, &[])
        .context("opening the file store (check STORAGE_URL)")
}

/// Where mail goes: SMTP if configured, otherwise files in DATA_DIR/outbox.
pub fn mailer(config: &Config) -> anyhow::Result<backend::mail::Mailer> {
    Ok(match &config.smtp_url {
        Some(url) => backend::mail::Mailer::smtp(url.expose(), &config.mail_from)?,
        None => {
            backend::mail::Mailer::to_directory(&config.data_dir.join("outbox"), &config.mail_from)
                .with_context(|| {
                    format!(
                        "creating the mail outbox in DATA_DIR {}",
                        config.data_dir.display()
                    )
                })?
        }
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (state, settings) = prepare(&config).await?;
    let db = state.db.clone();
    let jobs = tokio::spawn(backend::jobs::run(
        db.clone(),
        mailer(&config)?,
        backend::jobs::Schedule {
            public_url: config.public_url(),
            keys: state.keys.clone(),
            audit_retention_secs: config.audit_retention_secs(),
            retention: config.retention(),
            stats: state.stats.clone(),
        },
    ));
    let extractor = backend::files::Extractor::this_binary()
        .context("finding this program, to extract the text of uploaded files")?;
    let extraction = tokio::spawn(backend::jobs::extract_files(
        db.clone(),
        state.files.clone(),
        extractor,
    ));
    let stats = state.stats.clone();
    let backups = match config.backup_plan() {
        _ if config.backup_every_hours == 0 => None,
        None => {
            tracing::info!("no backups are scheduled: BACKUP_RECIPIENT is not set");
            None
        }
        Some(plan) => Some(tokio::spawn(backend::jobs::backups(
            db.clone(),
            config.database_url(),
            state.files.clone(),
            plan,
            Duration::from_secs(u64::from(config.backup_every_hours) * 3600),
        ))),
    };
    let app = router::build(state, settings);
    let signals = shutdown::listen().context("installing signal handlers")?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("listening on LISTEN_ADDR {}", config.listen_addr))?;
    tracing::info!(
        "PrimaryPoint is listening on http://{} (database: {})",
        listener.local_addr()?,
        db.backend().name()
    );

    let stop = Shutdown::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            signals.recv().await;
            tracing::info!("shutting down: finishing in-flight requests");
            stop.trigger();
        }
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let stop = stop.clone();
        async move { stop.triggered().await }
    });
    tokio::select! {
        result = server => result.context("serving HTTP")?,
        () = stop.deadline(Duration::from_secs(config.shutdown_grace_secs)) => {
            tracing::warn!("grace period over: closing remaining connections");
        }
    }
    jobs.abort();
    extraction.abort();
    if let Some(backups) = backups {
        backups.abort();
    }
    if let Err(error) = stats.flush(&db).await {
        tracing::warn!(%error, "could not write the last page-view counts");
    }
    if tokio::time::timeout(Duration::from_millis(500), db.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections did not close in time");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Environment variable holding the new administrator's password.
pub const ADMIN_PASSWORD_ENV: &str = "ADMIN_PASSWORD";

async fn organisation_create(
    config: &Config,
    form: &domain::organisation::OrganisationForm,
    services: &[String],
) -> anyhow::Result<()> {
    // The same form an administrator fills in, so problems come back named
    // as the flags are (`--contact-email`).
    let organisation = form.validate().map_err(|errors| {
        let problems: Vec<_> = errors
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect();
        anyhow::anyhow!("{}", problems.join("; "))
    })?;
    let keys = keys(config)?;
    let db = open_database(config).await?;
    let created = create_subscribed(&db, keys.codes(), &organisation, services).await;
    db.close().await;
    match created {
        Ok((id, code)) => {
            tracing::info!(id, "organisation created");
            // The code goes to standard output, for the operator (or a
            // script) to hand to the practice manager.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{code}").context("printing the code")?;
            Ok(())
        }
        Err(backend::Error::Invalid(errors)) => {
            let problems: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
            bail!("{}", problems.join("; "))
        }
        Err(other) => Err(other.into()),
    }
}

/// Creates the organisation and subscribes it to the services named by
/// slug; one that does not exist is refused before anything is created.
async fn create_subscribed(
    db: &Db,
    key: &backend::keys::CodeKey,
    organisation: &domain::organisation::Organisation,
    slugs: &[String],
) -> Result<(i64, domain::authcode::AuthCode), backend::Error> {
    let mut ids = Vec::new();
    for slug in slugs {
        match backend::content::service_id(db, slug).await? {
            Some(id) => ids.push(id),
            None => {
                return Err(backend::Error::on_field(
                    "service",
                    &format!("There is no service {slug:?}"),
                ));
            }
        }
    }
    let operator = backend::audit::Actor::Operator;
    let (id, code) = backend::orgs::create(db, key, &operator, organisation).await?;
    if !ids.is_empty() {
        backend::orgs::set_services(db, &operator, id, &ids).await?;
    }
    Ok((id, code))
}

async fn admin_create(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    use backend::accounts::{self, Password};
    let email = domain::Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let password = match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(password) => password,
        Err(_) => {
            let first = rpassword::prompt_password("Password for the new administrator: ")
                .context("reading the password (set ADMIN_PASSWORD when there is no terminal)")?;
            let second =
                rpassword::prompt_password("Type it again: ").context("reading the password")?;
            if first != second {
                bail!("the two passwords did not match");
            }
            first
        }
    };
    let password = Password::new(password).map_err(|message| anyhow::anyhow!("{message}"))?;
    let db = open_database(config).await?;
    let created = accounts::create_admin(&db, &email, name, &password).await;
    db.close().await;
    match created {
        Ok(id) => {
            tracing::info!(id, email = %email, "administrator created");
            Ok(())
        }
        Err(backend::Error::Invalid(errors)) => {
            let problems: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
            bail!("{}", problems.join("; "))
        }
        Err(other) => Err(other.into()),
    }
}

async fn remove_second_factor(config: &Config, email: &str) -> anyhow::Result<()> {
    let email = domain::Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let db = open_database(config).await?;
    let removed = backend::mfa::remove(
        &db,
        &config.site_info(),
        &backend::audit::Actor::Operator,
        &email,
    )
    .await;
    db.close().await;
    if removed? {
        tracing::info!(email = %email, "second factor removed; the owner has been emailed");
        Ok(())
    } else {
        bail!("no account with a second factor has the address {email}")
    }
}
