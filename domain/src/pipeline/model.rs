//! What the drift view and a promotion answer: items side by side, the
//! environments' versions, and why something was refused.

use serde::Serialize;

use crate::accounts::EnvironmentId;
use crate::db::DbError;

/// Why a comparison or promotion was refused. Each says what to do, in words
/// an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("No such environment in this workspace.")]
    NotFound,
    #[error("Choose two different environments: an environment is always equal to itself.")]
    SameEnvironment,
    #[error("Choose at least one difference to copy.")]
    EmptySelection,
    #[error(
        "\"{0}\" is not a difference between these environments (it may have been resolved meanwhile): compare them again."
    )]
    UnknownItem(String),
    #[error("{label} cannot be copied: {reason}")]
    NotCopyable { label: String, reason: String },
    #[error(
        "{0} changed since this comparison was drawn: compare again, and review what will change."
    )]
    Stale(String),
    #[error("Type the target environment's name, \"{0}\", to confirm.")]
    Confirmation(String),
    #[error("Only owners and admins can promote configuration.")]
    Forbidden,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a stored secret could not be opened")]
    Crypto(#[from] crate::crypto::CryptoError),
}

impl From<crate::accounts::AccountsError> for PipelineError {
    fn from(e: crate::accounts::AccountsError) -> Self {
        match e {
            crate::accounts::AccountsError::Forbidden => Self::Forbidden,
            crate::accounts::AccountsError::Db(e) => Self::Db(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<crate::connections::ConnectionError> for PipelineError {
    fn from(e: crate::connections::ConnectionError) -> Self {
        match e {
            crate::connections::ConnectionError::Db(e) => Self::Db(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl PipelineError {
    /// Whether the fault is the request's (shown as said) rather than pinbridge's.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Self::Db(_) | Self::Crypto(_))
    }
}

/// Which part of the integration an item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Pinterest,
    ReturnOrigins,
    Webhooks,
    ApiKeys,
    AgentSignIn,
}

impl Section {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pinterest => "Pinterest",
            Self::ReturnOrigins => "Allowed return origins",
            Self::Webhooks => "Webhook endpoints",
            Self::ApiKeys => "API keys",
            Self::AgentSignIn => "Agent sign-in",
        }
    }
}

/// One side of an item: what it shows, and who changed it last and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub value: String,
    pub changed_at: i64,
    pub changed_by: String,
}

/// Which side changed an item last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Newer {
    From,
    To,
    Same,
}

/// One compared item.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Stable across views: what a promotion names.
    pub key: String,
    pub section: Section,
    pub label: String,
    /// `None`: the environment does not have it.
    pub from: Option<Side>,
    pub to: Option<Side>,
    pub equal: bool,
    /// Which side changed it last (for items that differ and both sides have,
    /// or the one side that has it).
    pub newer: Option<Newer>,
    /// Why it cannot be copied from `from` to `to`; `None` when it can (or is equal).
    pub not_copyable: Option<String>,
}

impl Row {
    /// Whether a promotion may copy it: a difference with nothing against it.
    pub fn copyable(&self) -> bool {
        !self.equal && self.not_copyable.is_none()
    }
}

/// An environment as a view names it.
#[derive(Clone, Debug, Serialize)]
pub struct EnvironmentRef {
    pub id: EnvironmentId,
    pub name: String,
    /// A hash of everything compared: a promotion made from this view names it.
    pub version: String,
}

/// Two environments side by side.
#[derive(Clone, Debug, Serialize)]
pub struct Drift {
    pub from: EnvironmentRef,
    pub to: EnvironmentRef,
    /// Every item either side has, differences and equal ones, in section order.
    pub rows: Vec<Row>,
    /// Sections left out for this viewer: webhook endpoints are shown only
    /// to those who may see the Webhooks page (owners and admins).
    pub hidden: Vec<Section>,
}

impl Drift {
    pub fn differences(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| !r.equal)
    }
}
