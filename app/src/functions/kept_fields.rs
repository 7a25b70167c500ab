//! What each form sent without JavaScript gets back after a refusal: the
//! fields its page fills in again (`flash::typed_value`), by the path of the
//! server function the form posts to. A form not listed keeps nothing.
//!
//! Only what a page reads belongs here; never a password, secret or token
//! (`flash` refuses those anyway, and a test below checks none is listed).

use leptos::server_fn::ServerFn;

use super::agents::SaveAgentSignIn;
use super::api_keys::{CreateApiKey, RotateApiKey, SetApiKeyRateLimit};
use super::audit::CreateWorkspaceKey;
use super::auth::{CompleteSetup, SignIn};
use super::branding::SaveBranding;
use super::environments::{AddEnvironment, DeleteEnvironment, RenameEnvironment};
use super::flash::KeptFields;
use super::members::{AcceptInvitation, InviteMember};
use super::pinterest::{DeletePinterest, SavePinterest};
use super::pipeline::{CONFIRM_NAME, PromoteEnvironment};
use super::webhooks::{CreateWebhook, ReplayWebhookFailures, UpdateWebhook};
use super::workspaces::CreateWorkspace;
use crate::errors::CONFIRM_FIELD;

/// Handed to `flash::FlashCookie` by the router.
pub const KEPT_FIELDS: KeptFields = &[
    (SignIn::PATH, &["email"]),
    (
        CompleteSetup::PATH,
        &["workspace_name", "display_name", "email"],
    ),
    (AcceptInvitation::PATH, &["display_name"]),
    (CreateWorkspace::PATH, &["workspace_name"]),
    (AddEnvironment::PATH, &["environment_name"]),
    (
        RenameEnvironment::PATH,
        &["environment_id", "environment_name"],
    ),
    (DeleteEnvironment::PATH, &["environment_id", CONFIRM_FIELD]),
    (InviteMember::PATH, &["email", "role"]),
    (
        SaveAgentSignIn::PATH,
        &["issuer", "client_id", "user_claim"],
    ),
    (
        SaveBranding::PATH,
        &["display_name", "accent_color", "support_url", "privacy_url"],
    ),
    // The checkboxes of `routes::pinterest` are named `scopes[]`.
    (SavePinterest::PATH, &["client_id", "scopes[]", "api"]),
    (DeletePinterest::PATH, &[CONFIRM_FIELD]),
    // Never the key itself: it is an answer, not a field.
    (
        CreateApiKey::PATH,
        &[
            "name",
            "permissions[]",
            "expires_in_days",
            "rate_limit",
            "end_user_id",
        ],
    ),
    (RotateApiKey::PATH, &["key_id", "grace_secs"]),
    (SetApiKeyRateLimit::PATH, &["key_id", "rate_limit"]),
    // Never the signing secret: it is an answer, not a field. The event type
    // checkboxes of `routes::webhooks` are named `event_types[]`.
    (
        CreateWebhook::PATH,
        &["url", "description", "event_types[]", "enabled"],
    ),
    (
        UpdateWebhook::PATH,
        &["url", "description", "event_types[]", "enabled"],
    ),
    (ReplayWebhookFailures::PATH, &["since"]),
    (CreateWorkspaceKey::PATH, &["name"]),
    (PromoteEnvironment::PATH, &[CONFIRM_NAME]),
];

#[cfg(test)]
mod tests {
    use super::KEPT_FIELDS;
    use crate::functions::flash::is_secret_field;

    #[test]
    fn every_form_is_a_server_function_and_keeps_no_secret() {
        for (action, fields) in KEPT_FIELDS {
            assert!(action.starts_with("/api/"), "{action}");
            assert!(!fields.is_empty(), "{action}");
            for field in *fields {
                assert!(!is_secret_field(field), "{action} lists {field}");
            }
        }
    }
}
