//! Configuration: `PINBRIDGE_*` environment variables, overridden by flags.
//!
//! Raw values are parsed once here into [`Config`]; a bad value stops start-up
//! with one line naming the setting.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use domain::accounts::AccountPolicy;
use domain::db::Backend;

use crate::client_ip::TrustedProxies;
use crate::metrics::{MetricsConfig, MetricsToken};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pinbridge.db";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:3000";

#[derive(Debug, Parser)]
#[command(
    name = "pinbridge",
    version,
    about = "pinbridge: a multi-tenant portal and OAuth gateway for the Pinterest API.",
    long_about = "pinbridge: a multi-tenant portal and OAuth gateway for the Pinterest API.\n\n\
        Every option can be given as a flag or as the PINBRIDGE_* environment variable \
        named next to it; a flag wins over the variable. With no subcommand, pinbridge serves.",
    after_help = "Encryption keys are `id:base64` entries (base64 of 32 random bytes, e.g. \
        `head -c32 /dev/urandom | base64`), separated by commas; the first encrypts and all \
        decrypt. Without PINBRIDGE_ENCRYPTION_KEYS, pinbridge keeps its keys in a key file \
        (mode 0600) next to the SQLite database, created on first start. Pass keys in the \
        environment rather than as a flag: command lines are visible to other users."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, check the key ring and serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print a one-time link for first-start setup, where the first workspace and its owner are created.
    ///
    /// Only while no workspace has an owner; each call issues a new link, valid until setup is
    /// done. Afterwards, ask an owner for an invitation or use `pinbridge operator create`.
    SetupLink,
    /// Manage operators from the shell.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Manage the encryption keys: add one, re-seal every stored secret under the newest,
    /// see what each key still seals, retire one.
    ///
    /// The usual order: `keys add`, restart every instance with the new ring, `keys rotate`,
    /// `keys retire OLD`, restart again. Instances keep serving throughout.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Copy a SQLite installation's database to FILE and its key ring to FILE.keys.
    ///
    /// The copy is consistent while pinbridge serves. Both files get mode 0600; neither replaces
    /// an existing file; each is checked before success is reported. Store the key file apart
    /// from the database backup: the database alone opens no secret, the two together open all.
    /// For PostgreSQL use pg_dump (see the README's "Backups, restores and upgrades").
    Backup(BackupArgs),
    /// Put a backup made by `pinbridge backup` in place of this SQLite installation's database.
    ///
    /// Stop pinbridge first. The backup and its key file are checked before anything changes;
    /// an installation that holds a database is replaced only with --force, and what it held is
    /// kept beside it (`….before-restore-<time>`). Start pinbridge afterwards: it migrates a
    /// backup made by an older version.
    Restore(RestoreArgs),
    /// Compare two environments' integration configuration, and copy differences from one to
    /// the other (a dry run unless --apply).
    ///
    /// Secrets are never shown or copied: the Pinterest app secret, webhook signing secrets and
    /// the sign-in provider's secret stay with their environment; a plan says which the target
    /// still needs.
    Env {
        #[command(subcommand)]
        command: EnvCommand,
    },
    /// The audit log's hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Every piece of integration configuration that differs between two environments.
    Diff(EnvPairArgs),
    /// Copy differing items from --from to --to: prints the plan, and writes it with --apply.
    Promote(EnvPromoteArgs),
}

/// Two environments of one workspace, by name.
#[derive(Debug, Args)]
pub struct EnvPairArgs {
    /// The workspace's name.
    #[arg(long, value_name = "NAME")]
    pub workspace: String,
    /// The environment to compare (or copy) from.
    #[arg(long, value_name = "ENVIRONMENT")]
    pub from: String,
    /// The environment to compare (or copy) to.
    #[arg(long, value_name = "ENVIRONMENT")]
    pub to: String,
    /// Print JSON (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EnvPromoteArgs {
    #[command(flatten)]
    pub pair: EnvPairArgs,
    /// An item to copy, by the key `env diff` prints (repeat the flag for several).
    #[arg(long = "item", value_name = "KEY")]
    pub items: Vec<String>,
    /// Copy every item that can be copied.
    #[arg(long, conflicts_with = "items")]
    pub all: bool,
    /// Write the plan (without it, nothing is changed).
    #[arg(long)]
    pub apply: bool,
    /// Refuse unless --from's configuration is still at this version (from a dry run's output).
    #[arg(long, value_name = "VERSION")]
    pub from_version: Option<String>,
    /// Refuse unless --to's configuration is still at this version (from a dry run's output).
    #[arg(long, value_name = "VERSION")]
    pub to_version: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every workspace's audit hash chain (or one workspace's) and name the first break.
    ///
    /// Exits 0 when every chain is whole, 1 at a break (an edited, removed or inserted record).
    Verify {
        /// Only this workspace (by name).
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// Print JSON (for scripts) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Put a new random key first in the ring (it seals new values once instances restart).
    ///
    /// With a key file, the file is rewritten in place (mode 0600) with the new key first. With
    /// PINBRIDGE_ENCRYPTION_KEYS, the new value of that variable is printed once on standard
    /// output: set it in every instance's environment.
    Add {
        /// The new key's id [default: the next free `k<n>`].
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Re-seal every stored secret under the ring's first key, while pinbridge serves.
    ///
    /// In batches, each in one short transaction; stopped at any moment (even by kill -9) it
    /// loses nothing, and running it again finishes the job. Refused while a running instance
    /// does not have the first key.
    Rotate {
        /// Values re-sealed per transaction.
        #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch_size: u32,
    },
    /// How many stored values each key seals, which keys the running instances have, and the
    /// latest key changes.
    Status,
    /// Take a key out of the ring; refused while any stored value still uses it.
    Retire {
        /// The key's id, as `keys status` lists it.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add an operator to a workspace, creating either or both if missing (as setup does).
    ///
    /// The workspace is created if no workspace has this name (in any letter case); its first
    /// member must be an owner. The operator is created if the email is new, with the password
    /// read from standard input (`--password-stdin`) or generated and printed once. An
    /// existing operator keeps their password and is only added to the workspace.
    Create(OperatorCreateArgs),
}

#[derive(Debug, Args)]
pub struct OperatorCreateArgs {
    /// Workspace name; matched in any letter case, created if no workspace has it.
    #[arg(long, value_name = "NAME")]
    pub workspace: String,

    /// The operator's email; a new operator is created if no operator has it.
    #[arg(long)]
    pub email: String,

    /// Role in the workspace: owner, admin or viewer.
    #[arg(long)]
    pub role: String,

    /// Display name of a new operator [default: the part of the email before the @].
    #[arg(long)]
    pub name: Option<String>,

    /// Read a new operator's password from the first line of standard input instead of
    /// generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The database backup to write; the key ring goes to FILE.keys beside it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A database backup made by `pinbridge backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The backup's key file [default: FILE.keys].
    #[arg(long, value_name = "KEYFILE")]
    pub keys: Option<PathBuf>,

    /// Replace an installation that holds a database (its files are kept aside, not deleted).
    #[arg(long)]
    pub force: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Raw settings as given; see [`Config::from_settings`] for their checks.
#[derive(Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://path/file.db` (created if missing) or `postgres://user@host/db`.
    #[arg(long, global = true, env = "PINBRIDGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// The URL people reach pinbridge at; the Pinterest redirect URI is `<public url>/integration-callback`.
    #[arg(long, global = true, env = "PINBRIDGE_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    pub public_url: String,

    /// Address and port to listen on.
    #[arg(long, global = true, env = "PINBRIDGE_LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen_addr: String,

    /// Encryption keys, `id:base64` separated by commas; the first encrypts. Prefer the variable.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_ENCRYPTION_KEYS",
        hide_env_values = true
    )]
    pub encryption_keys: Option<String>,

    /// Key file used when no keys are given [default: `pinbridge.keys` next to the SQLite database].
    #[arg(long, global = true, env = "PINBRIDGE_KEY_FILE")]
    pub key_file: Option<PathBuf>,

    /// Pinterest's OAuth (authorize page) base URL.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_PINTEREST_OAUTH_URL",
        default_value = "https://www.pinterest.com"
    )]
    pub pinterest_oauth_url: String,

    /// Pinterest's API base URL (production).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_PINTEREST_API_URL",
        default_value = "https://api.pinterest.com"
    )]
    pub pinterest_api_url: String,

    /// Pinterest's sandbox API base URL.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_PINTEREST_SANDBOX_API_URL",
        default_value = "https://api-sandbox.pinterest.com"
    )]
    pub pinterest_sandbox_api_url: String,

    /// How long to wait for any one answer from Pinterest, in milliseconds (1 to 120000).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_PINTEREST_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub pinterest_timeout_ms: u64,

    /// How often each connection's health is probed, in seconds (60 to 2592000; default daily).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_HEALTH_CHECK_INTERVAL_SECS",
        default_value_t = 86_400
    )]
    pub health_check_interval_secs: u64,

    /// How often the background worker looks for due refreshes and probes, in milliseconds (10 to 3600000).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_SCHEDULER_INTERVAL_MS",
        default_value_t = 15_000
    )]
    pub scheduler_interval_ms: u64,

    /// How long a first-start setup link works, in seconds (60 to 604800; default 1 hour).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_SETUP_LINK_LIFETIME_SECS",
        default_value_t = 3_600
    )]
    pub setup_link_lifetime_secs: u64,

    /// How long a sign-in lasts however active, in seconds (300 to 31536000; default 7 days).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_SESSION_LIFETIME_SECS",
        default_value_t = 604_800
    )]
    pub session_lifetime_secs: u64,

    /// The most sensitive actions ask for the password again when it was entered longer ago
    /// than this, in seconds (60 to 86400; default 15 minutes).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_REAUTH_AFTER_SECS",
        default_value_t = 900
    )]
    pub reauth_after_secs: u64,

    /// Start even when the key file can be read by other users (not recommended: run
    /// `chmod 600` on it instead).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_ALLOW_READABLE_KEY_FILE",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub allow_readable_key_file: bool,

    /// Let webhook endpoints be loopback, private or link-local addresses (and
    /// plain http to them): for receivers on the installation's own network.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_WEBHOOKS_ALLOW_PRIVATE",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub webhooks_allow_private: bool,

    /// Let assistants' client ID metadata documents (an https URL as client_id)
    /// be fetched from loopback, private or link-local addresses, over plain
    /// http too: for development and tests only.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_AGENT_CLIENT_DOCUMENTS_ALLOW_PRIVATE",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub agent_client_documents_allow_private: bool,

    /// How long one webhook attempt may take, answer included, in milliseconds (100 to 60000).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub webhook_timeout_ms: u64,

    /// How long a webhook delivery is retried before it is given up, in hours (24 to 720).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_WEBHOOK_RETRY_HOURS",
        default_value_t = 24
    )]
    pub webhook_retry_hours: u64,

    /// Tests only: webhook retries within seconds (a 30 s window) and a 50 ms poll.
    #[arg(long, global = true, hide = true)]
    pub webhook_test_timing: bool,

    /// Directory holding the built site (`pkg/` with the wasm, JS and CSS).
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_SITE_ROOT",
        default_value = "target/site"
    )]
    pub site_root: PathBuf,

    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed, as CIDRs
    /// or addresses separated by commas (e.g. `10.0.0.0/8,::1`). Empty: the peer address is the client.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,

    /// Serve Prometheus metrics at `/metrics` on the main listener to requests with
    /// `Authorization: Bearer <token>` (16 or more visible ASCII characters, e.g.
    /// `openssl rand -hex 32`). Prefer the variable.
    #[arg(
        long,
        global = true,
        env = "PINBRIDGE_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// Also serve `/metrics` on a listener of its own at this address and port (e.g. on a
    /// private network); no token is asked there unless PINBRIDGE_METRICS_TOKEN is set.
    #[arg(long, global = true, env = "PINBRIDGE_METRICS_ADDR")]
    pub metrics_addr: Option<String>,

    /// Log line format.
    #[arg(long, global = true, env = "PINBRIDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter, in `tracing` syntax (e.g. `info` or `info,server=debug`).
    #[arg(long, global = true, env = "PINBRIDGE_LOG", default_value = "info")]
    pub log: String,
}

/// Where the key ring comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `PINBRIDGE_ENCRYPTION_KEYS` (or the flag).
    Inline,
    /// A key file, generated on first start if missing.
    File(PathBuf),
}

/// Checked configuration.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub backend: Backend,
    /// The SQLite database file, when the database is a file.
    pub sqlite_path: Option<PathBuf>,
    pub public_url: String,
    pub listen_addr: SocketAddr,
    pub encryption_keys: Option<String>,
    pub key_source: KeySource,
    pub pinterest_oauth_url: String,
    pub pinterest_api_url: String,
    pub pinterest_sandbox_api_url: String,
    pub pinterest_timeout: Duration,
    pub health_check_interval: Duration,
    pub scheduler_interval: Duration,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    pub log: String,
    pub trusted_proxies: TrustedProxies,
    pub accounts: AccountPolicy,
    pub allow_readable_key_file: bool,
    pub webhooks: domain::webhooks::WebhookPolicy,
    /// Assistants' client metadata documents may be on private addresses.
    pub agent_documents_allow_private: bool,
    /// `/metrics`: off unless a token or an address is given.
    pub metrics: MetricsConfig,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As [`Config`]'s: never the keys, the metrics token or the database URL.
        f.debug_struct("Settings")
            .field("public_url", &self.public_url)
            .field("listen_addr", &self.listen_addr)
            .field("key_file", &self.key_file)
            .field("metrics_addr", &self.metrics_addr)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints keys, nor the database URL (it may hold a password).
        f.debug_struct("Config")
            .field("backend", &self.backend)
            .field("public_url", &self.public_url)
            .field("listen_addr", &self.listen_addr)
            .field("key_source", &self.key_source)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// A setting that could not be used. Displays as one line naming it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub flag: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.variable, self.flag, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn err(variable: &'static str, flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        flag,
        message: message.into(),
    }
}

impl Config {
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        const DB: (&str, &str) = ("PINBRIDGE_DATABASE_URL", "--database-url");
        let backend = Backend::of_url(&s.database_url).ok_or_else(|| {
            err(
                DB.0,
                DB.1,
                "expected a URL starting with sqlite: or postgres://",
            )
        })?;
        let sqlite_path = match backend {
            Backend::Sqlite => sqlite_file(&s.database_url).map_err(|m| err(DB.0, DB.1, m))?,
            Backend::Postgres => {
                url::Url::parse(&s.database_url)
                    .map_err(|e| err(DB.0, DB.1, format!("not a valid URL ({e})")))?;
                None
            }
        };

        let public_url =
            base_url(&s.public_url).map_err(|m| err("PINBRIDGE_PUBLIC_URL", "--public-url", m))?;
        let listen_addr = s.listen_addr.parse::<SocketAddr>().map_err(|_| {
            err(
                "PINBRIDGE_LISTEN_ADDR",
                "--listen-addr",
                format!(
                    "{:?} is not an address and port such as 127.0.0.1:3000",
                    s.listen_addr
                ),
            )
        })?;
        let pinterest_oauth_url = base_url(&s.pinterest_oauth_url)
            .map_err(|m| err("PINBRIDGE_PINTEREST_OAUTH_URL", "--pinterest-oauth-url", m))?;
        let pinterest_api_url = base_url(&s.pinterest_api_url)
            .map_err(|m| err("PINBRIDGE_PINTEREST_API_URL", "--pinterest-api-url", m))?;
        let pinterest_sandbox_api_url = base_url(&s.pinterest_sandbox_api_url).map_err(|m| {
            err(
                "PINBRIDGE_PINTEREST_SANDBOX_API_URL",
                "--pinterest-sandbox-api-url",
                m,
            )
        })?;

        if !(1..=120_000).contains(&s.pinterest_timeout_ms) {
            return Err(err(
                "PINBRIDGE_PINTEREST_TIMEOUT_MS",
                "--pinterest-timeout-ms",
                format!(
                    "{} is out of range: give milliseconds from 1 to 120000",
                    s.pinterest_timeout_ms
                ),
            ));
        }
        let pinterest_timeout = Duration::from_millis(s.pinterest_timeout_ms);
        if !(60..=2_592_000).contains(&s.health_check_interval_secs) {
            return Err(err(
                "PINBRIDGE_HEALTH_CHECK_INTERVAL_SECS",
                "--health-check-interval-secs",
                format!(
                    "{} is out of range: give seconds from 60 to 2592000 (30 days)",
                    s.health_check_interval_secs
                ),
            ));
        }
        if !(10..=3_600_000).contains(&s.scheduler_interval_ms) {
            return Err(err(
                "PINBRIDGE_SCHEDULER_INTERVAL_MS",
                "--scheduler-interval-ms",
                format!(
                    "{} is out of range: give milliseconds from 10 to 3600000",
                    s.scheduler_interval_ms
                ),
            ));
        }

        let trusted_proxies = TrustedProxies::parse(&s.trusted_proxies)
            .map_err(|m| err("PINBRIDGE_TRUSTED_PROXIES", "--trusted-proxies", m))?;
        let accounts = AccountPolicy {
            setup_link_lifetime: secs_in(
                s.setup_link_lifetime_secs,
                60..=604_800,
                (
                    "PINBRIDGE_SETUP_LINK_LIFETIME_SECS",
                    "--setup-link-lifetime-secs",
                ),
                "60 to 604800 (7 days)",
            )?,
            session_lifetime: secs_in(
                s.session_lifetime_secs,
                300..=31_536_000,
                ("PINBRIDGE_SESSION_LIFETIME_SECS", "--session-lifetime-secs"),
                "300 to 31536000 (365 days)",
            )?,
            session_idle: AccountPolicy::SESSION_IDLE,
            reauth_after: secs_in(
                s.reauth_after_secs,
                60..=86_400,
                ("PINBRIDGE_REAUTH_AFTER_SECS", "--reauth-after-secs"),
                "60 to 86400 (1 day)",
            )?,
        };

        let webhooks = webhook_policy(&s)?;
        let metrics = metrics_config(&s, listen_addr)?;

        let encryption_keys = s.encryption_keys.filter(|k| !k.trim().is_empty());
        let key_source = match (&encryption_keys, s.key_file, &sqlite_path) {
            (Some(_), _, _) => KeySource::Inline,
            (None, Some(file), _) => KeySource::File(file),
            (None, None, Some(db_file)) => KeySource::File(default_key_file(db_file)),
            (None, None, None) => {
                return Err(err(
                    "PINBRIDGE_ENCRYPTION_KEYS",
                    "--encryption-keys",
                    "required with this database (or set PINBRIDGE_KEY_FILE); only a SQLite file database gets a generated key file",
                ));
            }
        };

        Ok(Self {
            database_url: s.database_url,
            backend,
            sqlite_path,
            public_url,
            listen_addr,
            encryption_keys,
            key_source,
            pinterest_oauth_url,
            pinterest_api_url,
            pinterest_sandbox_api_url,
            pinterest_timeout,
            health_check_interval: Duration::from_secs(s.health_check_interval_secs),
            scheduler_interval: Duration::from_millis(s.scheduler_interval_ms),
            site_root: s.site_root,
            log_format: s.log_format,
            log: s.log,
            trusted_proxies,
            accounts,
            allow_readable_key_file: s.allow_readable_key_file,
            webhooks,
            agent_documents_allow_private: s.agent_client_documents_allow_private,
            metrics,
        })
    }

    pub fn portal_config(&self) -> domain::PortalConfig {
        domain::PortalConfig {
            public_url: self.public_url.clone(),
            pinterest_oauth_url: self.pinterest_oauth_url.clone(),
            pinterest_api_url: self.pinterest_api_url.clone(),
            pinterest_sandbox_api_url: self.pinterest_sandbox_api_url.clone(),
            pinterest_timeout: self.pinterest_timeout,
            health_check_interval: self.health_check_interval,
            accounts: self.accounts,
            webhooks: self.webhooks,
            agent_documents_allow_private: self.agent_documents_allow_private,
        }
    }

    /// Session cookies are `Secure` exactly when people reach pinbridge over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Webhook delivery as configured.
fn webhook_policy(s: &Settings) -> Result<domain::webhooks::WebhookPolicy, ConfigError> {
    if !(100..=60_000).contains(&s.webhook_timeout_ms) {
        return Err(err(
            "PINBRIDGE_WEBHOOK_TIMEOUT_MS",
            "--webhook-timeout-ms",
            format!(
                "{} is out of range: give milliseconds from 100 to 60000",
                s.webhook_timeout_ms
            ),
        ));
    }
    if !(24..=720).contains(&s.webhook_retry_hours) {
        return Err(err(
            "PINBRIDGE_WEBHOOK_RETRY_HOURS",
            "--webhook-retry-hours",
            format!(
                "{} is out of range: give hours from 24 to 720 (30 days)",
                s.webhook_retry_hours
            ),
        ));
    }
    let policy = domain::webhooks::WebhookPolicy {
        allow_private: s.webhooks_allow_private,
        timeout: Duration::from_millis(s.webhook_timeout_ms),
        retry_for: Duration::from_secs(s.webhook_retry_hours * 3600),
        ..Default::default()
    };
    Ok(if s.webhook_test_timing {
        policy.quick_retries()
    } else {
        policy
    })
}

/// `/metrics` as configured. An empty value is the same as none.
fn metrics_config(s: &Settings, listen_addr: SocketAddr) -> Result<MetricsConfig, ConfigError> {
    const TOKEN: (&str, &str) = ("PINBRIDGE_METRICS_TOKEN", "--metrics-token");
    const ADDR: (&str, &str) = ("PINBRIDGE_METRICS_ADDR", "--metrics-addr");
    let token = s
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(MetricsToken::parse)
        .transpose()
        .map_err(|m| err(TOKEN.0, TOKEN.1, m))?;
    let addr = s
        .metrics_addr
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<SocketAddr>().map_err(|_| {
                err(
                    ADDR.0,
                    ADDR.1,
                    format!("{a:?} is not an address and port such as 127.0.0.1:9464"),
                )
            })
        })
        .transpose()?;
    if let Some(addr) = addr
        && addr.port() != 0
        && addr == listen_addr
    {
        return Err(err(
            ADDR.0,
            ADDR.1,
            format!(
                "{addr} is PINBRIDGE_LISTEN_ADDR too: give the metrics listener an address of its own, or leave it out and set PINBRIDGE_METRICS_TOKEN to serve /metrics on the main listener"
            ),
        ));
    }
    Ok(MetricsConfig { token, addr })
}

/// Seconds within `range`, or an error naming the setting and the range.
fn secs_in(
    value: u64,
    range: std::ops::RangeInclusive<u64>,
    (variable, flag): (&'static str, &'static str),
    range_text: &str,
) -> Result<Duration, ConfigError> {
    if range.contains(&value) {
        Ok(Duration::from_secs(value))
    } else {
        Err(err(
            variable,
            flag,
            format!("{value} is out of range: give seconds from {range_text}"),
        ))
    }
}

/// The key file's default place: beside the database file.
fn default_key_file(db_file: &Path) -> PathBuf {
    db_file.with_file_name("pinbridge.keys")
}

/// The file behind a `sqlite:` URL, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or("expected sqlite://path/to/file.db")?;
    let path = rest.split('?').next().unwrap_or_default();
    if path == ":memory:" || url.contains("mode=memory") {
        return Ok(None);
    }
    if path.is_empty() {
        return Err("no database file given (e.g. sqlite://data/pinbridge.db)".into());
    }
    Ok(Some(PathBuf::from(path)))
}

/// An http(s) base URL without query, fragment or path, normalised without a trailing slash.
fn base_url(raw: &str) -> Result<String, String> {
    let url =
        url::Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{raw:?} must start with http:// or https://"));
    }
    if url.host().is_none() {
        return Err(format!("{raw:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw:?} must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw:?} must not contain credentials"));
    }
    if url.path() != "/" {
        return Err(format!(
            "{raw:?} must not have a path (give only scheme, host and port)"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["pinbridge"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().settings
    }

    #[test]
    fn defaults_are_a_local_sqlite_install() {
        let c = Config::from_settings(settings(&[])).unwrap();
        assert_eq!(c.backend, Backend::Sqlite);
        assert_eq!(
            c.sqlite_path.as_deref(),
            Some(Path::new("data/pinbridge.db"))
        );
        assert_eq!(c.key_source, KeySource::File("data/pinbridge.keys".into()));
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.listen_addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(c.pinterest_oauth_url, "https://www.pinterest.com");
        assert_eq!(c.pinterest_api_url, "https://api.pinterest.com");
        assert_eq!(
            c.pinterest_sandbox_api_url,
            "https://api-sandbox.pinterest.com"
        );
        assert!(!c.secure_cookies());
        assert_eq!(c.accounts, AccountPolicy::default());
        assert!(!c.allow_readable_key_file);
        assert_eq!(
            c.portal_config().redirect_uri(),
            "http://127.0.0.1:3000/integration-callback"
        );
    }

    #[test]
    fn flags_are_accepted_before_and_after_the_subcommand() {
        let c = Cli::try_parse_from([
            "pinbridge",
            "serve",
            "--public-url",
            "https://b.example.com/",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Serve)));
        let c = Config::from_settings(c.settings).unwrap();
        assert_eq!(c.public_url, "https://b.example.com");
        assert!(c.secure_cookies());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--public-url", "not a url"],
                "PINBRIDGE_PUBLIC_URL (--public-url)",
            ),
            (&["--public-url", "ftp://x.example"], "PINBRIDGE_PUBLIC_URL"),
            (
                &["--public-url", "https://x.example/sub"],
                "PINBRIDGE_PUBLIC_URL",
            ),
            (
                &["--listen-addr", "localhost"],
                "PINBRIDGE_LISTEN_ADDR (--listen-addr)",
            ),
            (&["--database-url", "mysql://x/y"], "PINBRIDGE_DATABASE_URL"),
            (
                &["--database-url", "postgres://x/y"],
                "PINBRIDGE_ENCRYPTION_KEYS",
            ),
            (
                &["--pinterest-api-url", "api.pinterest.com"],
                "PINBRIDGE_PINTEREST_API_URL",
            ),
            (
                &["--pinterest-oauth-url", "https://u:p@x.example"],
                "PINBRIDGE_PINTEREST_OAUTH_URL",
            ),
            (
                &["--pinterest-sandbox-api-url", "https://x?y=1"],
                "PINBRIDGE_PINTEREST_SANDBOX_API_URL",
            ),
            (
                &["--setup-link-lifetime-secs", "10"],
                "PINBRIDGE_SETUP_LINK_LIFETIME_SECS",
            ),
            (
                &["--session-lifetime-secs", "0"],
                "PINBRIDGE_SESSION_LIFETIME_SECS",
            ),
            (
                &["--reauth-after-secs", "999999"],
                "PINBRIDGE_REAUTH_AFTER_SECS",
            ),
        ];
        for (args, named) in cases {
            let e = Config::from_settings(settings(args))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(named), "{args:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn metrics_are_off_unless_a_token_or_an_address_is_given() {
        let c = Config::from_settings(settings(&[])).unwrap();
        assert!(!c.metrics.enabled());
        let c = Config::from_settings(settings(&["--metrics-token", "", "--metrics-addr", ""]))
            .unwrap();
        assert!(!c.metrics.enabled(), "empty values are none");

        let token = "scrape-me-0123456789abcdef";
        let c = Config::from_settings(settings(&["--metrics-token", token])).unwrap();
        assert!(c.metrics.enabled());
        assert!(c.metrics.addr.is_none());
        let kept = c.metrics.token.as_ref().unwrap();
        assert!(kept.admits(&format!("Bearer {token}")));
        assert!(!kept.admits(&format!("Bearer {token}x")));
        assert!(!format!("{c:?}").contains(token), "{c:?}");

        let c = Config::from_settings(settings(&["--metrics-addr", "127.0.0.1:9464"])).unwrap();
        assert_eq!(c.metrics.addr, Some("127.0.0.1:9464".parse().unwrap()));
        assert!(c.metrics.token.is_none());
    }

    #[test]
    fn bad_metrics_settings_are_refused_with_one_line_naming_them() {
        const TOKEN: &str = "PINBRIDGE_METRICS_TOKEN (--metrics-token)";
        const ADDR: &str = "PINBRIDGE_METRICS_ADDR (--metrics-addr)";
        let cases: &[(&[&str], &str, &str)] = &[
            (
                &["--metrics-token", "only-15-chars-x"],
                TOKEN,
                "at least 16",
            ),
            (
                &["--metrics-token", "sixteen chars and a space"],
                TOKEN,
                "visible ASCII",
            ),
            (
                &["--metrics-token", "s\u{e9}cret-with-an-accent"],
                TOKEN,
                "visible ASCII",
            ),
            (
                &["--metrics-addr", "localhost"],
                ADDR,
                "not an address and port",
            ),
            (
                &["--metrics-addr", "127.0.0.1:99999"],
                ADDR,
                "not an address and port",
            ),
            (
                &["--metrics-addr", "127.0.0.1:3000"],
                ADDR,
                "PINBRIDGE_LISTEN_ADDR too",
            ),
        ];
        for (args, named, says) in cases {
            let e = Config::from_settings(settings(args))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(named), "{args:?}: {e}");
            assert!(e.contains(says), "{args:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
            if args[0] == "--metrics-token" {
                assert!(!e.contains(args[1]), "the token is never echoed: {e}");
            }
        }
    }

    #[test]
    fn postgres_with_keys_needs_no_key_file() {
        let c = Config::from_settings(settings(&[
            "--database-url",
            "postgres://postgres@127.0.0.1/test",
            "--encryption-keys",
            "k1:AAAA",
        ]))
        .unwrap();
        assert_eq!(c.backend, Backend::Postgres);
        assert_eq!(c.key_source, KeySource::Inline);
        assert!(c.sqlite_path.is_none());
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_file("sqlite://data/a.db?mode=rwc").unwrap(),
            Some("data/a.db".into())
        );
        assert_eq!(
            sqlite_file("sqlite:/abs/a.db").unwrap(),
            Some("/abs/a.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:").unwrap(), None);
        assert!(sqlite_file("sqlite://").is_err());
    }

    #[test]
    fn debug_hides_keys_and_database_url() {
        let given = settings(&[
            "--database-url",
            "postgres://user:hunter2@db/x",
            "--encryption-keys",
            "k1:c2VjcmV0a2V5",
            "--metrics-token",
            "metrics-token-0123456789abcdef",
        ]);
        let raw = format!("{given:?}");
        let c = Config::from_settings(given).unwrap();
        for shown in [format!("{c:?}"), raw] {
            assert!(
                !shown.contains("hunter2")
                    && !shown.contains("c2VjcmV0a2V5")
                    && !shown.contains("0123456789abcdef"),
                "{shown}"
            );
        }
    }
}
