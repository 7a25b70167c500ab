//! Why pinbridge did not start: one error for every step of start-up (and for
//! the administrative commands, which open the installation the same way).

use std::fmt;

use crate::config::ConfigError;

/// Why pinbridge did not start. Displays as one line naming what to fix.
#[derive(Debug)]
pub enum StartError {
    Config(ConfigError),
    Listen { addr: String, message: String },
    MetricsListen { addr: String, message: String },
    Keys { setting: String, message: String },
    Database(String),
    KeyCheck(String),
    Signals(std::io::Error),
}

impl StartError {
    /// 2 when a setting is wrong (a bad value, keys that do not parse or do not
    /// open this database): starting again cannot help, and systemd's
    /// `RestartPreventExitStatus=2` stops trying. 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Keys { .. } | Self::KeyCheck(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "{e}"),
            Self::Listen { addr, message } => {
                write!(
                    f,
                    "PINBRIDGE_LISTEN_ADDR (--listen-addr): cannot listen on {addr}: {message}"
                )
            }
            Self::MetricsListen { addr, message } => {
                write!(
                    f,
                    "PINBRIDGE_METRICS_ADDR (--metrics-addr): cannot listen on {addr}: {message}"
                )
            }
            Self::Keys { setting, message } => write!(f, "{setting}: {message}"),
            Self::Database(message) => {
                write!(f, "PINBRIDGE_DATABASE_URL (--database-url): {message}")
            }
            Self::KeyCheck(message) => write!(f, "encryption keys: {message}"),
            Self::Signals(e) => write!(f, "cannot listen for shutdown signals: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<ConfigError> for StartError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}
