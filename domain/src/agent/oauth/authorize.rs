//! The end user's journey, in one browser window: the assistant opens
//! `/oauth/authorize` → the operator's sign-in ([`super::super::sign_in`]) →
//! the consent page in the operator's branding → if that end user has no
//! usable Pinterest connection yet, the connect flow right there → back to
//! the assistant with a code.
//!
//! A request is kept server-side (`agent_authorizations`) and bound to the
//! browser that began it by a cookie: a link to its consent page is useless
//! anywhere else. Until the client and its redirect URI are known good,
//! every refusal is a page (never a redirect: RFC 6749 §4.1.2.1); after, it
//! goes back to the client with `error`, `state` and `iss` (RFC 9207).

use super::{Consented, OAuthError, issuer};
use crate::Services;
use crate::accounts::audit::RequestMeta;
use crate::accounts::{Actor, EnvironmentId};
use crate::agent::sign_in::{self, SignInError};
use crate::api::key;
use crate::connections::ConnectionError;
use crate::connections::links::{self, LinkInput};
use crate::crypto::SecretString;
use crate::db::now_ms;
use crate::db::repo::agent_oauth::{self as rows, AuthorizationRow, ClientRow};
use crate::db::repo::connections as connection_rows;
use crate::db::repo::environments::{self as environment_rows, EnvironmentRow};
use crate::shared::AgentScope;

/// How long an authorization may take, sign-in and connecting included.
pub const REQUEST_TTL_MS: i64 = 30 * 60 * 1000;
/// The cookie that binds a request to its browser.
pub const COOKIE: &str = "pinbridge_agent";
const BROWSER_PREFIX: &str = "pinbridge_bs_";

/// The `Set-Cookie` value that binds requests to this browser: for
/// `/oauth` only, never to scripts, sent on the provider's way back (Lax).
pub fn set_cookie(value: &SecretString, secure: bool) -> String {
    format!(
        "{COOKIE}={}; Path=/oauth; Max-Age={}; HttpOnly; SameSite=Lax{}",
        value.expose(),
        REQUEST_TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// What to do next in the browser.
#[derive(Debug)]
pub enum Step {
    /// A page for the person: the request cannot go on, and cannot go back.
    Page {
        status: u16,
        title: &'static str,
        message: String,
    },
    /// Back to the client (with a code or an error).
    ToClient(String),
    /// To the operator's sign-in; `cookie`: set it first (a new browser).
    SignIn {
        url: String,
        cookie: Option<SecretString>,
    },
    /// Show the consent page of this request.
    Consent(String),
    /// Connect Pinterest first, at this connect link.
    Connect(String),
    /// An operator's test sign-in ended: who signed in, where to go back.
    Tested {
        end_user_id: Result<String, String>,
        back: String,
    },
}

fn page(status: u16, title: &'static str, message: impl Into<String>) -> Step {
    Step::Page {
        status,
        title,
        message: message.into(),
    }
}

/// The database failed: the person may try again.
fn busy() -> Step {
    page(
        503,
        "Try again in a moment",
        "pinbridge cannot answer right now.",
    )
}

fn gone() -> Step {
    page(
        400,
        "This sign-in has ended",
        "It expired, was finished, or began in another browser. Start again from your assistant.",
    )
}

/// `redirect_uri` with `params` added to its query, and `iss` (RFC 9207).
fn to_client(services: &Services, redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        query.append_pair("iss", &issuer(&services.config.public_url));
    }
    url.to_string()
}

fn error_to_client(
    services: &Services,
    redirect_uri: &str,
    state: Option<&str>,
    error: &OAuthError,
) -> Step {
    let mut params = vec![
        ("error", error.error),
        ("error_description", error.description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    Step::ToClient(to_client(services, redirect_uri, &params))
}

/// The query's parameters, each at most once.
fn params(query: &[(String, String)]) -> Result<std::collections::HashMap<&str, &str>, String> {
    let mut map = std::collections::HashMap::new();
    for (name, value) in query {
        if map.insert(name.as_str(), value.as_str()).is_some() {
            return Err(format!(
                "{} was sent more than once.",
                name.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(map)
}

/// The browser's secret: the one its cookie holds (when it is one of ours),
/// or a new one to set.
fn browser(cookie: Option<&str>) -> (key::KeyHash, Option<SecretString>) {
    if let Some(hash) = cookie.and_then(|c| key::parse_prefixed(BROWSER_PREFIX, c).ok()) {
        return (hash, None);
    }
    let (text, hash) = key::generate_prefixed(BROWSER_PREFIX);
    (hash, Some(text))
}

fn bound(row: &AuthorizationRow, cookie: Option<&str>) -> bool {
    cookie
        .and_then(|c| key::parse_prefixed(BROWSER_PREFIX, c).ok())
        .is_some_and(|hash| hash.as_str() == row.browser_hash)
}

/// `GET /oauth/authorize`: checks the request and sends the browser to the
/// operator's sign-in.
pub async fn authorize(
    services: &Services,
    query: &[(String, String)],
    cookie: Option<&str>,
) -> Step {
    match begin(services, query, cookie).await {
        Ok(step) | Err(step) => step,
    }
}

async fn begin(
    services: &Services,
    query: &[(String, String)],
    cookie: Option<&str>,
) -> Result<Step, Step> {
    let bad = |m: String| page(400, "This sign-in link is not valid", m);
    let q = params(query).map_err(bad)?;
    let Some(client_id) = q
        .get("client_id")
        .filter(|c| !c.is_empty() && c.len() <= 2000)
    else {
        return Err(bad("The assistant sent no client_id.".into()));
    };
    let unavailable = |e: crate::db::DbError| {
        tracing::error!(error = %e, "an authorization request could not be read or stored");
        busy()
    };
    let client: ClientRow = match super::client(services, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return Err(bad(
                "The assistant is not registered with pinbridge (unknown client_id): reconnect it from the assistant.".into(),
            ));
        }
        Err(e) if e.status == 503 => {
            return Err(page(503, "Try again in a moment", e.description));
        }
        Err(e) => return Err(bad(e.description)),
    };
    let registered: Vec<String> = serde_json::from_str(&client.redirect_uris).unwrap_or_default();
    let redirect_uri = match q.get("redirect_uri") {
        Some(uri) if registered.iter().any(|r| r == uri) => (*uri).to_owned(),
        None if registered.len() == 1 => registered[0].clone(),
        Some(_) => {
            return Err(bad(
                "The assistant asked to return to an address it did not register (redirect_uri), so pinbridge will not send you there.".into(),
            ));
        }
        None => {
            return Err(bad(
                "The assistant registered several redirect URIs and named none (redirect_uri)."
                    .into(),
            ));
        }
    };
    let state = q.get("state").map(|s| (*s).to_owned());
    let refuse = |e: OAuthError| error_to_client(services, &redirect_uri, state.as_deref(), &e);
    if q.get("response_type") != Some(&"code") {
        return Err(refuse(OAuthError::new(
            400,
            "unsupported_response_type",
            "response_type must be code.",
        )));
    }
    let challenge = q.get("code_challenge").copied().unwrap_or_default();
    if q.get("code_challenge_method") != Some(&"S256")
        || challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(refuse(OAuthError::invalid_request(
            "PKCE is required: send code_challenge (43 characters of base64url) with code_challenge_method=S256.",
        )));
    }
    if state.as_ref().is_some_and(|s| s.len() > 500) {
        return Err(refuse(OAuthError::invalid_request(
            "state may be at most 500 characters.",
        )));
    }
    let environment = super::environment_of_resource(services, q.get("resource").copied())
        .await
        .map_err(&refuse)?;
    let scope = super::parse_scope(q.get("scope").copied()).map_err(&refuse)?;
    let settings = sign_in::configured(services, &environment.id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "agent sign-in settings could not be read");
            busy()
        })?
        .ok_or_else(|| {
            refuse(OAuthError::new(
                400,
                "access_denied",
                SignInError::NotConfigured.to_string(),
            ))
        })?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let begun = sign_in::begin(services, &settings, &id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "an end user's sign-in could not begin");
            refuse(OAuthError::new(
                400,
                "temporarily_unavailable",
                "The operator's sign-in provider could not be reached; try again later.",
            ))
        })?;
    let asked = Asked {
        client_id: Some(client.id.clone()),
        test_by: None,
        redirect_uri,
        state,
        code_challenge: challenge.to_owned(),
        resource: super::resource_url(&services.config.public_url, &environment.id),
        scope: AgentScope::join(&scope),
    };
    store(services, &environment, id, begun, cookie, asked)
        .await
        .map_err(unavailable)
}

/// What a request asked for, kept until its sign-in comes back.
struct Asked {
    client_id: Option<String>,
    test_by: Option<String>,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    resource: String,
    scope: String,
}

/// Keeps a request whose sign-in at the provider has begun, bound to this
/// browser (a new cookie when it has none of ours): off to the provider.
async fn store(
    services: &Services,
    environment: &EnvironmentRow,
    id: String,
    begun: sign_in::Begun,
    cookie: Option<&str>,
    asked: Asked,
) -> Result<Step, crate::db::DbError> {
    let (hash, new_cookie) = browser(cookie);
    let now = now_ms();
    rows::insert_authorization(
        &services.db,
        &AuthorizationRow {
            id,
            browser_hash: hash.as_str().to_owned(),
            workspace_id: environment.workspace_id.clone(),
            environment_id: environment.id.clone(),
            client_id: asked.client_id,
            test_by: asked.test_by,
            redirect_uri: asked.redirect_uri,
            state: asked.state,
            code_challenge: asked.code_challenge,
            resource: asked.resource,
            scope: asked.scope,
            sign_in_nonce: Some(begun.nonce),
            sign_in_verifier: Some(begun.verifier),
            end_user_id: None,
            consented_at: None,
            created_at: now,
            expires_at: now + REQUEST_TTL_MS,
            finished_at: None,
        },
    )
    .await?;
    Ok(Step::SignIn {
        url: begun.url.to_string(),
        cookie: new_cookie,
    })
}

/// An operator's "Test sign-in" on the Agents page (owners and admins): the
/// same sign-in, ending on a page that says who signed in.
pub async fn test_sign_in(
    services: &Services,
    actor: &Actor,
    environment_id: &EnvironmentId,
    back: &str,
    cookie: Option<&str>,
) -> Result<Step, ConnectionError> {
    actor.require_configure()?;
    let environment = environment_rows::find(&services.db, actor.workspace_id(), environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let settings = sign_in::configured(services, &environment.id)
        .await?
        .ok_or_else(|| ConnectionError::Refused("Save the sign-in settings first.".into()))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let begun = sign_in::begin(services, &settings, &id)
        .await
        .map_err(|e| ConnectionError::Refused(e.to_string()))?;
    let asked = Asked {
        client_id: None,
        test_by: Some(actor.label().to_owned()),
        redirect_uri: back.to_owned(),
        state: None,
        code_challenge: String::new(),
        resource: String::new(),
        scope: String::new(),
    };
    Ok(store(services, &environment, id, begun, cookie, asked).await?)
}

/// A request that is still going, in this browser.
async fn live(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
) -> Result<AuthorizationRow, Step> {
    if id.is_empty() || id.len() > 64 {
        return Err(gone());
    }
    let row = rows::find_authorization(&services.db, id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "an authorization request could not be read");
            busy()
        })?
        .ok_or_else(gone)?;
    if row.finished_at.is_some() || row.expires_at <= now_ms() || !bound(&row, cookie) {
        return Err(gone());
    }
    Ok(row)
}

/// `GET /oauth/sign-in/callback`: the provider sent the browser back.
pub async fn signed_in(
    services: &Services,
    query: &[(String, String)],
    cookie: Option<&str>,
) -> Step {
    let Ok(q) = params(query) else {
        return gone();
    };
    let row = match live(
        services,
        q.get("state").copied().unwrap_or_default(),
        cookie,
    )
    .await
    {
        Ok(row) => row,
        Err(step) => return step,
    };
    let outcome = sign_in_outcome(services, &row, &q).await;
    if row.test_by.is_some() {
        let _ = rows::finish_authorization(&services.db, &row.id, now_ms()).await;
        return Step::Tested {
            end_user_id: outcome,
            back: row.redirect_uri.clone(),
        };
    }
    match outcome {
        Ok(end_user) => match rows::signed_in(&services.db, &row.id, &end_user).await {
            Ok(true) => Step::Consent(row.id),
            Ok(false) => gone(),
            Err(e) => {
                tracing::error!(error = %e, "a sign-in could not be recorded");
                busy()
            }
        },
        Err(message) => denied(services, &row, message).await,
    }
}

/// Who signed in, or why not (words for the person and the client).
async fn sign_in_outcome(
    services: &Services,
    row: &AuthorizationRow,
    q: &std::collections::HashMap<&str, &str>,
) -> Result<String, String> {
    if let Some(error) = q.get("error") {
        return Err(format!(
            "Signing in was not completed at the provider ({}).",
            error.chars().take(60).collect::<String>()
        ));
    }
    let (Some(code), Some(nonce), Some(verifier)) = (
        q.get("code").filter(|c| !c.is_empty()),
        row.sign_in_nonce.as_deref(),
        row.sign_in_verifier.as_deref(),
    ) else {
        return Err("The provider sent no code.".into());
    };
    let settings = match sign_in::configured(services, &row.environment_id).await {
        Ok(Some(settings)) => settings,
        Ok(None) => return Err(SignInError::NotConfigured.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "agent sign-in settings could not be read");
            return Err("pinbridge cannot answer right now.".into());
        }
    };
    sign_in::finish(services, &settings, code, nonce, verifier)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "an end user's sign-in was refused");
            e.to_string()
        })
}

/// What the consent page shows.
#[derive(Clone, Debug)]
pub struct ConsentView {
    pub id: String,
    pub environment: EnvironmentRow,
    pub client_name: String,
    /// Where the assistant sends the end user back (its host).
    pub returns_to: String,
    pub end_user_id: String,
    pub scope: Vec<AgentScope>,
    /// Whether the end user's Pinterest is connected (and usable) already.
    pub connected: bool,
    pub consented: bool,
}

/// The consent page's facts, for the browser that signed in.
pub async fn consent(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
) -> Result<ConsentView, Step> {
    consent_of(services, id, cookie).await.map(|(view, _)| view)
}

/// The consent page's facts and the request behind them.
async fn consent_of(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
) -> Result<(ConsentView, AuthorizationRow), Step> {
    let row = live(services, id, cookie).await?;
    let (Some(end_user_id), Some(client_id)) = (row.end_user_id.clone(), row.client_id.clone())
    else {
        return Err(gone());
    };
    let unavailable = |e: crate::db::DbError| {
        tracing::error!(error = %e, "a consent page could not be read");
        busy()
    };
    let client = rows::find_client(&services.db, &client_id)
        .await
        .map_err(unavailable)?
        .ok_or_else(gone)?;
    let environment = environment_rows::find_any(&services.db, &row.environment_id)
        .await
        .map_err(unavailable)?
        .ok_or_else(gone)?;
    let connected = connection_rows::find_by_end_user(&services.db, &environment.id, &end_user_id)
        .await
        .map_err(unavailable)?
        .is_some_and(|c| c.health.usable());
    let view = ConsentView {
        id: row.id.clone(),
        environment,
        client_name: client.name,
        returns_to: url::Url::parse(&row.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        end_user_id,
        scope: AgentScope::parse_list(&row.scope).unwrap_or_default(),
        connected,
        consented: row.consented_at.is_some(),
    };
    Ok((view, row))
}

/// Ends the request and tells the client the end user's answer was no.
async fn denied(services: &Services, row: &AuthorizationRow, description: String) -> Step {
    let _ = rows::finish_authorization(&services.db, &row.id, now_ms()).await;
    error_to_client(
        services,
        &row.redirect_uri,
        row.state.as_deref(),
        &OAuthError::new(400, "access_denied", description),
    )
}

/// The end user's answer on the consent page.
pub async fn decide(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
    allow: bool,
    meta: &RequestMeta,
) -> Step {
    let (view, row) = match consent_of(services, id, cookie).await {
        Ok(found) => found,
        Err(step) => return step,
    };
    if !allow {
        return denied(
            services,
            &row,
            "The end user did not allow the assistant.".into(),
        )
        .await;
    }
    if let Err(e) = rows::consented(&services.db, id, now_ms()).await {
        tracing::error!(error = %e, "a consent could not be recorded");
        return busy();
    }
    if view.connected {
        return finish(services, &row, &view, meta).await;
    }
    // Pinterest first: a connect link for this end user that comes back here.
    let back = format!(
        "{}/oauth/consent/{id}/connected",
        issuer(&services.config.public_url)
    );
    let input = match LinkInput::parse(&view.end_user_id, "", &back) {
        Ok(input) => input,
        Err(e) => return page(400, "Pinterest cannot be connected", e.to_string()),
    };
    let mut by = super::end_user_actor(&view.end_user_id);
    by.label.push_str(" (signing in an assistant)");
    match links::create_as(
        &services.db,
        &view.environment.workspace_id,
        &view.environment.id,
        input,
        &issuer(&services.config.public_url),
        by,
        meta,
    )
    .await
    {
        Ok(link) => Step::Connect(link.url),
        Err(e @ (ConnectionError::Refused(_) | ConnectionError::Invalid { .. })) => {
            denied(services, &row, e.to_string()).await
        }
        Err(e) => {
            tracing::error!(error = %e, "a connect link for an assistant's end user could not be made");
            busy()
        }
    }
}

/// The connect flow came back (`?status=connected&connection_id=…`, or a
/// failure): with a usable connection now, the code goes to the client.
pub async fn connected(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
    meta: &RequestMeta,
) -> Step {
    let (view, row) = match consent_of(services, id, cookie).await {
        Ok(found) => found,
        Err(step) => return step,
    };
    if row.consented_at.is_none() {
        return Step::Consent(row.id);
    }
    if !view.connected {
        let why = "Pinterest was not connected, so the assistant has nothing to use.";
        return denied(services, &row, why.into()).await;
    }
    finish(services, &row, &view, meta).await
}

async fn finish(
    services: &Services,
    row: &AuthorizationRow,
    view: &ConsentView,
    meta: &RequestMeta,
) -> Step {
    match rows::finish_authorization(&services.db, &row.id, now_ms()).await {
        Ok(true) => {}
        Ok(false) => return gone(),
        Err(e) => {
            tracing::error!(error = %e, "an authorization could not be finished");
            return busy();
        }
    }
    let consented = Consented {
        client_id: row.client_id.clone().unwrap_or_default(),
        environment: view.environment.clone(),
        end_user_id: view.end_user_id.clone(),
        redirect_uri: row.redirect_uri.clone(),
        code_challenge: row.code_challenge.clone(),
        resource: row.resource.clone(),
        scope: view.scope.clone(),
    };
    match super::issue_code(services, &consented, meta).await {
        Ok(code) => {
            let mut params = vec![("code", code.expose())];
            if let Some(state) = row.state.as_deref() {
                params.push(("state", state));
            }
            Step::ToClient(to_client(services, &row.redirect_uri, &params))
        }
        Err(e) => error_to_client(services, &row.redirect_uri, row.state.as_deref(), &e),
    }
}

/// The end user's "Connected assistants" page: from a consent page, for the
/// end user who signed in there.
pub async fn assistants(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
) -> Result<(ConsentView, Vec<super::grants::AuthorizedClient>), Step> {
    let view = consent(services, id, cookie).await?;
    let clients = super::grants::of_end_user(services, &view.environment, &view.end_user_id)
        .await
        .map_err(|e| page(e.status, "Try again in a moment", e.description))?;
    Ok((view, clients))
}

/// The end user revokes one of their assistants from that page.
pub async fn revoke_assistant(
    services: &Services,
    id: &str,
    cookie: Option<&str>,
    grant_id: &str,
    meta: &RequestMeta,
) -> Result<bool, Step> {
    let view = consent(services, id, cookie).await?;
    super::grants::revoke_own(
        services,
        &view.environment,
        &view.end_user_id,
        grant_id,
        meta,
    )
    .await
    .map_err(|e| page(e.status, "Try again in a moment", e.description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_count_once() {
        let q = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert!(
            params(&q)
                .unwrap_err()
                .contains("a was sent more than once")
        );
    }
}
