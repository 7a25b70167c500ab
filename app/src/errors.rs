//! `AppError`: the one error type server functions return to the browser.
//!
//! It never carries driver text, SQL or secrets: internal failures are logged on
//! the server and reach the browser as `Internal`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Not found.")]
    NotFound,
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

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

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

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use crate::domain::db::DbError;

    impl From<DbError> for AppError {
        fn from(err: DbError) -> Self {
            tracing::error!(error = %err, "database error");
            Self::Internal
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(err: tower_sessions::session::Error) -> Self {
            tracing::error!(error = %err, "session error");
            Self::Internal
        }
    }
}
