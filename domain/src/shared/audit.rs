//! What the audit log records.

closed_set! {
    /// What happened. Stored and shown as the dotted name.
    pub enum AuditAction {
        SetupCompleted = "setup.completed",
        SignedIn = "session.signed_in",
        SignInFailed = "session.sign_in_failed",
        SignedOut = "session.signed_out",
        WorkspaceCreated = "workspace.created",
        MemberAdded = "member.added",
        MemberInvited = "member.invited",
        InvitationRevoked = "member.invitation_revoked",
        InvitationAccepted = "member.invitation_accepted",
        MemberRoleChanged = "member.role_changed",
        MemberRemoved = "member.removed",
        EnvironmentCreated = "environment.created",
        EnvironmentRenamed = "environment.renamed",
        EnvironmentDeleted = "environment.deleted",
        PinterestConfigured = "pinterest.configured",
        PinterestSettingsChanged = "pinterest.settings_changed",
        PinterestSecretReplaced = "pinterest.secret_replaced",
        PinterestCredentialsChecked = "pinterest.credentials_checked",
        PinterestEnabled = "pinterest.enabled",
        PinterestDisabled = "pinterest.disabled",
        PinterestDeleted = "pinterest.deleted",
        ConnectLinkCreated = "connection.link_created",
        ReturnOriginsChanged = "connection.return_origins_changed",
        ConnectionCreated = "connection.created",
        ConnectionReauthorized = "connection.reauthorized",
        ConnectionAuthorizationFailed = "connection.authorization_failed",
        ConnectionRefreshed = "connection.refreshed",
        ConnectionStateChanged = "connection.state_changed",
        ConnectionDisconnected = "connection.disconnected",
        ConnectionsCheckAll = "connection.check_all_started",
    }
}
