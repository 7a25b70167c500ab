//! Wire types of the account page: the signed-in operator's own sign-ins and
//! two-factor state. Never a password, a TOTP secret or a recovery code's hash.

use serde::{Deserialize, Serialize};

use super::accounts::OperatorView;

/// The account page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub operator: OperatorView,
    /// Newest first; the one of this browser has `current`.
    pub sessions: Vec<SessionView>,
    /// The most sensitive actions will ask for the password first.
    pub reauth_needed: bool,
    pub two_factor: TwoFactorView,
    /// What a form sent without JavaScript said.
    pub notices: Vec<String>,
}

/// One sign-in of the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// This browser's own sign-in.
    pub current: bool,
}

/// The operator's two-factor sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: u32,
    /// Workspaces the operator belongs to that require two-factor sign-in.
    pub required_by: Vec<String>,
    /// An enrolment waiting for its first code.
    pub pending: Option<EnrolmentView>,
    /// Recovery codes just made by a form sent without JavaScript (shown once).
    pub new_recovery_codes: Vec<String>,
}

/// What the authenticator app needs to add pinbridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// The `otpauth://` URL as a QR code, an SVG document made by the server.
    pub qr_svg: String,
}

/// What changing the password did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    /// How many other sign-ins it ended.
    pub sessions_ended: u64,
}
