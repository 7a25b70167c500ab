//! The agent gateway's OAuth 2.1 authorization server, as the MCP
//! authorization specification asks of a remote MCP server: hosted
//! assistants that send no static header sign in as one end user.
//!
//! - Each environment's MCP URL, `{public}/mcp/{environment id}`, is a
//!   protected resource (RFC 9728) whose authorization server is pinbridge
//!   itself (issuer: the public URL; metadata per RFC 8414).
//! - Clients register dynamically ([`register`], RFC 7591); the end user
//!   signs in and consents (the authorize step), which ends in
//!   [`issue_code`]; the client exchanges the code with its PKCE verifier
//!   (S256 only) for an access token bound to that MCP URL (RFC 8707) and a
//!   refresh token that is used once ([`token`]); [`revoke`] ends either.
//! - A grant (client × environment × end user) acts as a key row bound to
//!   that end user with `agent` only, so everything that counts, limits and
//!   records keys' calls works for assistants too ([`authenticate`]).
//!
//! Codes, tokens and client secrets are random 256-bit texts in the API
//! keys' shape with their own prefixes; only their SHA-256 is stored.

pub mod authorize;
pub mod documents;
pub mod grants;
pub(crate) mod register;
mod token;

use serde_json::{Value, json};

use crate::Services;
use crate::accounts::audit::{self, AuditActor, NewAuditEvent, RequestMeta};
use crate::accounts::{ApiKeyId, EnvironmentId};
use crate::api::ApiCaller;
use crate::api::key::{self, KeyHash};
use crate::crypto::SecretString;
use crate::db::repo::agent_oauth::{self as rows, CodeRow, GrantRow};
use crate::db::repo::api_keys::{self as key_rows, ApiKeyRow};
use crate::db::repo::environments::{self as environment_rows, EnvironmentRow};
use crate::db::{DbError, now_ms};
use crate::shared::{AgentScope, ApiPermission, AuditAction};

pub use register::{RegisteredClient, register};
pub use token::{TokenAnswer, revoke, token};

/// An access token's lifetime.
pub const ACCESS_TTL_MS: i64 = 3600 * 1000;
/// A refresh token's lifetime (each use gives a new one).
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// An authorization code's lifetime.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Clients nobody authorized are forgotten after this long.
pub const UNUSED_CLIENT_MS: i64 = 7 * 24 * 3600 * 1000;
/// Requests per minute an assistant may make for one end user.
pub const GRANT_RATE_LIMIT: i64 = 600;

pub(crate) const ACCESS_PREFIX: &str = "pinbridge_at_";
pub(crate) const REFRESH_PREFIX: &str = "pinbridge_rt_";
pub(crate) const CODE_PREFIX: &str = "pinbridge_ac_";
pub(crate) const SECRET_PREFIX: &str = "pinbridge_cs_";

/// The authorization server's issuer identifier: the public URL.
pub fn issuer(public_url: &str) -> String {
    public_url.trim_end_matches('/').to_owned()
}

/// An environment's MCP URL: the resource its tokens are for.
pub fn resource_url(public_url: &str, environment: &EnvironmentId) -> String {
    format!("{}/mcp/{environment}", issuer(public_url))
}

/// Where the environment's protected-resource metadata is (RFC 9728 §3.1).
pub fn resource_metadata_url(public_url: &str, environment: &EnvironmentId) -> String {
    format!(
        "{}/.well-known/oauth-protected-resource/mcp/{environment}",
        issuer(public_url)
    )
}

/// The environment's protected-resource metadata (RFC 9728).
pub fn protected_resource_metadata(public_url: &str, environment: &EnvironmentRow) -> Value {
    json!({
        "resource": resource_url(public_url, &environment.id),
        "authorization_servers": [issuer(public_url)],
        "scopes_supported": AgentScope::ALL.map(AgentScope::as_str),
        "bearer_methods_supported": ["header"],
        "resource_name": format!("pinbridge: Pinterest tools ({})", environment.name),
    })
}

/// The authorization server's metadata (RFC 8414).
pub fn authorization_server_metadata(public_url: &str) -> Value {
    let base = issuer(public_url);
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "scopes_supported": AgentScope::ALL.map(AgentScope::as_str),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": register::AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": register::AUTH_METHODS,
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    })
}

/// A refusal in RFC 6749 §5.2's terms (and RFC 7591's, RFC 8707's): the
/// HTTP status, the error code and a description for the developer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_target", description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_scope", description)
    }

    /// The JSON body RFC 6749 §5.2 describes.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "the agent authorization server could not reach the database");
        Self::new(
            503,
            "temporarily_unavailable",
            "pinbridge cannot answer right now; try again in a moment.",
        )
    }
}

impl From<crate::accounts::AccountsError> for OAuthError {
    fn from(e: crate::accounts::AccountsError) -> Self {
        tracing::error!(error = %e, "the agent authorization server could not write the audit log");
        Self::new(
            503,
            "temporarily_unavailable",
            "pinbridge cannot answer right now; try again in a moment.",
        )
    }
}

impl From<crate::connections::ConnectionError> for OAuthError {
    fn from(e: crate::connections::ConnectionError) -> Self {
        tracing::error!(error = %e, "the agent authorization server failed");
        Self::new(
            503,
            "temporarily_unavailable",
            "pinbridge cannot answer right now; try again in a moment.",
        )
    }
}

/// Parses a scope parameter: every scope when absent (the protected
/// resource's `scopes_supported`, as MCP clients ask by default).
pub fn parse_scope(scope: Option<&str>) -> Result<Vec<AgentScope>, OAuthError> {
    let Some(text) = scope.filter(|s| !s.trim().is_empty()) else {
        return Ok(AgentScope::ALL.to_vec());
    };
    if text.len() > 200 {
        return Err(OAuthError::invalid_scope(
            "The scope parameter is too long.",
        ));
    }
    AgentScope::parse_list(text).ok_or_else(|| {
        OAuthError::invalid_scope(format!(
            "Unknown scope in \u{201c}{}\u{201d}: pinbridge grants {}.",
            text.chars().take(100).collect::<String>(),
            AgentScope::join(&AgentScope::ALL)
        ))
    })
}

/// The environment whose MCP URL `resource` is (RFC 8707: an absolute URI
/// naming exactly one of pinbridge's resources).
pub async fn environment_of_resource(
    services: &Services,
    resource: Option<&str>,
) -> Result<EnvironmentRow, OAuthError> {
    let Some(resource) = resource.filter(|r| !r.is_empty()) else {
        return Err(OAuthError::invalid_target(
            "The resource parameter is required: the MCP URL the token is for, as the protected resource metadata gives it.",
        ));
    };
    let unknown = || {
        OAuthError::invalid_target(format!(
            "\u{201c}{}\u{201d} is not one of pinbridge's MCP URLs ({}/mcp/<environment id>).",
            resource.chars().take(200).collect::<String>(),
            issuer(&services.config.public_url)
        ))
    };
    let prefix = format!("{}/mcp/", issuer(&services.config.public_url));
    let id = resource
        .strip_prefix(&prefix)
        .and_then(EnvironmentId::parse)
        .ok_or_else(unknown)?;
    if resource_url(&services.config.public_url, &id) != resource {
        return Err(unknown());
    }
    environment_rows::find_any(&services.db, &id)
        .await?
        .ok_or_else(unknown)
}

/// The client `client_id` names: a registration, or the client a metadata
/// document URL describes (kept, or fetched now and checked).
pub async fn client(
    services: &Services,
    client_id: &str,
) -> Result<Option<rows::ClientRow>, OAuthError> {
    if documents::is_document_url(client_id) {
        return documents::client(services, client_id).await.map(Some);
    }
    Ok(rows::find_client(&services.db, client_id).await?)
}

/// What an end user allowed on the consent page, to become a code.
#[derive(Clone, Debug)]
pub struct Consented {
    pub client_id: String,
    pub environment: EnvironmentRow,
    pub end_user_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: Vec<AgentScope>,
}

/// The end user's grant to the client (made, or widened to `scope`) and a
/// code for the client to exchange. Audited when the grant is new or wider.
pub async fn issue_code(
    services: &Services,
    consented: &Consented,
    meta: &RequestMeta,
) -> Result<SecretString, OAuthError> {
    let client = client(services, &consented.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("This client is no longer registered."))?;
    let now = now_ms();
    let scope = AgentScope::join(&consented.scope);
    let environment = &consented.environment;
    let mut tx = services.db.begin().await?;
    let existing =
        rows::active_grant_tx(&mut tx, &client.id, &environment.id, &consented.end_user_id).await?;
    let grant = match existing {
        Some(mut grant) => {
            let before = AgentScope::parse_list(&grant.scope).unwrap_or_default();
            if consented.scope.iter().any(|s| !before.contains(s)) {
                let mut wider = before;
                wider.extend(consented.scope.iter().copied());
                grant.scope = AgentScope::join(&wider);
                rows::set_grant_scope_tx(&mut tx, &grant.id, &grant.scope).await?;
                let actor = end_user_actor(&grant.end_user_id);
                let action = AuditAction::AgentClientAuthorized;
                grant_audit(&mut tx, &grant, actor, action, &client.name, meta).await?;
            }
            grant
        }
        None => {
            let key_id = ApiKeyId::generate();
            let (_, hash) = key::generate_prefixed("pinbridge_grant_");
            let key = ApiKeyRow {
                id: key_id.clone(),
                workspace_id: environment.workspace_id.clone(),
                environment_id: environment.id.clone(),
                name: client.name.clone(),
                prefix: "oauth".into(),
                last_four: String::new(),
                permissions: ApiPermission::Agent.as_str().into(),
                rate_limit: GRANT_RATE_LIMIT,
                created_by: format!("end user {}", consented.end_user_id),
                created_at: now,
                expires_at: None,
                revoked_at: None,
                revoked_by: None,
                replaced_by: None,
                last_used_at: None,
                request_count: 0,
                end_user_id: Some(consented.end_user_id.clone()),
            };
            key_rows::insert_for_grant(&mut tx, &key, hash.as_str()).await?;
            let grant = GrantRow {
                id: uuid::Uuid::now_v7().to_string(),
                client_id: client.id.clone(),
                workspace_id: environment.workspace_id.clone(),
                environment_id: environment.id.clone(),
                end_user_id: consented.end_user_id.clone(),
                key_id,
                scope: scope.clone(),
                created_at: now,
                revoked_at: None,
                revoked_by: None,
            };
            rows::insert_grant_tx(&mut tx, &grant).await?;
            let actor = end_user_actor(&grant.end_user_id);
            let action = AuditAction::AgentClientAuthorized;
            grant_audit(&mut tx, &grant, actor, action, &client.name, meta).await?;
            grant
        }
    };
    let (code, hash) = key::generate_prefixed(CODE_PREFIX);
    rows::insert_code_tx(
        &mut tx,
        hash.as_str(),
        &CodeRow {
            grant_id: grant.id.clone(),
            redirect_uri: consented.redirect_uri.clone(),
            code_challenge: consented.code_challenge.clone(),
            resource: consented.resource.clone(),
            scope,
            expires_at: now + CODE_TTL_MS,
            used_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Audits what happened to a grant: `action` by `actor`, on the client
/// (`target`), with the grant's client id and end user (and its scope).
pub(crate) async fn grant_audit(
    tx: &mut crate::db::tx::Tx,
    grant: &GrantRow,
    actor: AuditActor,
    action: AuditAction,
    target: &str,
    meta: &RequestMeta,
) -> Result<(), crate::accounts::AccountsError> {
    let mut detail = serde_json::Map::new();
    detail.insert("client_id".into(), grant.client_id.clone().into());
    detail.insert("end_user_id".into(), grant.end_user_id.clone().into());
    detail.insert("scope".into(), grant.scope.clone().into());
    audit::append_tx(
        tx,
        NewAuditEvent {
            workspace_id: grant.workspace_id.clone(),
            environment_id: Some(grant.environment_id.clone()),
            actor,
            action,
            target: target.to_owned(),
            detail,
        },
        meta,
    )
    .await
}

/// The end user, as the audit log names them.
pub(crate) fn end_user_actor(end_user_id: &str) -> AuditActor {
    AuditActor {
        operator_id: None,
        label: format!("end user {end_user_id}"),
    }
}

/// Why a bearer token was not accepted at an MCP URL (said in
/// `WWW-Authenticate`'s `error_description`; never which tokens exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerProblem {
    /// Not a pinbridge access token.
    Malformed,
    /// No such token, or one that ended (expired, revoked, or its grant was).
    Invalid,
    /// A token for another MCP URL.
    OtherResource,
}

impl BearerProblem {
    pub fn description(self) -> &'static str {
        match self {
            Self::Malformed => "The bearer token is not a pinbridge access token or API key.",
            Self::Invalid => "The access token is unknown, expired or revoked: sign in again.",
            Self::OtherResource => "The access token is for another MCP URL.",
        }
    }
}

/// Whether `text` looks like an access token (and not an API key).
pub fn is_access_token(text: &str) -> bool {
    text.starts_with(ACCESS_PREFIX)
}

/// The caller an access token stands for at `environment`'s MCP URL.
pub async fn authenticate(
    services: &Services,
    text: &str,
    environment: &EnvironmentId,
) -> Result<ApiCaller, BearerProblem> {
    let hash: KeyHash =
        key::parse_prefixed(ACCESS_PREFIX, text).map_err(|_| BearerProblem::Malformed)?;
    let bearer = rows::find_bearer(&services.db, hash.as_str())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "could not read an access token");
            BearerProblem::Invalid
        })?
        .ok_or(BearerProblem::Invalid)?;
    let token = &bearer.token;
    let ended = token.kind != "access"
        || token.token_revoked_at.is_some()
        || token.grant_revoked_at.is_some()
        || bearer.key.revoked_at.is_some()
        || token.token_expires_at <= now_ms();
    if ended {
        return Err(BearerProblem::Invalid);
    }
    if token.resource != resource_url(&services.config.public_url, environment)
        || bearer.key.environment_id != *environment
    {
        return Err(BearerProblem::OtherResource);
    }
    let mut caller = ApiCaller::of(&bearer.key);
    caller.signed_in = true;
    caller.read_only = !AgentScope::parse_list(&token.token_scope)
        .unwrap_or_default()
        .contains(&AgentScope::Write);
    caller.label = format!(
        "Assistant \u{201c}{}\u{201d} for end user \u{201c}{}\u{201d}",
        bearer.key.name,
        bearer.key.end_user_id.as_deref().unwrap_or_default()
    );
    Ok(caller)
}

/// Forgets ended codes and tokens, and clients nobody authorized in a week.
pub(crate) async fn prune(services: &Services, now: i64) -> Result<(), DbError> {
    rows::prune(&services.db, now, now - UNUSED_CLIENT_MS).await?;
    rows::prune_authorizations(&services.db, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_public_url_and_the_environment() {
        let env = EnvironmentId::parse("0192f2a0-0000-7000-8000-000000000001").unwrap();
        assert_eq!(issuer("https://pb.example/"), "https://pb.example");
        assert_eq!(
            resource_url("https://pb.example", &env),
            "https://pb.example/mcp/0192f2a0-0000-7000-8000-000000000001"
        );
        assert_eq!(
            resource_metadata_url("https://pb.example", &env),
            "https://pb.example/.well-known/oauth-protected-resource/mcp/0192f2a0-0000-7000-8000-000000000001"
        );
        let meta = authorization_server_metadata("https://pb.example");
        assert_eq!(meta["issuer"], "https://pb.example");
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["token_endpoint"], "https://pb.example/oauth/token");
    }

    #[test]
    fn scopes_default_to_all_and_refuse_unknown_names() {
        assert_eq!(parse_scope(None).unwrap(), AgentScope::ALL.to_vec());
        assert_eq!(parse_scope(Some("")).unwrap(), AgentScope::ALL.to_vec());
        assert_eq!(
            parse_scope(Some("pinterest:read pinterest:read")).unwrap(),
            vec![AgentScope::Read]
        );
        let e = parse_scope(Some("pinterest:read admin")).unwrap_err();
        assert_eq!(e.error, "invalid_scope");
        assert!(e.description.contains("admin"), "{}", e.description);
    }
}
