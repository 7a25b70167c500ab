//! `AppError`: the one error type server functions return to the browser.
//!
//! It never carries driver text, SQL or secrets: internal failures are logged on
//! the server and reach the browser as `Internal`. Each variant decides its HTTP
//! status ([`AppError::status`]), which the answer carries.

use leptos::server_fn::Encodes;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Not found.")]
    NotFound,
    /// No operator is signed in to this session.
    #[error("Sign in to continue.")]
    Unauthenticated,
    /// Signed in, but the role in this workspace does not allow it.
    #[error("Your role in this workspace does not allow this.")]
    Forbidden,
    /// A sign-in with an email and password that do not match an account (the
    /// same answer for an unknown email and a wrong password).
    #[error("{0}")]
    BadCredentials(String),
    /// Too many attempts: try again after `retry_after_secs`.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after_secs: u64,
    },
    /// pinbridge cannot take this on just now (every password-hashing slot is
    /// busy): try again after `retry_after_secs`.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    /// Understood and allowed in general, but refused in this case: the message
    /// says why (the last owner, an environment with connections, a used link…).
    #[error("{0}")]
    Refused(String),
    /// Bad input from the person: the message says what is wrong and how to fix it.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
    #[error("The request could not be completed: {0}")]
    Request(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// For forms repeated once per row (rename this environment, change this
    /// member's role): ties a field error or a refusal to the row `id`, so only
    /// that row shows it. Field `f` becomes `f@id`; a refusal becomes field `@id`.
    pub fn for_row(self, id: &str) -> Self {
        match self {
            Self::Invalid {
                field: Some(field),
                message,
            } => Self::Invalid {
                field: Some(format!("{field}@{id}")),
                message,
            },
            Self::Invalid {
                field: None,
                message,
            }
            | Self::Refused(message) => Self::Invalid {
                field: Some(format!("@{id}")),
                message,
            },
            other => other,
        }
    }

    /// The form field this error belongs next to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid {
                field: Some(field), ..
            } => Some(field),
            _ => None,
        }
    }

    /// The message to show next to `field`, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid {
                field: Some(field),
                message,
            } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}

impl AppError {
    /// The HTTP status that answers this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthenticated | Self::BadCredentials(_) => 401,
            Self::Forbidden => 403,
            Self::Throttled { .. } => 429,
            Self::Refused(_) => 409,
            Self::Invalid { .. } => 422,
            Self::Request(_) => 400,
            Self::Internal => 500,
            Self::Busy { .. } => 503,
        }
    }

    /// Seconds to wait before trying again, for `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Throttled {
                retry_after_secs, ..
            }
            | Self::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Leptos answers every server-function error with 500 and has no hook
    /// between the error and its response but this encoding, which runs in
    /// the request's context: the status (and `Retry-After`) are set here,
    /// from the error itself. A plain form post keeps Leptos' redirect.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        ssr::answer_with_status(self);
        // Every field is a string or a number, so encoding cannot fail; were
        // it to, the browser is told `Internal`.
        <JsonEncoding as Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#""Internal""#))
    }

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => Self::Invalid {
                field: None,
                message: format!("The form was not understood: {msg}"),
            },
            other => Self::Request(other.to_string()),
        }
    }
}

/// The field where a person retypes a name to confirm deleting the thing.
pub const CONFIRM_FIELD: &str = "confirm_name";

/// The field where an operator types their current password (account page).
pub const CURRENT_PASSWORD_FIELD: &str = "current_password";

/// The password field the most sensitive forms add when the sign-in is old.
pub const REAUTH_FIELD: &str = "reauth_password";

/// The Pinterest settings form's scope checkboxes (sent as `scopes[]`).
pub const SCOPES_FIELD: &str = "scopes";

#[cfg(feature = "ssr")]
mod ssr {
    use super::{AppError, CONFIRM_FIELD, CURRENT_PASSWORD_FIELD, REAUTH_FIELD, SCOPES_FIELD};
    use domain::accounts::{AccountsError, Field, HashingError, InvalidInput};
    use domain::connections::ConnectionError;
    use domain::db::DbError;
    use domain::pinterest::PinterestError;

    impl From<ConnectionError> for AppError {
        fn from(err: ConnectionError) -> Self {
            use ConnectionError as E;
            match err {
                E::Invalid { field, message } => AppError::invalid(field, message),
                E::NotFound => AppError::NotFound,
                E::Forbidden => AppError::Forbidden,
                E::Refused(message) => AppError::Refused(message),
                E::Crypto(e) => {
                    tracing::error!(error = %e, "a stored connection token could not be opened");
                    AppError::Internal
                }
                E::Db(e) => e.into(),
                E::Accounts(e) => e.into(),
            }
        }
    }

    impl From<DbError> for AppError {
        fn from(err: DbError) -> Self {
            tracing::error!(error = %err, "database error");
            Self::Internal
        }
    }

    impl From<InvalidInput> for AppError {
        fn from(invalid: InvalidInput) -> Self {
            AppError::invalid(invalid.field().name(), invalid.to_string())
        }
    }

    impl From<AccountsError> for AppError {
        fn from(err: AccountsError) -> Self {
            use AccountsError as E;
            match err {
                E::Invalid(invalid) => invalid.into(),
                E::NotFound => AppError::NotFound,
                E::Forbidden => AppError::Forbidden,
                E::EmailTaken | E::AccountExists | E::AlreadyMember => {
                    AppError::invalid(Field::Email.name(), err.to_string())
                }
                E::WorkspaceNameTaken => {
                    AppError::invalid(Field::WorkspaceName.name(), err.to_string())
                }
                E::EnvironmentNameTaken | E::EnvironmentSlugTaken { .. } => {
                    AppError::invalid(Field::EnvironmentName.name(), err.to_string())
                }
                E::EnvironmentConfirmationMismatch => {
                    AppError::invalid(CONFIRM_FIELD, err.to_string())
                }
                E::SetupTokenExpired => AppError::Refused(err.to_string()),
                E::SignedOutAfterWrongPasswords => AppError::Refused(err.to_string()),
                E::TwoFactorAlreadyOn
                | E::TwoFactorNotStarted
                | E::TwoFactorRequiredBy { .. }
                | E::TwoFactorNeededToRequire => AppError::Refused(err.to_string()),
                E::TwoFactorCodeMalformed | E::TwoFactorCodeWrong | E::TwoFactorCodeUsed => {
                    AppError::invalid("code", err.to_string())
                }
                E::TwoFactorSetup(e) => {
                    tracing::error!(error = %e, "a two-factor secret could not be made or opened");
                    AppError::Internal
                }
                E::WrongCurrentPassword => {
                    AppError::invalid(CURRENT_PASSWORD_FIELD, err.to_string())
                }
                E::ReauthenticationRequired { .. } => {
                    AppError::invalid(REAUTH_FIELD, err.to_string())
                }
                E::SetupTokenInvalid
                | E::SetupComplete
                | E::InvitationInvalid
                | E::InvitationForAnotherAccount { .. }
                | E::EnvironmentInUse { .. }
                | E::LastEnvironment
                | E::FirstMemberMustBeOwner
                | E::LastOwner => AppError::Refused(err.to_string()),
                E::Throttled { retry_after_secs } => AppError::Throttled {
                    message: err.to_string(),
                    retry_after_secs,
                },
                E::InvalidCredentials => AppError::BadCredentials(err.to_string()),
                E::Hashing(HashingError::Busy) => AppError::Busy {
                    message: "pinbridge is busy checking other sign-ins: try again in a moment."
                        .into(),
                    retry_after_secs: 1,
                },
                E::Hashing(e) => {
                    tracing::error!(error = %e, "password hashing failed");
                    AppError::Internal
                }
                E::Db(e) => e.into(),
            }
        }
    }

    impl From<domain::branding::BrandingError> for AppError {
        fn from(err: domain::branding::BrandingError) -> Self {
            use domain::branding::BrandingError as E;
            match err {
                E::Invalid { field, message } => AppError::invalid(field, message),
                E::Accounts(e) => e.into(),
                E::Db(e) => e.into(),
            }
        }
    }

    impl From<PinterestError> for AppError {
        fn from(err: PinterestError) -> Self {
            use PinterestError as E;
            match err {
                E::Invalid(invalid) => AppError::invalid(invalid.field(), invalid.to_string()),
                E::Scopes(e) => AppError::invalid(SCOPES_FIELD, e.to_string()),
                E::NotFound => AppError::NotFound,
                E::Forbidden => AppError::Forbidden,
                E::Conflict { by, at } => AppError::Refused(format!(
                    "These settings were changed by {by} at {}, after you opened this page. Reload the page to see their changes, then make yours again.",
                    crate::models::format_utc(at)
                )),
                E::ConfirmationMismatch => AppError::invalid(CONFIRM_FIELD, err.to_string()),
                E::NotConfigured | E::Gone | E::InUse { .. } => AppError::Refused(err.to_string()),
                E::Crypto(e) => {
                    tracing::error!(error = %e, "a stored Pinterest secret could not be opened");
                    AppError::Internal
                }
                E::Db(e) => e.into(),
                E::Accounts(e) => e.into(),
            }
        }
    }

    /// Sets the answer's status (and `Retry-After`) from `error`, unless the
    /// request is a plain form post, whose answer is Leptos' redirect back.
    pub(super) fn answer_with_status(error: &AppError) {
        use leptos::prelude::use_context;
        use leptos_axum::ResponseOptions;
        let Some(response) = use_context::<ResponseOptions>() else {
            return;
        };
        if crate::functions::request::is_plain_form_post() {
            return;
        }
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
        if let Some(secs) = error.retry_after_secs() {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(err: tower_sessions::session::Error) -> Self {
            tracing::error!(error = %err, "session error");
            Self::Internal
        }
    }
}
