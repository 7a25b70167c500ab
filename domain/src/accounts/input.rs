//! What is wrong with a value typed into a form, worded to sit next to its field.

/// The form field a problem belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Email,
    DisplayName,
    WorkspaceName,
    EnvironmentName,
    Password,
    Role,
}

impl Field {
    /// The form field's `name` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::DisplayName => "display_name",
            Field::WorkspaceName => "workspace_name",
            Field::EnvironmentName => "environment_name",
            Field::Password => "password",
            Field::Role => "role",
        }
    }

    /// How the field is called in a message.
    pub fn label(self) -> &'static str {
        match self {
            Field::Email => "Email",
            Field::DisplayName => "Name",
            Field::WorkspaceName => "Workspace name",
            Field::EnvironmentName => "Environment name",
            Field::Password => "Password",
            Field::Role => "Role",
        }
    }
}

/// A value refused at parsing. Every message names its field and, where there
/// is a limit, states it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    #[error("{} is required.", .field.label())]
    Required { field: Field },
    #[error("{} is required ({min} to {max} characters).", .field.label())]
    Empty {
        field: Field,
        min: usize,
        max: usize,
    },
    #[error("{} must be at most {max} characters (this one has {actual}).", .field.label())]
    TooLong {
        field: Field,
        max: usize,
        actual: usize,
    },
    #[error("{} must not contain control characters such as tabs or line breaks.", .field.label())]
    ControlCharacters { field: Field },
    #[error("Email must not contain spaces.")]
    EmailSpaces,
    #[error("Email must have exactly one @ with text on both sides, like name@example.com.")]
    EmailShape,
    #[error("Email's domain (after the @) must look like example.com.")]
    EmailDomain,
    #[error("Password must be at least {min} characters (this one has {actual}).")]
    PasswordTooShort { min: usize, actual: usize },
    #[error("Password must not contain the part of your email before the @.")]
    PasswordContainsEmail,
    #[error("Password must not contain the workspace name.")]
    PasswordContainsWorkspaceName,
    #[error("Password must not be one character repeated.")]
    PasswordRepeated,
    #[error("Role must be owner, admin or viewer.")]
    UnknownRole,
}

impl InvalidInput {
    /// The field to show this message next to.
    pub fn field(&self) -> Field {
        match self {
            InvalidInput::Required { field }
            | InvalidInput::Empty { field, .. }
            | InvalidInput::TooLong { field, .. }
            | InvalidInput::ControlCharacters { field } => *field,
            InvalidInput::EmailSpaces | InvalidInput::EmailShape | InvalidInput::EmailDomain => {
                Field::Email
            }
            InvalidInput::PasswordTooShort { .. }
            | InvalidInput::PasswordContainsEmail
            | InvalidInput::PasswordContainsWorkspaceName
            | InvalidInput::PasswordRepeated => Field::Password,
            InvalidInput::UnknownRole => Field::Role,
        }
    }
}
