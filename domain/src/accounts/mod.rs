//! Accounts and tenancy: operators, workspaces, memberships and roles,
//! environments, invitations, first-start setup, the audit log and sign-in
//! throttling.
//!
//! Values typed by people are parsed into types here ([`Email`],
//! [`WorkspaceName`], [`NewPassword`], …) with messages fit to show next to the
//! form field. Services that act inside a workspace take an [`Actor`], which only
//! [`actor_in`] makes after checking membership: the workspace an operation
//! touches is the actor's, never one named by the client.

mod access;
pub mod audit;
pub mod audit_chain;
mod email;
pub mod environments;
mod error;
mod ids;
mod input;
pub mod invitations;
pub mod members;
mod names;
pub mod operators;
mod password;
pub mod policy;
pub mod provision;
mod role;
pub mod sessions;
pub mod setup;
pub mod sign_in;
pub mod throttle;
mod token;
pub mod two_factor;
pub mod workspaces;

pub use access::{Actor, actor_in, member_in};
pub use audit::{AuditAction, RequestMeta};
pub use audit_chain::{ChainBreak, ChainReport};
pub use email::{EMAIL_MAX, Email};
pub use error::AccountsError;
pub use ids::{
    ApiKeyId, AuditEventId, ConnectLinkId, ConnectionId, EnvironmentId, HealthRunId, InvitationId,
    OperatorId, ProbeId, SignInId, WebhookDeliveryId, WebhookEndpointId, WebhookEventId,
    WorkspaceId,
};
pub use input::{Field, InvalidInput};
pub use names::{DisplayName, EnvironmentName, NAME_MAX, WorkspaceName};
pub use password::{Hasher, HashingError, NewPassword, PASSWORD_MAX, PASSWORD_MIN, PasswordHash};
pub use policy::AccountPolicy;
pub use role::Role;
pub use token::{OneTimeToken, TokenHash};
