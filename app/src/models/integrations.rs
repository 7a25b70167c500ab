//! The Integrations page: each integration's card and its state in one environment.

use domain::shared::CheckOutcome;
use serde::{Deserialize, Serialize};

use super::{ConnectionCounts, EnvironmentView};

/// An integration's state in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntegrationState {
    NotConfigured,
    /// Configured and on; `check` is the last credential check's outcome, if any.
    Configured {
        check: Option<CheckOutcome>,
    },
    /// Configured, but turned off: no new connections.
    Disabled,
}

impl IntegrationState {
    pub fn label(&self) -> &'static str {
        use CheckOutcome as C;
        match self {
            IntegrationState::NotConfigured => "Not configured",
            IntegrationState::Configured { check: None } => "Configured · not checked",
            IntegrationState::Configured {
                check: Some(C::Accepted),
            } => "Configured · credentials accepted",
            IntegrationState::Configured {
                check: Some(C::Rejected),
            } => "Configured · credentials rejected",
            IntegrationState::Configured {
                check: Some(C::Failed),
            } => "Configured · check failed",
            IntegrationState::Disabled => "Disabled",
        }
    }

    /// The status pill's style.
    pub fn class(&self) -> &'static str {
        use CheckOutcome as C;
        match self {
            IntegrationState::NotConfigured | IntegrationState::Disabled => "status status-off",
            IntegrationState::Configured {
                check: Some(C::Accepted),
            } => "status status-ok",
            IntegrationState::Configured {
                check: Some(C::Rejected),
            } => "status status-bad",
            IntegrationState::Configured { .. } => "status status-warn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationCard {
    /// The URL segment under `…/integrations/`.
    pub key: String,
    pub name: String,
    pub description: String,
    pub state: IntegrationState,
    pub connections: ConnectionCounts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub environment: EnvironmentView,
    pub integrations: Vec<IntegrationCard>,
}
