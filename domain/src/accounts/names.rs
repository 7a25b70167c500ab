//! Names people type: workspace, environment and operator display names.

use std::fmt;

use super::input::{Field, InvalidInput};

/// Longest name accepted, in characters.
pub const NAME_MAX: usize = 64;

/// Trims `input` and checks it is 1..=[`NAME_MAX`] characters without control characters.
fn parse_name(input: &str, field: Field) -> Result<String, InvalidInput> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(InvalidInput::Empty {
            field,
            min: 1,
            max: NAME_MAX,
        });
    }
    let actual = trimmed.chars().count();
    if actual > NAME_MAX {
        return Err(InvalidInput::TooLong {
            field,
            max: NAME_MAX,
            actual,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidInput::ControlCharacters { field });
    }
    Ok(trimmed.to_owned())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, InvalidInput> {
                parse_name(input, $field).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The form compared for uniqueness: "Production" and "production" are one name.
            pub fn folded(&self) -> String {
                self.0.to_lowercase()
            }

            /// Rebuilds a name read back from storage, where only parsed ones are written.
            pub fn from_stored(stored: String) -> Self {
                Self(stored)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A workspace's name, unique across the installation regardless of case.
    WorkspaceName,
    Field::WorkspaceName
);
name_type!(
    /// An environment's name, unique inside its workspace regardless of case.
    EnvironmentName,
    Field::EnvironmentName
);
name_type!(
    /// How an operator is shown to others in the portal and the audit log.
    DisplayName,
    Field::DisplayName
);

impl EnvironmentName {
    /// The environment's URL segment: lower-case ASCII letters and digits joined
    /// by single hyphens ("Staging EU 2" → "staging-eu-2"); "env" when the name
    /// has no ASCII letter or digit at all.
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in self.0.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        while slug.ends_with('-') {
            slug.pop();
        }
        if slug.is_empty() {
            "env".to_owned()
        } else {
            slug
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited_to_64_characters() {
        assert_eq!(WorkspaceName::parse("  Acme ").unwrap().as_str(), "Acme");
        assert!(
            WorkspaceName::parse(&"é".repeat(64)).is_ok(),
            "limit counts characters"
        );
        let err = WorkspaceName::parse(&"x".repeat(65)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Workspace name must be at most 64 characters (this one has 65)."
        );
        let err = EnvironmentName::parse(" \t ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Environment name is required (1 to 64 characters)."
        );
        assert_eq!(err.field(), Field::EnvironmentName);
        let err = DisplayName::parse("Ada\nLovelace").unwrap_err();
        assert_eq!(
            err,
            InvalidInput::ControlCharacters {
                field: Field::DisplayName
            }
        );
        assert!(
            err.to_string()
                .starts_with("Name must not contain control characters")
        );
    }

    #[test]
    fn folding_ignores_case() {
        let a = EnvironmentName::parse("Production").unwrap();
        let b = EnvironmentName::parse("PRODUCTION").unwrap();
        assert_eq!(a.folded(), b.folded());
    }

    #[test]
    fn slugs_are_url_safe() {
        let slug = |s: &str| EnvironmentName::parse(s).unwrap().slug();
        assert_eq!(slug("Development"), "development");
        assert_eq!(slug("Staging  EU / 2"), "staging-eu-2");
        assert_eq!(slug("--Prod--"), "prod");
        assert_eq!(slug("Ünïcode"), "n-code");
        assert_eq!(slug("生产"), "env");
    }
}
