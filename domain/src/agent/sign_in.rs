//! How end users sign in to the agent gateway: per environment, the
//! operator's own OpenID Connect provider, of which pinbridge is a relying
//! party (the `openidconnect` crate: discovery, PKCE, nonce, and the ID
//! token's signature, issuer, audience and expiry checked). pinbridge never
//! sees the end user's password; it keeps only the one claim the operator
//! names as the end user's id in their product.
//!
//! The provider's client secret is sealed with the key ring like the
//! Pinterest app secret, and is never shown again.

use std::sync::OnceLock;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Services;
use crate::accounts::audit::{self, AuditActor, NewAuditEvent, RequestMeta};
use crate::accounts::{Actor, EnvironmentId, WorkspaceId};
use crate::connections::ConnectionError;
use crate::crypto::{Aad, KeyRing, Sealed, SecretString};
use crate::db::now_ms;
use crate::db::repo::agent_sign_in::{self as rows, SignInRow};
use crate::db::repo::environments;
use crate::shared::AuditAction;

/// How long pinbridge waits for the provider.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
pub const ISSUER_MAX: usize = 500;
pub const CLIENT_ID_MAX: usize = 200;
pub const SECRET_MAX: usize = 500;
pub const CLAIM_MAX: usize = 100;

/// Where the provider sends end users back: operators register it there.
pub fn redirect_uri(public_url: &str) -> String {
    format!(
        "{}/oauth/sign-in/callback",
        public_url.trim_end_matches('/')
    )
}

/// An environment's sign-in settings as people see them (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInSettings {
    pub issuer: String,
    pub client_id: String,
    pub user_claim: String,
    pub updated_by: String,
    pub updated_at: i64,
}

impl From<&SignInRow> for SignInSettings {
    fn from(row: &SignInRow) -> Self {
        Self {
            issuer: row.issuer.clone(),
            client_id: row.client_id.clone(),
            user_claim: row.user_claim.clone(),
            updated_by: row.updated_by.clone(),
            updated_at: row.updated_at,
        }
    }
}

/// What an operator types on the Agents page's sign-in card.
#[derive(Debug)]
pub struct SignInInput {
    pub issuer: String,
    pub client_id: String,
    /// `None`: keep the stored one (required the first time).
    pub client_secret: Option<SecretString>,
    pub user_claim: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ConnectionError {
    ConnectionError::Invalid {
        field,
        message: message.into(),
    }
}

/// An issuer pinbridge will talk to: https, or http on a loopback address
/// (a provider on the same machine, as in development), without a query or
/// fragment.
pub fn check_issuer(text: &str) -> Result<String, ConnectionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("issuer", "Enter the provider's issuer URL."));
    }
    if text.len() > ISSUER_MAX {
        return Err(invalid(
            "issuer",
            format!("An issuer URL may be at most {ISSUER_MAX} characters."),
        ));
    }
    let url =
        url::Url::parse(text).map_err(|e| invalid("issuer", format!("That is not a URL: {e}.")))?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid(
            "issuer",
            "An issuer URL has no query, fragment or credentials.",
        ));
    }
    match url.scheme() {
        "https" => Ok(text.to_owned()),
        "http" if crate::agent::oauth::register::is_loopback(&url) => Ok(text.to_owned()),
        _ => Err(invalid(
            "issuer",
            "The issuer must use https (http only on a loopback address, for development).",
        )),
    }
}

fn check_claim(text: &str) -> Result<String, ConnectionError> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.len() <= CLAIM_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(invalid(
            "user_claim",
            format!(
                "Name the claim in 1 to {CLAIM_MAX} letters, digits or _ - . : / (for example sub, email or a custom claim)."
            ),
        ))
    }
}

fn aad(binding: &str) -> Aad<'_> {
    Aad {
        table: "agent_sign_in",
        column: "client_secret",
        row: binding,
    }
}

fn binding(workspace: &WorkspaceId, environment: &EnvironmentId) -> String {
    format!("{workspace}/{environment}")
}

pub(crate) fn open_secret(
    keys: &KeyRing,
    row: &SignInRow,
) -> Result<SecretString, ConnectionError> {
    let binding = binding(&row.workspace_id, &row.environment_id);
    Ok(keys.open_str(
        &Sealed::from_stored(row.client_secret.clone()),
        aad(&binding),
    )?)
}

/// The stored client secret, opened with `services`' ring (for tests that
/// check it survives a key rotation).
#[cfg(feature = "testing")]
pub async fn stored_secret(
    services: &Services,
    environment: &EnvironmentId,
) -> Option<SecretString> {
    let row = rows::find(&services.db, environment).await.ok()??;
    open_secret(&services.keys, &row).ok()
}

/// The environment's settings, if any (any member).
pub async fn settings(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
) -> Result<Option<SignInSettings>, ConnectionError> {
    environments::find(&services.db, actor.workspace_id(), environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    Ok(rows::find(&services.db, environment_id)
        .await?
        .filter(|row| row.workspace_id == *actor.workspace_id())
        .as_ref()
        .map(SignInSettings::from))
}

/// Saves the settings (owners and admins); a blank secret keeps the stored
/// one. Audited with which fields changed, never the secret.
pub async fn save(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    input: SignInInput,
    meta: &RequestMeta,
) -> Result<SignInSettings, ConnectionError> {
    actor.require_configure()?;
    let issuer = check_issuer(&input.issuer)?;
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty()
        || client_id.len() > CLIENT_ID_MAX
        || client_id.chars().any(char::is_control)
    {
        return Err(invalid(
            "client_id",
            format!(
                "Enter the client id the provider gave pinbridge (1 to {CLIENT_ID_MAX} characters)."
            ),
        ));
    }
    let user_claim = check_claim(&input.user_claim)?;
    if let Some(secret) = &input.client_secret
        && (secret.expose().len() > SECRET_MAX || secret.expose().chars().any(char::is_control))
    {
        return Err(invalid(
            "client_secret",
            format!(
                "A client secret may be at most {SECRET_MAX} characters, without control characters."
            ),
        ));
    }
    let ws = actor.workspace_id();
    let mut tx = services.db.begin().await?;
    environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let before = rows::find_tx(&mut tx, environment_id).await?;
    let sealed = match (&input.client_secret, &before) {
        (Some(secret), _) => services
            .keys
            .seal_str(secret.expose(), aad(&binding(ws, environment_id)))?
            .as_stored()
            .to_owned(),
        (None, Some(row)) => row.client_secret.clone(),
        (None, None) => {
            return Err(invalid(
                "client_secret",
                "Enter the client secret the provider gave pinbridge.",
            ));
        }
    };
    let row = SignInRow {
        environment_id: environment_id.clone(),
        workspace_id: ws.clone(),
        issuer,
        client_id,
        client_secret: sealed,
        user_claim,
        updated_by: actor.label().to_owned(),
        updated_at: now_ms(),
    };
    let mut changed = Vec::new();
    for (field, differs) in [
        (
            "issuer",
            before.as_ref().is_none_or(|b| b.issuer != row.issuer),
        ),
        (
            "client_id",
            before.as_ref().is_none_or(|b| b.client_id != row.client_id),
        ),
        ("client_secret", input.client_secret.is_some()),
        (
            "user_claim",
            before
                .as_ref()
                .is_none_or(|b| b.user_claim != row.user_claim),
        ),
    ] {
        if differs {
            changed.push(Value::from(field));
        }
    }
    rows::upsert_tx(&mut tx, &row).await?;
    let mut detail = Map::new();
    detail.insert("changed".into(), Value::Array(changed));
    detail.insert("issuer".into(), row.issuer.clone().into());
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: AuditActor::from(actor),
            action: AuditAction::AgentSignInChanged,
            target: row.issuer.clone(),
            detail,
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(SignInSettings::from(&row))
}

/// Removes the settings (owners and admins): assistants can no longer sign
/// end users in. Assistants already let in keep working until revoked.
pub async fn remove(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    meta: &RequestMeta,
) -> Result<(), ConnectionError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = services.db.begin().await?;
    environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let Some(before) = rows::find_tx(&mut tx, environment_id).await? else {
        return Err(ConnectionError::Refused(
            "This environment has no sign-in settings to remove.".into(),
        ));
    };
    rows::delete_tx(&mut tx, environment_id).await?;
    let mut detail = Map::new();
    detail.insert("issuer".into(), before.issuer.clone().into());
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: AuditActor::from(actor),
            action: AuditAction::AgentSignInRemoved,
            target: before.issuer,
            detail,
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Claims besides the standard ones, by name: where the operator's own
/// end-user id claim is found.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Answer = StandardTokenResponse<Fields, CoreTokenType>;
type RelyingParty = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Answer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The client pinbridge talks to providers with: it never follows a
/// redirect (a provider's answer must come from where it was asked).
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .unwrap_or_default()
    })
}

/// Why signing in at the provider did not give an end user id. Its text is
/// shown to the person signing in and to operators; it never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The environment has no sign-in settings.
    #[error(
        "This environment does not let assistants sign in: its operator has not set up sign-in on the Agents page."
    )]
    NotConfigured,
    /// Discovery, the keys or the token exchange failed.
    #[error("The sign-in provider could not be used: {0}")]
    Provider(String),
    /// The ID token failed a check (signature, issuer, audience, nonce, expiry).
    #[error("The sign-in provider's ID token was refused: {0}")]
    IdToken(String),
    /// The ID token holds no usable value for the claim.
    #[error("The ID token has no {0} claim to use as the end user's id.")]
    NoClaim(String),
}

/// What the callback needs to finish a sign-in, stored with the request.
#[derive(Debug)]
pub struct Begun {
    pub url: url::Url,
    pub nonce: String,
    pub verifier: String,
}

async fn relying_party(services: &Services, row: &SignInRow) -> Result<RelyingParty, SignInError> {
    let issuer = IssuerUrl::new(row.issuer.clone())
        .map_err(|e| SignInError::Provider(format!("the issuer URL is not valid ({e})")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http())
        .await
        .map_err(|e| {
            SignInError::Provider(format!("discovery at {} failed: {}", row.issuer, chain(&e)))
        })?;
    let secret = open_secret(&services.keys, row)
        .map_err(|_| SignInError::Provider("its client secret could not be opened".into()))?;
    let redirect = RedirectUrl::new(redirect_uri(&services.config.public_url)).map_err(|e| {
        SignInError::Provider(format!("pinbridge's redirect URI is not valid ({e})"))
    })?;
    Ok(RelyingParty::from_provider_metadata(
        metadata,
        ClientId::new(row.client_id.clone()),
        Some(ClientSecret::new(secret.expose().to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// An error and its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(300).collect()
}

/// The environment's sign-in row, if it has one.
pub(crate) async fn configured(
    services: &Services,
    environment: &EnvironmentId,
) -> Result<Option<SignInRow>, ConnectionError> {
    Ok(rows::find(&services.db, environment).await?)
}

/// Starts a sign-in at the provider: where to send the browser (with
/// `state`), and the nonce and PKCE verifier to keep for [`finish`].
pub(crate) async fn begin(
    services: &Services,
    row: &SignInRow,
    state: &str,
) -> Result<Begun, SignInError> {
    let client = relying_party(services, row).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Begun {
        url,
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
    })
}

/// Finishes a sign-in: exchanges the code, checks the ID token (signature,
/// issuer, audience, expiry, and the nonce of [`begin`]) and answers the
/// end user's id from the operator's claim.
pub(crate) async fn finish(
    services: &Services,
    row: &SignInRow,
    code: &str,
    nonce: &str,
    verifier: &str,
) -> Result<String, SignInError> {
    let client = relying_party(services, row).await?;
    let answer = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| SignInError::Provider(format!("it has no token endpoint ({e})")))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(http())
        .await
        .map_err(|e| SignInError::Provider(format!("the code exchange failed: {}", chain(&e))))?;
    let id_token = answer
        .id_token()
        .ok_or_else(|| SignInError::IdToken("the provider sent no ID token".into()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
        .map_err(|e| SignInError::IdToken(chain(&e)))?;
    let value = match row.user_claim.as_str() {
        "sub" => Some(claims.subject().as_str().to_owned()),
        "email" => claims.email().map(|e| e.as_str().to_owned()),
        "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_owned()),
        other => claims
            .additional_claims()
            .claims
            .get(other)
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
    };
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .ok_or_else(|| SignInError::NoClaim(row.user_claim.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        assert!(check_issuer("https://login.example.com/realms/app").is_ok());
        assert!(check_issuer("http://127.0.0.1:9000").is_ok());
        assert!(check_issuer(" http://localhost:8080/ ").is_ok());
        for bad in [
            "",
            "http://login.example.com",
            "ftp://login.example.com",
            "https://login.example.com/?x=1",
            "https://u:p@login.example.com",
            "not a url",
        ] {
            assert!(
                matches!(
                    check_issuer(bad),
                    Err(ConnectionError::Invalid {
                        field: "issuer",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn claims_are_names() {
        assert_eq!(check_claim(" sub ").unwrap(), "sub");
        assert!(check_claim("https://example.com/user_id").is_ok());
        assert!(check_claim("").is_err());
        assert!(check_claim("a b").is_err());
        assert!(check_claim(&"x".repeat(101)).is_err());
    }
}
