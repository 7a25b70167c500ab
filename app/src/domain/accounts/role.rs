//! What an operator may do in a workspace.

use std::fmt;
use std::str::FromStr;

use super::input::InvalidInput;

/// A member's role: viewers read, admins also configure, owners also manage members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn can_configure(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    pub fn can_manage_members(self) -> bool {
        matches!(self, Role::Owner)
    }
}

impl FromStr for Role {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            _ => Err(InvalidInput::UnknownRole),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_grow_with_the_role() {
        assert!(!Role::Viewer.can_configure());
        assert!(!Role::Viewer.can_manage_members());
        assert!(Role::Admin.can_configure());
        assert!(!Role::Admin.can_manage_members());
        assert!(Role::Owner.can_configure());
        assert!(Role::Owner.can_manage_members());
    }

    #[test]
    fn parses_its_own_text_and_refuses_others() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert_eq!("root".parse::<Role>(), Err(InvalidInput::UnknownRole));
        assert_eq!(
            InvalidInput::UnknownRole.to_string(),
            "Role must be owner, admin or viewer."
        );
    }
}
