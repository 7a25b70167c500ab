//! Typed ids for accounts data: UUIDv7 text, so ids sort by creation time and
//! never reveal how many rows exist.

use std::fmt;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id that came from outside (a URL, a form). Anything that is
            /// not a UUID is refused here, before it reaches a query.
            pub fn parse(text: &str) -> Option<Self> {
                uuid::Uuid::parse_str(text.trim()).ok().map(|u| Self(u.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

uuid_id!(
    /// A workspace (tenant).
    WorkspaceId
);
uuid_id!(
    /// An operator: a person who signs in to the portal.
    OperatorId
);
uuid_id!(
    /// An environment inside one workspace.
    EnvironmentId
);
uuid_id!(
    /// An invitation to join a workspace.
    InvitationId
);
uuid_id!(
    /// One audit log record.
    AuditEventId
);

uuid_id!(
    /// One sign-in of an operator in one browser (a row of `operator_sessions`).
    SignInId
);

uuid_id!(
    /// An end user's Pinterest connection.
    ConnectionId
);
uuid_id!(
    /// A connect link handed to one end user.
    ConnectLinkId
);
uuid_id!(
    /// One health probe of a connection.
    ProbeId
);
uuid_id!(
    /// One "Check all" of an environment's connections.
    HealthRunId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_and_parse_refuses_anything_else() {
        let id = WorkspaceId::generate();
        assert_eq!(WorkspaceId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(WorkspaceId::parse("1"), None);
        assert_eq!(WorkspaceId::parse("' or 1=1 --"), None);
        // UUIDv7: later ids sort after earlier ones.
        let later = WorkspaceId::generate();
        assert!(later > id);
    }
}
uuid_id!(
    /// An environment API key.
    ApiKeyId
);
uuid_id!(
    /// A webhook endpoint of an environment.
    WebhookEndpointId
);
uuid_id!(
    /// A webhook event: its `webhook-id`, the same on every attempt.
    WebhookEventId
);
uuid_id!(
    /// One event's delivery to one endpoint.
    WebhookDeliveryId
);
