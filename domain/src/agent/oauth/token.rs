//! The token endpoint (RFC 6749 §3.2 as OAuth 2.1 narrows it: the
//! authorization code with PKCE S256, and refresh tokens used once) and
//! revocation (RFC 7009).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    ACCESS_PREFIX, ACCESS_TTL_MS, CODE_PREFIX, OAuthError, REFRESH_PREFIX, REFRESH_TTL_MS,
    SECRET_PREFIX,
};
use crate::Services;
use crate::accounts::audit::{AuditActor, RequestMeta};
use crate::api::key;
use crate::db::now_ms;
use crate::db::repo::agent_oauth::{self as rows, ClientRow, GrantRow, TokenRow};
use crate::db::tx::Tx;
use crate::shared::{AgentScope, AuditAction};

/// What the token endpoint answers (RFC 6749 §5.1): holds the tokens, so it
/// is only ever written to the client's response.
pub struct TokenAnswer {
    pub body: Value,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenAnswer(…redacted)")
    }
}

/// A form's parameters, each at most once (RFC 6749 §3.2).
struct Params(HashMap<String, String>);

impl Params {
    fn of(form: &[(String, String)]) -> Result<Self, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in form {
            if map.insert(name.clone(), value.clone()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "{} was sent more than once.",
                    name.chars().take(40).collect::<String>()
                )));
            }
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required.")))
    }
}

/// The client a token or revocation request comes from, authenticated as it
/// registered: by its client id alone (public clients), or with its secret
/// in the form or in HTTP Basic (RFC 6749 §2.3.1).
async fn client_of(
    services: &Services,
    params: &Params,
    authorization: Option<&str>,
) -> Result<ClientRow, OAuthError> {
    let basic = match authorization {
        None => None,
        Some(value) => Some(basic_credentials(value)?),
    };
    if basic.is_some() && params.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "Authenticate the client one way: HTTP Basic or client_secret in the form, not both.",
        ));
    }
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.get("client_id").is_some_and(|form| form != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the form is not the one in HTTP Basic.",
                ));
            }
            (id, Some(secret))
        }
        None => (
            params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client_id is required."))?
                .to_owned(),
            params.get("client_secret").map(str::to_owned),
        ),
    };
    if client_id.len() > 2000 {
        return Err(OAuthError::invalid_client("Unknown client."));
    }
    let client = match super::client(services, &client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(OAuthError::invalid_client("Unknown client.")),
        Err(e) if e.status == 503 => return Err(e),
        Err(e) => return Err(OAuthError::invalid_client(e.description)),
    };
    if client.auth_method == "none" {
        return Ok(client);
    }
    let presented = secret
        .as_deref()
        .and_then(|s| key::parse_prefixed(SECRET_PREFIX, s).ok());
    match (presented, &client.secret_hash) {
        (Some(hash), Some(stored)) if hash.as_str() == stored => Ok(client),
        (None, _) if secret.is_none() => Err(OAuthError::invalid_client(
            "This client registered with a secret: send it (HTTP Basic or client_secret).",
        )),
        _ => Err(OAuthError::invalid_client("The client secret is wrong.")),
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`.
fn basic_credentials(value: &str) -> Result<(String, String), OAuthError> {
    let malformed = || {
        OAuthError::invalid_client("The Authorization header is not HTTP Basic client credentials.")
    };
    let encoded = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
        .ok_or_else(malformed)?;
    let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let decode = |s: &str| percent_decode(s).ok_or_else(malformed);
    Ok((decode(id)?, decode(secret)?))
}

/// `application/x-www-form-urlencoded` decoding of one component.
fn percent_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// RFC 7636 §4.6: base64url(SHA-256(verifier)) must be the challenge.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let shaped = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    shaped && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn wants_refresh(client: &ClientRow) -> bool {
    serde_json::from_str::<Value>(&client.metadata)
        .ok()
        .and_then(|m| m.get("grant_types").cloned())
        .and_then(|g| g.as_array().cloned())
        .is_some_and(|g| g.iter().any(|t| t == "refresh_token"))
}

/// Answers a token request: the form's parameters, and the `Authorization`
/// header if any.
pub async fn token(
    services: &Services,
    form: &[(String, String)],
    authorization: Option<&str>,
    meta: &RequestMeta,
) -> Result<TokenAnswer, OAuthError> {
    let params = Params::of(form)?;
    let grant_type = params.require("grant_type")?;
    if !["authorization_code", "refresh_token"].contains(&grant_type) {
        return Err(OAuthError::new(
            400,
            "unsupported_grant_type",
            format!(
                "Grant type \u{201c}{}\u{201d} is not supported: use authorization_code or refresh_token.",
                grant_type.chars().take(60).collect::<String>()
            ),
        ));
    }
    let client = client_of(services, &params, authorization).await?;
    if grant_type == "refresh_token" && !wants_refresh(&client) {
        return Err(OAuthError::new(
            400,
            "unauthorized_client",
            "This client did not register the refresh_token grant type.",
        ));
    }
    if grant_type == "authorization_code" {
        exchange_code(services, &client, &params).await
    } else {
        refresh(services, &client, &params, meta).await
    }
}

async fn exchange_code(
    services: &Services,
    client: &ClientRow,
    params: &Params,
) -> Result<TokenAnswer, OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let verifier = params.get("code_verifier").ok_or_else(|| {
        OAuthError::invalid_request("code_verifier is required: pinbridge takes PKCE (S256) only.")
    })?;
    let hash = key::parse_prefixed(CODE_PREFIX, code)
        .map_err(|_| OAuthError::invalid_grant("The authorization code is not valid."))?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let Some(row) = rows::find_code_tx(&mut tx, hash.as_str()).await? else {
        return Err(OAuthError::invalid_grant(
            "The authorization code is not valid.",
        ));
    };
    let Some(grant) = rows::grant_tx(&mut tx, &row.grant_id).await? else {
        return Err(OAuthError::invalid_grant(
            "The authorization code is not valid.",
        ));
    };
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if row.used_at.is_some() {
        // RFC 6749 §4.1.2: a code used twice ends what it gave.
        rows::revoke_tokens_tx(&mut tx, &grant.id, now).await?;
        tx.commit().await?;
        tracing::warn!(grant = %grant.id, "an authorization code was presented again: its grant's tokens were ended");
        return Err(OAuthError::invalid_grant(
            "The authorization code was already used: sign in again.",
        ));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "The authorization code expired: sign in again.",
        ));
    }
    if grant.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("This authorization was revoked."));
    }
    if row.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri is not the one the authorization request used.",
        ));
    }
    if !verifier_matches(verifier, &row.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "The code_verifier does not match the code_challenge (S256).",
        ));
    }
    if let Some(resource) = params.get("resource")
        && resource != row.resource
    {
        return Err(OAuthError::invalid_target(
            "resource is not the one the end user authorized.",
        ));
    }
    if !rows::use_code_tx(&mut tx, hash.as_str(), now).await? {
        return Err(OAuthError::invalid_grant(
            "The authorization code was already used: sign in again.",
        ));
    }
    let answer = issue(
        &mut tx,
        &grant,
        &row.resource,
        &row.scope,
        wants_refresh(client),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(answer)
}

async fn refresh(
    services: &Services,
    client: &ClientRow,
    params: &Params,
    meta: &RequestMeta,
) -> Result<TokenAnswer, OAuthError> {
    let text = params.require("refresh_token")?;
    let invalid = || OAuthError::invalid_grant("The refresh token is not valid: sign in again.");
    let hash = key::parse_prefixed(REFRESH_PREFIX, text).map_err(|_| invalid())?;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let Some(row) = rows::find_token_tx(&mut tx, hash.as_str()).await? else {
        return Err(invalid());
    };
    let Some(grant) = rows::grant_tx(&mut tx, &row.grant_id).await? else {
        return Err(invalid());
    };
    if row.kind != "refresh" || grant.client_id != client.id {
        return Err(invalid());
    }
    if row.used_at.is_some() && row.revoked_at.is_none() {
        // A refresh token used twice: one of the two holders stole it. End
        // every token of the grant; the end user signs in again.
        rows::revoke_tokens_tx(&mut tx, &grant.id, now).await?;
        let actor = AuditActor {
            operator_id: None,
            label: format!("assistant {}", client.name),
        };
        let action = AuditAction::AgentTokensReused;
        super::grant_audit(&mut tx, &grant, actor, action, &client.name, meta).await?;
        tx.commit().await?;
        tracing::warn!(grant = %grant.id, "a refresh token was presented again: its grant's tokens were ended");
        return Err(invalid());
    }
    if row.revoked_at.is_some() || row.used_at.is_some() || grant.revoked_at.is_some() {
        return Err(invalid());
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "The refresh token expired: sign in again.",
        ));
    }
    if let Some(resource) = params.get("resource")
        && resource != row.resource
    {
        return Err(OAuthError::invalid_target(
            "resource is not the one this refresh token is for.",
        ));
    }
    let granted = AgentScope::parse_list(&row.scope).unwrap_or_default();
    let scope = match params.get("scope") {
        None => row.scope.clone(),
        Some(asked) => {
            let asked = super::parse_scope(Some(asked))?;
            if asked.iter().any(|s| !granted.contains(s)) {
                return Err(OAuthError::invalid_scope(
                    "A refresh cannot widen the scope the end user allowed.",
                ));
            }
            AgentScope::join(&asked)
        }
    };
    if !rows::use_token_tx(&mut tx, hash.as_str(), now).await? {
        return Err(invalid());
    }
    let answer = issue(&mut tx, &grant, &row.resource, &scope, true, now).await?;
    tx.commit().await?;
    Ok(answer)
}

/// A new access token (and refresh token) for the grant.
async fn issue(
    tx: &mut Tx,
    grant: &GrantRow,
    resource: &str,
    scope: &str,
    with_refresh: bool,
    now: i64,
) -> Result<TokenAnswer, OAuthError> {
    let row = |kind: &str, ttl: i64| TokenRow {
        grant_id: grant.id.clone(),
        kind: kind.to_owned(),
        resource: resource.to_owned(),
        scope: scope.to_owned(),
        created_at: now,
        expires_at: now + ttl,
        used_at: None,
        revoked_at: None,
    };
    let (access, access_hash) = key::generate_prefixed(ACCESS_PREFIX);
    rows::insert_token_tx(tx, access_hash.as_str(), &row("access", ACCESS_TTL_MS)).await?;
    let mut body = json!({
        "access_token": access.expose(),
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL_MS / 1000,
        "scope": scope,
    });
    if with_refresh {
        let (refresh, refresh_hash) = key::generate_prefixed(REFRESH_PREFIX);
        rows::insert_token_tx(tx, refresh_hash.as_str(), &row("refresh", REFRESH_TTL_MS)).await?;
        body["refresh_token"] = refresh.expose().into();
    }
    Ok(TokenAnswer { body })
}

/// Ends a token (RFC 7009). A refresh token ends every token of its grant
/// (§2.1). A token that is unknown, already ended or another client's is
/// answered as done, saying nothing about it.
pub async fn revoke(
    services: &Services,
    form: &[(String, String)],
    authorization: Option<&str>,
) -> Result<(), OAuthError> {
    let params = Params::of(form)?;
    let text = params.require("token")?;
    let client = client_of(services, &params, authorization).await?;
    let hash = if text.starts_with(ACCESS_PREFIX) {
        key::parse_prefixed(ACCESS_PREFIX, text).ok()
    } else {
        key::parse_prefixed(REFRESH_PREFIX, text).ok()
    };
    let Some(hash) = hash else {
        return Ok(());
    };
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let Some(row) = rows::find_token_tx(&mut tx, hash.as_str()).await? else {
        return Ok(());
    };
    let Some(grant) = rows::grant_tx(&mut tx, &row.grant_id).await? else {
        return Ok(());
    };
    if grant.client_id != client.id {
        return Ok(());
    }
    if row.kind == "refresh" {
        rows::revoke_tokens_tx(&mut tx, &grant.id, now).await?;
    } else {
        rows::revoke_token_tx(&mut tx, hash.as_str(), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        // The plain method (verifier = challenge) is not accepted.
        assert!(!verifier_matches(challenge, challenge));
        assert!(!verifier_matches("short", challenge));
    }

    #[test]
    fn basic_credentials_are_url_decoded_and_malformed_ones_refused() {
        let header = format!("Basic {}", STANDARD.encode("pbc_1%3Ax:s%2Bcret"));
        assert_eq!(
            basic_credentials(&header).unwrap(),
            ("pbc_1:x".to_owned(), "s+cret".to_owned())
        );
        for bad in [
            "Bearer abc",
            "Basic !!!",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert_eq!(
                basic_credentials(bad).unwrap_err().error,
                "invalid_client",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_parameter_sent_twice_is_refused() {
        let form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), "a".to_owned()),
            ("code".to_owned(), "b".to_owned()),
        ];
        let e = Params::of(&form).err().unwrap();
        assert_eq!(e.error, "invalid_request");
        assert!(e.description.contains("code"));
    }
}
