//! Reading a role typed by a person (`Role` itself is in `shared`).

use std::str::FromStr;

pub use crate::shared::Role;

use super::input::InvalidInput;

impl FromStr for Role {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(&s.trim().to_ascii_lowercase()).ok_or(InvalidInput::UnknownRole)
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
