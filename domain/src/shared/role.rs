//! What an operator may do in a workspace.

closed_set! {
    /// A member's role: viewers read, admins also configure, owners also manage members.
    pub enum Role {
        Owner = "owner",
        Admin = "admin",
        Viewer = "viewer",
    }
}

impl Role {
    pub fn can_configure(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    pub fn can_manage_members(self) -> bool {
        matches!(self, Role::Owner)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Viewer => "Viewer",
        }
    }

    /// What the role may do, in a few words (shown where roles are chosen).
    pub fn summary(self) -> &'static str {
        match self {
            Role::Owner => "everything, including members and roles",
            Role::Admin => "configure integrations and environments",
            Role::Viewer => "read-only",
        }
    }
}
