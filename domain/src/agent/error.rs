//! A tool's failure, in words an agent can act on, and the connect link
//! offered with it when the end user must (re)connect.

use crate::Services;
use crate::accounts::RequestMeta;
use crate::api::{ApiCaller, ApiError};
use crate::connections::links::{self, LinkInput};
use crate::db::DbError;
use crate::shared::{ApiPermission, ToolOutcome};

/// Why a tool call did not do what was asked, in words an agent can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError {
    pub outcome: ToolOutcome,
    pub message: String,
}

impl ToolError {
    pub fn new(outcome: ToolOutcome, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ToolOutcome::Invalid, message)
    }

    fn internal(detail: &str) -> Self {
        tracing::error!(error = detail, "an agent tool call failed inside pinbridge");
        Self::new(
            ToolOutcome::Internal,
            "pinbridge could not complete this call because of an internal error; nothing was changed at Pinterest unless the tool reported success. Try again later.",
        )
    }
}

impl From<DbError> for ToolError {
    fn from(e: DbError) -> Self {
        Self::internal(&e.to_string())
    }
}

/// " Send the end user this link …" when the key may make connect links
/// (it has `connect`); otherwise how to get one.
pub(super) async fn connect_offer(
    services: &Services,
    caller: &ApiCaller,
    end_user: &str,
    meta: &RequestMeta,
) -> String {
    if !caller.permissions.contains(&ApiPermission::Connect) {
        return " Your application can make a connect link for them (POST /v1/connect-sessions, or an API key with the connect permission).".into();
    }
    let input = LinkInput {
        end_user_id: end_user.to_owned(),
        display_name: None,
        return_url: None,
    };
    // As the application's POST /v1/connect-sessions: audited, for this key.
    match crate::api::calls::create_connect_session(services, caller, input, meta).await {
        Ok(link) => format!(
            " Send the end user this link to connect Pinterest (it works once, for {} minutes): {}",
            links::LINK_TTL_MS / 60_000,
            link.url
        ),
        Err(e) => format!(" A connect link could not be made: {e}"),
    }
}

/// An API error on the way to Pinterest, as a tool error.
pub(super) fn from_api(e: ApiError) -> ToolError {
    match e {
        ApiError::Reconnect { reason, .. } => ToolError::new(
            ToolOutcome::Reconnect,
            format!("The end user must reconnect Pinterest: {reason}"),
        ),
        ApiError::Invalid { message, .. } => ToolError::invalid(message),
        ApiError::NotFound | ApiError::NotAnId(_) => {
            ToolError::new(ToolOutcome::NotFound, "Not found.")
        }
        ApiError::Refused(m) => ToolError::new(ToolOutcome::Refused, m),
        ApiError::Unavailable(m) => ToolError::new(ToolOutcome::Unavailable, m),
        ApiError::UpstreamTimeout => ToolError::new(
            ToolOutcome::Unavailable,
            "Pinterest did not answer in time; try again in a moment.",
        ),
        ApiError::Busy => ToolError::new(
            ToolOutcome::Unavailable,
            "The connection is busy (its token is being refreshed); try again in a moment.",
        ),
        e @ (ApiError::Unauthorized(_) | ApiError::MissingPermission(_)) => {
            ToolError::invalid(e.to_string())
        }
        ApiError::Internal(detail) => ToolError::internal(&detail),
    }
}
