//! Start-up configuration: [`SimConfig`] and the specs of apps and users, read
//! from flags, a TOML file, or built in code by tests.
//!
//! The admin API takes the same [`AppSpec`] and [`UserSpec`] JSON as the TOML
//! file's `[[apps]]` and `[[users]]` tables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cli::SimArgs;
use super::faults::FaultSet;
use super::model::{AccessTier, AccountType, ConsentMode, Environment, Privacy};

/// Everything needed to start a simulator. `Default` binds 127.0.0.1 on an
/// ephemeral port with the demo app and user, which is what tests want.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub addr: SocketAddr,
    /// Base URL used in links the simulator hands out (Pin images); defaults to
    /// `http://<bound address>`.
    pub public_url: Option<String>,
    /// Seed app `1234567` and user `demo_pinner`.
    pub demo: bool,
    pub apps: Vec<AppSpec>,
    pub users: Vec<UserSpec>,
    pub lifetimes: TokenLifetimes,
    pub consent: ConsentSetting,
    pub environment: Environment,
    /// Global faults in force from the start.
    pub faults: Option<FaultSet>,
    /// Larger request bodies get 413.
    pub max_body_bytes: usize,
    /// How many requests the log keeps (oldest dropped first); 0 disables it.
    pub request_log_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            demo: true,
            apps: Vec::new(),
            users: Vec::new(),
            lifetimes: TokenLifetimes::default(),
            consent: ConsentSetting::default(),
            environment: Environment::Production,
            faults: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
        }
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:4010";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 10_000;

/// How long credentials live. Pinterest: access 30 days, refresh 60 days
/// (renewed on every refresh), authorization code 10 minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLifetimes {
    pub access: Duration,
    pub refresh: Duration,
    pub code: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        TokenLifetimes {
            access: Duration::from_secs(30 * 24 * 3600),
            refresh: Duration::from_secs(60 * 24 * 3600),
            code: Duration::from_secs(600),
        }
    }
}

/// An app to register: in `[[apps]]`, `--app`, or `POST /_sim/apps`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// Digits; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Generated (40 hex digits) when absent.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// `trial` (default, like a new Pinterest app) or `standard`.
    #[serde(default)]
    pub tier: AccessTier,
    /// Overrides the global access-token lifetime for this app.
    #[serde(default)]
    pub access_token_ttl_secs: Option<u64>,
    #[serde(default)]
    pub refresh_token_ttl_secs: Option<u64>,
}

impl AppSpec {
    /// Parses `--app ID:SECRET:TIER:REDIRECT_URI[,REDIRECT_URI...]`.
    pub fn parse_flag(raw: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::AppFlag(format!("{why} in --app {raw:?}"));
        let mut parts = raw.splitn(4, ':');
        let (Some(id), Some(secret), Some(tier), Some(uris)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected ID:SECRET:TIER:REDIRECT_URI"));
        };
        let tier: AccessTier = tier.parse().map_err(|e: String| bad(&e))?;
        let redirect_uris: Vec<String> = uris
            .split(',')
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if redirect_uris.is_empty() {
            return Err(bad("no redirect URI"));
        }
        Ok(AppSpec {
            id: Some(id.to_owned()),
            secret: Some(secret.to_owned()),
            name: None,
            redirect_uris,
            tier,
            access_token_ttl_secs: None,
            refresh_token_ttl_secs: None,
        })
    }
}

/// A user to create: in `[[users]]` or `POST /_sim/users`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// 3 to 30 letters, digits or underscores; unique.
    pub username: String,
    #[serde(default)]
    pub account_type: AccountType,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub website_url: Option<String>,
    #[serde(default)]
    pub follower_count: u64,
    #[serde(default)]
    pub following_count: u64,
    #[serde(default)]
    pub monthly_views: u64,
    #[serde(default)]
    pub boards: Vec<BoardSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub privacy: Privacy,
    /// A number of generated Pins, or the Pins themselves.
    #[serde(default)]
    pub pins: PinsSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PinsSpec {
    Count(u32),
    List(Vec<PinSpec>),
}

impl Default for PinsSpec {
    fn default() -> Self {
        PinsSpec::Count(0)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinSpec {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub alt_text: Option<String>,
    #[serde(default)]
    pub dominant_color: Option<String>,
}

/// Consent behaviour and the user the browser is "signed in" as.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSetting {
    #[serde(default)]
    pub mode: ConsentMode,
    /// Username; when absent, the first user created (`demo_pinner` with the demo).
    #[serde(default)]
    pub user: Option<String>,
}

/// The TOML file `--config` reads; every key is optional and flags win.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub addr: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub demo: Option<bool>,
    pub environment: Option<Environment>,
    pub access_token_ttl_secs: Option<u64>,
    pub refresh_token_ttl_secs: Option<u64>,
    pub code_ttl_secs: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub request_log_capacity: Option<usize>,
    pub consent: Option<ConsentSetting>,
    pub faults: Option<FaultSet>,
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    #[serde(default)]
    pub users: Vec<UserSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Toml {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("{0}")]
    AppFlag(String),
    #[error("invalid --addr {0:?}: expected HOST:PORT, e.g. 127.0.0.1:4010")]
    Addr(String),
}

impl ConfigFile {
    pub fn parse(text: &str, path: &std::path::Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            source: e,
        })?;
        Self::parse(&text, path)
    }
}

impl SimConfig {
    /// Merges flags over the config file over defaults.
    pub fn from_args(args: &SimArgs) -> Result<Self, ConfigError> {
        let file = match &args.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let defaults = TokenLifetimes::default();
        let secs = Duration::from_secs;
        let addr = match (&args.addr, file.addr) {
            (Some(raw), _) => raw.parse().map_err(|_| ConfigError::Addr(raw.clone()))?,
            (None, Some(addr)) => addr,
            (None, None) => DEFAULT_ADDR
                .parse()
                .map_err(|_| ConfigError::Addr(DEFAULT_ADDR.into()))?,
        };
        let mut apps = file.apps;
        for raw in &args.app {
            apps.push(AppSpec::parse_flag(raw)?);
        }
        let mut consent = file.consent.unwrap_or_default();
        if let Some(mode) = args.consent {
            consent.mode = mode;
        }
        if let Some(user) = &args.consent_user {
            consent.user = Some(user.clone());
        }
        Ok(SimConfig {
            addr,
            public_url: args.public_url.clone().or(file.public_url),
            demo: !args.no_demo && file.demo.unwrap_or(true),
            apps,
            users: file.users,
            lifetimes: TokenLifetimes {
                access: args
                    .access_token_ttl
                    .or(file.access_token_ttl_secs)
                    .map_or(defaults.access, secs),
                refresh: args
                    .refresh_token_ttl
                    .or(file.refresh_token_ttl_secs)
                    .map_or(defaults.refresh, secs),
                code: args
                    .code_ttl
                    .or(file.code_ttl_secs)
                    .map_or(defaults.code, secs),
            },
            consent,
            environment: args.environment.or(file.environment).unwrap_or_default(),
            faults: file.faults,
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
            request_log_capacity: args
                .request_log_capacity
                .or(file.request_log_capacity)
                .unwrap_or(DEFAULT_REQUEST_LOG_CAPACITY),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_flag_keeps_colons_in_redirect_uris() {
        let spec = AppSpec::parse_flag(
            "42:s3cret:standard:http://127.0.0.1:3000/cb,http://localhost:3000/cb",
        )
        .unwrap();
        assert_eq!(spec.id.as_deref(), Some("42"));
        assert_eq!(spec.tier, AccessTier::Standard);
        assert_eq!(
            spec.redirect_uris,
            ["http://127.0.0.1:3000/cb", "http://localhost:3000/cb"]
        );
        assert!(AppSpec::parse_flag("42:s3cret:gold:http://x").is_err());
        assert!(AppSpec::parse_flag("42:s3cret").is_err());
    }

    #[test]
    fn toml_file_takes_apps_users_and_faults() {
        let file = ConfigFile::parse(
            r#"
            demo = false
            access_token_ttl_secs = 5
            [consent]
            mode = "auto-allow"
            user = "alice"
            [faults]
            latency_ms = 20
            [[apps]]
            id = "7654321"
            secret = "x"
            redirect_uris = ["http://127.0.0.1:9/cb"]
            tier = "standard"
            [[users]]
            username = "alice"
            [[users.boards]]
            name = "Recipes"
            pins = 3
            "#,
            std::path::Path::new("sim.toml"),
        )
        .unwrap();
        assert_eq!(file.demo, Some(false));
        assert_eq!(file.apps[0].tier, AccessTier::Standard);
        assert_eq!(file.users[0].boards[0].pins, PinsSpec::Count(3));
        assert_eq!(file.consent.unwrap().mode, ConsentMode::AutoAllow);
        assert_eq!(file.faults.unwrap().latency_ms, 20);
    }
}
