//! The OAuth handshake: "Continue to Pinterest" ([`begin`]) and the way back
//! (`GET /integration-callback`, [`callback`]) in three steps, each usable on
//! its own: [`verify`] the callback, [`exchange`] its code, [`store`] the grant.
//!
//! `state` is 256 random bits, stored only as its SHA-256, used once, valid for
//! ten minutes and bound to the browser that started it: [`begin`] sets a
//! random cookie and stores its hash with the state, and the callback must
//! present the same cookie. Every failure answers a [`Problem`] that says what
//! went wrong and what to do, stores no token, and (once the state tells us
//! whose it was) is audited.
//!
//! A link keeps at most [`MAX_OPEN_STATES`] attempts open: starting another
//! invalidates the oldest, so pressing "Continue to Pinterest" again and again
//! neither fills the database nor locks the end user out. The callback checks
//! the link again (still unused, unexpired, its return origin still allowed)
//! before anything is exchanged or stored.
//!
//! No PKCE: Pinterest's OpenAPI description (5.23.0) lists only `grant_type`,
//! `code` and `redirect_uri` for the code grant and its docs never mention
//! `code_challenge`; an undocumented parameter may be refused, and the code
//! is already bound to this confidential client (its secret), the state to
//! the browser that started the attempt.

use serde_json::Value;

use super::error::ConnectionError;
use super::links::{self, LinkProblem, looks_like_token};
use super::state::{ConnectionState, Event, Health};
use super::{TokenColumn, seal_token};
use crate::Services;
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, detail};
use crate::accounts::{ConnectionId, EnvironmentId, RequestMeta, WorkspaceId};
use crate::accounts::{OneTimeToken, TokenHash};
use crate::crypto::SecretString;
use crate::db::now_ms;
use crate::db::repo::connections::{self as rows, ConnectionRow, LinkRow, StateRow};
use crate::db::tx::Tx;
use crate::pinterest::ScopeSet;
use crate::pinterest::client::{self, Account, FailureKind, Tokens};
use crate::webhooks::events::{self, Change, Subject};

/// How long the trip to Pinterest's consent page may take.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;
/// The cookie that binds a state to the browser that started it.
pub const BROWSER_COOKIE: &str = "pinbridge_connect";
/// Longest callback query string read; Pinterest's are far shorter.
pub const QUERY_MAX: usize = 4096;
/// Most attempts (unused, unexpired states) one link keeps open; starting
/// another invalidates the oldest.
pub const MAX_OPEN_STATES: i64 = 5;

/// "Continue to Pinterest": where to send the browser, and the cookie to set
/// (a fresh one, or the browser's own again so it lasts as long as the state).
/// No `Debug`: the URL carries the state.
pub struct Begun {
    pub authorize_url: String,
    pub browser_cookie: String,
}

/// Starts the trip to Pinterest for the link in `token`, or says why it cannot.
pub async fn begin(
    services: &Services,
    token: &str,
    browser_cookie: Option<&str>,
    display: Display,
) -> Result<Result<Begun, LinkProblem>, ConnectionError> {
    let open = match links::open(&services.db, token, &services.config.public_url).await? {
        Ok(open) => open,
        Err(problem) => return Ok(Err(problem)),
    };
    let link = &open.link;
    let browser = browser_cookie
        .filter(|c| looks_like_token(c))
        .map(str::to_owned)
        .unwrap_or_else(|| OneTimeToken::generate().0.expose().to_owned());
    let (state_token, state_hash) = OneTimeToken::generate();
    let now = now_ms();
    let dropped = rows::insert_state_keeping(
        &services.db,
        &StateRow {
            state_hash: state_hash.as_str().to_owned(),
            link_id: link.id.clone(),
            workspace_id: link.workspace_id.clone(),
            environment_id: link.environment_id.clone(),
            browser_hash: TokenHash::of(&browser).as_str().to_owned(),
            created_at: now,
            expires_at: now + STATE_TTL_MS,
            used_at: None,
            popup: display == Display::Popup,
        },
        MAX_OPEN_STATES,
    )
    .await?;
    if dropped > 0 {
        tracing::info!(link = %link.id, dropped, "older connection attempts invalidated");
    }
    let mut url = url::Url::parse(&format!("{}/oauth/", services.config.pinterest_oauth_url))
        .map_err(|_| ConnectionError::Refused("The Pinterest OAuth URL is not valid.".into()))?;
    url.query_pairs_mut()
        .append_pair("client_id", &open.client_id)
        .append_pair("redirect_uri", &services.config.redirect_uri())
        .append_pair("response_type", "code")
        .append_pair("scope", &open.scopes.to_authorize_param())
        .append_pair("state", state_token.expose());
    Ok(Ok(Begun {
        authorize_url: url.into(),
        browser_cookie: browser,
    }))
}

/// Where the end user goes through the connect flow: the whole window, or a
/// popup the operator's page opened (`?display=popup`, the JavaScript SDK),
/// whose last page tells its opener the result instead of redirecting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Display {
    #[default]
    Page,
    Popup,
}

impl Display {
    /// `display=popup` in a query or form; anything else is the whole page.
    pub fn from_param(value: Option<&str>) -> Self {
        if value == Some("popup") {
            Self::Popup
        } else {
            Self::Page
        }
    }
}

/// Why a callback did not make a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    QueryTooLong,
    RepeatedParameter(String),
    MissingState,
    MalformedState,
    CodeAndError,
    NoCode,
    MalformedCode,
    UnknownState,
    StateUsed,
    StateExpired,
    NoCookie,
    OtherBrowser,
    Denied,
    PinterestError { error: String },
    LinkUsed,
    LinkExpired,
    ReturnOriginRemoved,
    Unavailable,
    CodeRejected,
    CredentialsRejected,
    PinterestDown { summary: String },
    ScopesMissing { missing: Vec<String> },
    AccountUnreadable { summary: String },
}

impl Problem {
    /// A short name for logs, audit records and the `reason` passed back to the
    /// operator's product.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::QueryTooLong => "query_too_long",
            Problem::RepeatedParameter(_) => "repeated_parameter",
            Problem::MissingState => "missing_state",
            Problem::MalformedState => "malformed_state",
            Problem::CodeAndError => "code_and_error",
            Problem::NoCode => "missing_code",
            Problem::MalformedCode => "malformed_code",
            Problem::UnknownState => "unknown_state",
            Problem::StateUsed => "state_used",
            Problem::StateExpired => "state_expired",
            Problem::NoCookie => "missing_cookie",
            Problem::OtherBrowser => "other_browser",
            Problem::Denied => "access_denied",
            Problem::PinterestError { .. } => "pinterest_error",
            Problem::LinkUsed => "link_used",
            Problem::LinkExpired => "link_expired",
            Problem::ReturnOriginRemoved => "return_origin_not_allowed",
            Problem::Unavailable => "integration_unavailable",
            Problem::CodeRejected => "code_rejected",
            Problem::CredentialsRejected => "app_credentials_rejected",
            Problem::PinterestDown { .. } => "pinterest_unavailable",
            Problem::ScopesMissing { .. } => "scopes_missing",
            Problem::AccountUnreadable { .. } => "account_unreadable",
        }
    }

    /// The page's heading.
    pub fn title(&self) -> &'static str {
        match self {
            Problem::Denied => "You did not connect Pinterest",
            Problem::StateExpired => "This connection attempt expired",
            Problem::StateUsed => "This connection attempt was already used",
            Problem::NoCookie | Problem::OtherBrowser => "Finish in the browser you started in",
            Problem::LinkUsed => "This connect link was already used",
            Problem::LinkExpired => "This connect link has expired",
            Problem::ReturnOriginRemoved => "This connect link can no longer be used",
            Problem::Unavailable => "Connecting is not available right now",
            Problem::PinterestDown { .. } => "Pinterest is not answering",
            Problem::ScopesMissing { .. } => "Some permissions were not granted",
            Problem::CredentialsRejected => "The app's Pinterest credentials were refused",
            Problem::CodeRejected => "Pinterest did not accept the authorization",
            _ => "This connection attempt is not valid",
        }
    }

    /// What happened and what to do, in words for the end user.
    pub fn explanation(&self) -> String {
        match self {
            Problem::QueryTooLong => "The address you arrived with is far longer than Pinterest's; it was not read. Start again from your connect link.".into(),
            Problem::RepeatedParameter(name) => format!("The address you arrived with has \u{201c}{name}\u{201d} more than once, so it cannot be trusted. Start again from your connect link."),
            Problem::MissingState => "The address you arrived with has no state parameter, so pinbridge cannot tell which connection it belongs to. Start again from your connect link.".into(),
            Problem::MalformedState => "The state in the address you arrived with was changed or cut short. Start again from your connect link.".into(),
            Problem::CodeAndError => "The address you arrived with says both that you approved and that there was an error, so it cannot be trusted. Start again from your connect link.".into(),
            Problem::NoCode => "Pinterest sent you back without an authorization code. Start again from your connect link.".into(),
            Problem::MalformedCode => "The authorization code in the address is not one Pinterest issues. Start again from your connect link.".into(),
            Problem::UnknownState => "pinbridge did not start this connection attempt, or it was replaced by a newer attempt from the same link, or removed long ago. Start again from your connect link.".into(),
            Problem::StateUsed => "This connection attempt was already completed or refused; an attempt can be used only once. If you are not connected, start again from your connect link.".into(),
            Problem::StateExpired => "More than 10 minutes passed between leaving for Pinterest and coming back. Start again from your connect link.".into(),
            Problem::NoCookie => "This browser has no record of starting this connection (cookies may be blocked, or the link was opened in another browser or a private window). Open your connect link again in this browser and continue from there.".into(),
            Problem::OtherBrowser => "This connection was started in a different browser. Open your connect link again in this browser and continue from there.".into(),
            Problem::Denied => "You chose not to give access on Pinterest, so nothing was connected and nothing was stored. If that was a mistake, open your connect link again.".into(),
            Problem::PinterestError { error } => format!("Pinterest reported an error (\u{201c}{error}\u{201d}) instead of an authorization. Nothing was stored. Try again from your connect link."),
            Problem::LinkUsed => "Your connect link already made a connection. Ask for a new link if you need to connect again.".into(),
            Problem::LinkExpired => "Your connect link expired while you were on Pinterest (links work for 30 minutes). Nothing was stored. Ask whoever sent it for a new one.".into(),
            Problem::ReturnOriginRemoved => "The app that sent you this link no longer allows it to send you back to the address it names, so the connection was not made and nothing was stored. Ask whoever sent the link for a new one.".into(),
            Problem::Unavailable => "The Pinterest integration was turned off or removed while you were on Pinterest. Nothing was stored; ask whoever sent you the link.".into(),
            Problem::CodeRejected => "Pinterest did not accept the authorization code (it may have expired or been used). Nothing was stored. Try again from your connect link.".into(),
            Problem::CredentialsRejected => "Pinterest refused the app's own credentials, so the connection could not be finished. Nothing was stored. Let whoever sent you the link know: their App id or App secret key needs fixing.".into(),
            Problem::PinterestDown { summary } => format!("{summary} Nothing was stored. Try again in a few minutes from your connect link."),
            Problem::ScopesMissing { missing } => format!("The connection needs these permissions, which were not granted: {}. Nothing was stored. Open your connect link again and allow all requested permissions.", missing.join(", ")),
            Problem::AccountUnreadable { summary } => format!("Pinterest granted access, but your account could not be read ({summary}). Nothing was stored. Try again from your connect link."),
        }
    }
}

/// What the end user sees after the callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Connected {
        connection_id: ConnectionId,
        username: String,
        workspace: String,
        /// Whose branding the page shows.
        workspace_id: WorkspaceId,
        /// Started in a popup with a return URL whose origin is allowed: the
        /// page tells its opener the result, on that origin only.
        popup_origin: Option<String>,
        /// Where to send the browser instead of showing the page.
        redirect: Option<String>,
        reauthorized: bool,
    },
    Failed {
        problem: Problem,
        /// Whose branding the page shows, when the attempt is known.
        workspace_id: Option<WorkspaceId>,
        /// As for `Connected`.
        popup_origin: Option<String>,
        /// Back to the operator's product, with the failure's reason.
        back: Option<String>,
        /// The connect link to try again with, while it is still open.
        retry: bool,
    },
}

fn failed(problem: Problem) -> Outcome {
    Outcome::Failed {
        problem,
        workspace_id: None,
        popup_origin: None,
        back: None,
        retry: false,
    }
}

/// The callback's parameters, each at most once.
struct Params {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn parse_query(raw: Option<&str>) -> Result<Params, Problem> {
    let raw = raw.unwrap_or("");
    if raw.len() > QUERY_MAX {
        return Err(Problem::QueryTooLong);
    }
    let mut params = Params {
        code: None,
        state: None,
        error: None,
    };
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let slot = match name.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "error" => &mut params.error,
            // error_description and anything Pinterest adds: not needed.
            _ => continue,
        };
        if slot.is_some() {
            return Err(Problem::RepeatedParameter(name.into_owned()));
        }
        *slot = Some(value.into_owned());
    }
    Ok(params)
}

/// Pinterest's codes are 40 hex digits; allow any short token-like text.
fn plausible_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 512
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whose attempt a failure belongs to, for the audit log and the way back.
#[derive(Clone, Debug)]
pub struct Attempt {
    workspace_id: WorkspaceId,
    environment_id: EnvironmentId,
    end_user_id: String,
    return_url: Option<String>,
    /// The connect link can still be used to try again.
    link_open: bool,
    /// Started in a popup.
    popup: bool,
}

impl Attempt {
    /// Where a popup's result goes: the return URL's origin (already checked
    /// against the allow-list), for an attempt started in a popup.
    fn popup_origin(&self) -> Option<String> {
        self.return_url
            .as_deref()
            .filter(|_| self.popup)
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
    }
}

/// Why [`verify`] turned a callback away.
#[derive(Clone, Debug)]
pub enum Refused {
    /// Before the state said whose attempt it was: nothing to audit.
    Unknown(Problem),
    /// The attempt is known: the failure is audited, and the operator's
    /// product hears of it through the link's return URL.
    Known(Attempt, Problem),
}

/// A callback that passed every check: its state is used up, its link
/// unused, and it carries a code to exchange.
#[derive(Clone)]
pub struct Verified {
    pub attempt: Attempt,
    link: LinkRow,
    code: String,
}

/// Without the code: it is a credential until Pinterest has exchanged it.
impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("attempt", &self.attempt)
            .field("link", &self.link.id)
            .finish_non_exhaustive()
    }
}

/// What Pinterest granted, checked against what the environment requires.
pub struct Grant {
    tokens: Tokens,
    refresh_token: SecretString,
    account: Account,
    granted: ScopeSet,
    required: ScopeSet,
}

/// What [`store`] kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub connection_id: ConnectionId,
    /// The end user had a connection here already: it was renewed, keeping its id.
    pub reauthorized: bool,
}

/// Step one: reads the callback's query strictly, and checks its state
/// (known, unused, unexpired, bound to this browser's cookie, then used up
/// by this callback), Pinterest's answer (a code, no error) and the link
/// (still unused). Nothing is stored but the state's use.
pub async fn verify(
    services: &Services,
    raw_query: Option<&str>,
    browser_cookie: Option<&str>,
) -> Result<Result<Verified, Refused>, ConnectionError> {
    let unknown = |problem| Ok(Err(Refused::Unknown(problem)));
    let params = match parse_query(raw_query) {
        Ok(p) => p,
        Err(problem) => return unknown(problem),
    };
    let Some(state_token) = params.state.as_deref() else {
        return unknown(Problem::MissingState);
    };
    if !looks_like_token(state_token) {
        return unknown(Problem::MalformedState);
    }
    if params.code.is_some() && params.error.is_some() {
        return unknown(Problem::CodeAndError);
    }
    let state_hash = TokenHash::of(state_token);
    let Some(row) = rows::find_state(&services.db, state_hash.as_str()).await? else {
        return unknown(Problem::UnknownState);
    };
    let link = rows::find_link(&services.db, &row.link_id).await?;
    let now = now_ms();
    // The allow-list as it is now, not as it was when the link was made:
    // removing an origin stops links already issued from sending anyone there.
    let return_allowed = match &link {
        Some(l) => links::return_allowed(&services.db, l, &services.config.public_url).await?,
        None => false,
    };
    let attempt = Attempt {
        workspace_id: row.workspace_id.clone(),
        environment_id: row.environment_id.clone(),
        end_user_id: link
            .as_ref()
            .map(|l| l.end_user_id.clone())
            .unwrap_or_default(),
        return_url: link
            .as_ref()
            .and_then(|l| l.return_url.clone())
            .filter(|_| return_allowed),
        link_open: return_allowed
            && link
                .as_ref()
                .is_some_and(|l| l.used_at.is_none() && l.expires_at > now),
        popup: row.popup,
    };
    let known = |problem| Ok(Err(Refused::Known(attempt.clone(), problem)));
    if row.used_at.is_some() {
        return known(Problem::StateUsed);
    }
    if row.expires_at <= now {
        return known(Problem::StateExpired);
    }
    let cookie_hash = match browser_cookie {
        None => return known(Problem::NoCookie),
        Some(c) => TokenHash::of(c),
    };
    if cookie_hash.as_str() != row.browser_hash {
        return known(Problem::OtherBrowser);
    }
    if !rows::consume_state(&services.db, state_hash.as_str(), cookie_hash.as_str(), now).await? {
        return known(Problem::StateUsed);
    }
    // The state is used up: from here on, a failure cannot be retried with it.
    if let Some(error) = params.error {
        return known(if error == "access_denied" {
            Problem::Denied
        } else {
            Problem::PinterestError {
                error: error.chars().filter(|c| !c.is_control()).take(80).collect(),
            }
        });
    }
    let Some(code) = params.code else {
        return known(Problem::NoCode);
    };
    if !plausible_code(&code) {
        return known(Problem::MalformedCode);
    }
    let Some(link) = link else {
        return known(Problem::UnknownState);
    };
    if link.used_at.is_some() {
        return known(Problem::LinkUsed);
    }
    if link.expires_at <= now {
        return known(Problem::LinkExpired);
    }
    if !return_allowed {
        return known(Problem::ReturnOriginRemoved);
    }
    Ok(Ok(Verified {
        attempt,
        link,
        code,
    }))
}

/// Step two: exchanges the code with the environment's app, checks the
/// granted scopes against the required ones and reads the account the
/// tokens belong to. Nothing is stored.
pub async fn exchange(
    services: &Services,
    verified: &Verified,
) -> Result<Result<Grant, Problem>, ConnectionError> {
    let link = &verified.link;
    let Some(app) = super::app::enabled(services, &link.workspace_id, &link.environment_id).await?
    else {
        return Ok(Err(Problem::Unavailable));
    };
    let token_url = services.config.token_url();
    let redirect_uri = services.config.redirect_uri();
    let exchanged = client::exchange_code(
        &services.http,
        &app.credentials(services, &token_url),
        &verified.code,
        &redirect_uri,
    )
    .await;
    let tokens = match exchanged.result {
        Ok(t) => t,
        Err(f) => {
            return Ok(Err(match (f.kind, f.http_status) {
                (FailureKind::Transient, _) => Problem::PinterestDown { summary: f.summary },
                (_, Some(401)) => Problem::CredentialsRejected,
                _ => Problem::CodeRejected,
            }));
        }
    };
    let granted = ScopeSet::from_granted(&tokens.scope);
    let missing: Vec<String> = app
        .scopes
        .without(&granted)
        .into_iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    if !missing.is_empty() {
        return Ok(Err(Problem::ScopesMissing { missing }));
    }
    let account = client::user_account(
        &services.http,
        services.config.api_base(app.api),
        &tokens.access_token,
        services.config.pinterest_timeout,
    )
    .await;
    let account = match account.result {
        Ok(a) => a,
        Err(f) => {
            return Ok(Err(match f.kind {
                FailureKind::Transient => Problem::PinterestDown { summary: f.summary },
                _ => Problem::AccountUnreadable { summary: f.summary },
            }));
        }
    };
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return Ok(Err(Problem::AccountUnreadable {
            summary: "Pinterest sent no refresh token".into(),
        }));
    };
    Ok(Ok(Grant {
        tokens,
        refresh_token,
        account,
        granted,
        required: app.scopes,
    }))
}

/// Step three: stores the grant, sealed, as the end user's connection in the
/// environment (a new one, or theirs renewed with its id kept), uses the link
/// up and audits it, in one transaction. Two callbacks that finish at once
/// for the same end user (two links) both end in that one connection: the
/// one that loses the race to insert renews what the other stored.
pub async fn store(
    services: &Services,
    verified: &Verified,
    grant: &Grant,
    meta: &RequestMeta,
) -> Result<Result<Stored, Problem>, ConnectionError> {
    let link = &verified.link;
    let now = now_ms();
    let mut tx = services.db.begin().await?;
    let mut existing =
        rows::find_by_end_user_tx(&mut tx, &link.environment_id, &link.end_user_id).await?;
    if existing.is_none() {
        let row = connection_row(services, link, grant, None, now)?;
        if rows::insert_unless_end_user_has_one(&mut tx, &row).await? {
            return finish_store(services, tx, link, grant, &row, None, meta, now).await;
        }
        // Another callback stored this end user's connection since we looked
        // (it waited for that one to commit): renew theirs instead.
        existing =
            rows::find_by_end_user_tx(&mut tx, &link.environment_id, &link.end_user_id).await?;
    }
    let Some(existing) = existing else {
        // Stored and removed again at once: only deleting the environment
        // removes connections, and then there is nothing to connect to.
        return Ok(Err(Problem::Unavailable));
    };
    let row = connection_row(services, link, grant, Some(&existing), now)?;
    rows::reauthorize(&mut tx, &row).await?;
    finish_store(services, tx, link, grant, &row, Some(&existing), meta, now).await
}

/// The connection as a grant makes it: `before` is the end user's existing one.
fn connection_row(
    services: &Services,
    link: &LinkRow,
    grant: &Grant,
    before: Option<&ConnectionRow>,
    now: i64,
) -> Result<ConnectionRow, ConnectionError> {
    let id = before.map_or_else(ConnectionId::generate, |c| c.id.clone());
    let previous = before.map(super::state_of);
    let after = previous
        .clone()
        .unwrap_or(ConnectionState {
            health: Health::Active,
            reason: String::new(),
            since: now,
        })
        .after(&Event::Authorized { missing: vec![] }, now);
    let ws = &link.workspace_id;
    let tokens = &grant.tokens;
    Ok(ConnectionRow {
        id: id.clone(),
        workspace_id: ws.clone(),
        environment_id: link.environment_id.clone(),
        end_user_id: link.end_user_id.clone(),
        display_name: link
            .display_name
            .clone()
            .or_else(|| before.and_then(|c| c.display_name.clone())),
        account_id: grant.account.id.clone(),
        account_username: grant.account.username.clone(),
        account_type: grant.account.account_type.clone(),
        scopes_granted: grant.granted.to_stored(),
        scopes_required: grant.required.to_stored(),
        access_token: Some(seal_token(
            &services.keys,
            ws,
            &id,
            TokenColumn::Access,
            &tokens.access_token,
        )?),
        refresh_token: Some(seal_token(
            &services.keys,
            ws,
            &id,
            TokenColumn::Refresh,
            &grant.refresh_token,
        )?),
        access_expires_at: Some(now + tokens.expires_in_secs * 1000),
        refresh_expires_at: tokens.refresh_expires_in_secs.map(|s| now + s * 1000),
        token_version: 1,
        health: after.health,
        health_reason: after.reason.clone(),
        health_since: if previous.is_none() { now } else { after.since },
        created_at: now,
        authorized_at: now,
        last_refresh_at: None,
        refresh_count: 0,
        next_refresh_at: Some(super::tokens::next_refresh_at(now, tokens.expires_in_secs)),
        refresh_failures: 0,
        last_refresh_error: None,
        next_probe_at: Some(now + super::jittered(services.config.health_check_interval_ms(), 0.1)),
        last_probe_at: None,
        account_mismatch: None,
        lease_owner: None,
        lease_until: None,
        lease_fence: 0,
    })
}

/// Uses the link up for the connection and audits it; commits.
#[allow(clippy::too_many_arguments)]
async fn finish_store(
    services: &Services,
    mut tx: Tx,
    link: &LinkRow,
    grant: &Grant,
    row: &ConnectionRow,
    before: Option<&ConnectionRow>,
    meta: &RequestMeta,
    now: i64,
) -> Result<Result<Stored, Problem>, ConnectionError> {
    if !rows::use_link(&mut tx, &link.id, &row.id, now).await? {
        return Ok(Err(Problem::LinkUsed));
    }
    let account = &grant.account;
    let mut d = detail([
        ("end_user_id", link.end_user_id.clone().into()),
        ("account_id", account.id.clone().into()),
        ("account_username", account.username.clone().into()),
        ("scopes_granted", grant.granted.to_stored().into()),
    ]);
    if let Some(prev) = before {
        d.insert("health_before".into(), prev.health.as_str().into());
        if prev.account_id != account.id {
            d.insert("previous_account_id".into(), prev.account_id.clone().into());
        }
    }
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: link.workspace_id.clone(),
            environment_id: Some(link.environment_id.clone()),
            actor: end_user(&link.end_user_id),
            action: if before.is_some() {
                AuditAction::ConnectionReauthorized
            } else {
                AuditAction::ConnectionCreated
            },
            target: format!("@{}", account.username),
            detail: d,
        },
        meta,
    )
    .await?;
    // The webhook events of this authorization, with it or not at all.
    let state = super::state_of(row);
    let subject = Subject::of(row, &state);
    let mut sent = false;
    if let Some(prev) = before {
        sent |= events::emit_tx(&mut tx, &subject, Change::Reauthorized, now).await?;
        let previous = super::state_of(prev);
        if previous.health != state.health {
            let change = Change::StateChanged { before: &previous };
            sent |= events::emit_tx(&mut tx, &subject, change, now).await?;
        }
        if !prev.account_id.is_empty() && prev.account_id != row.account_id {
            let change = Change::AccountChanged {
                previous: events::Account {
                    id: prev.account_id.clone(),
                    username: prev.account_username.clone(),
                },
                current: subject.account.clone(),
            };
            sent |= events::emit_tx(&mut tx, &subject, change, now).await?;
        }
    } else {
        sent |= events::emit_tx(&mut tx, &subject, Change::Created, now).await?;
    }
    tx.commit().await?;
    if sent {
        services.webhooks.wake();
    }
    let id = &row.id;
    tracing::info!(connection = %id, "connection authorized");
    Ok(Ok(Stored {
        connection_id: id.clone(),
        reauthorized: before.is_some(),
    }))
}

/// `GET /integration-callback`: [`verify`], [`exchange`], [`store`]; a
/// failure at any step is audited (once its owner is known) and answered
/// with its page.
pub async fn callback(
    services: &Services,
    raw_query: Option<&str>,
    browser_cookie: Option<&str>,
    meta: &RequestMeta,
) -> Result<Outcome, ConnectionError> {
    let verified = match verify(services, raw_query, browser_cookie).await? {
        Ok(verified) => verified,
        Err(Refused::Unknown(problem)) => {
            tracing::info!(reason = problem.code(), "connection attempt failed");
            return Ok(failed(problem));
        }
        Err(Refused::Known(attempt, problem)) => {
            return fail(services, &attempt, problem, meta).await;
        }
    };
    let grant = match exchange(services, &verified).await? {
        Ok(grant) => grant,
        Err(problem) => return fail(services, &verified.attempt, problem, meta).await,
    };
    let stored = match store(services, &verified, &grant, meta).await? {
        Ok(stored) => stored,
        Err(problem) => return fail(services, &verified.attempt, problem, meta).await,
    };
    let workspace = crate::db::repo::workspaces::find(&services.db, &verified.link.workspace_id)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let id = stored.connection_id;
    // Checked again at redirect time: the origin may have been removed while
    // Pinterest was exchanging the code. Then the end user sees our own page.
    let redirect = if links::return_allowed(
        &services.db,
        &verified.link,
        &services.config.public_url,
    )
    .await?
    {
        verified.link.return_url.as_deref().and_then(|u| {
            with_params(
                u,
                &[("status", "connected"), ("connection_id", id.as_str())],
            )
        })
    } else {
        None
    };
    Ok(Outcome::Connected {
        connection_id: id,
        username: grant.account.username,
        workspace,
        workspace_id: verified.link.workspace_id.clone(),
        popup_origin: verified
            .attempt
            .popup_origin()
            .filter(|_| redirect.is_some()),
        redirect,
        reauthorized: stored.reauthorized,
    })
}

/// An end user as the audit log names them.
fn end_user(end_user_id: &str) -> AuditActor {
    AuditActor {
        operator_id: None,
        label: format!("end user {end_user_id}"),
    }
}

/// `url` with `pairs` added to its query.
fn with_params(url: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(url).ok()?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Some(url.into())
}

/// Records a failure whose owner is known and answers its page.
async fn fail(
    services: &Services,
    attempt: &Attempt,
    problem: Problem,
    meta: &RequestMeta,
) -> Result<Outcome, ConnectionError> {
    let mut d = detail([
        ("end_user_id", attempt.end_user_id.clone().into()),
        ("reason", problem.code().into()),
    ]);
    if let Problem::ScopesMissing { missing } = &problem {
        d.insert("missing_scopes".into(), Value::from(missing.join(" ")));
    }
    tracing::info!(reason = problem.code(), "connection attempt failed");
    audit::append(
        &services.db,
        NewAuditEvent {
            workspace_id: attempt.workspace_id.clone(),
            environment_id: Some(attempt.environment_id.clone()),
            actor: end_user(&attempt.end_user_id),
            action: AuditAction::ConnectionAuthorizationFailed,
            target: attempt.end_user_id.clone(),
            detail: d,
        },
        meta,
    )
    .await?;
    let back = attempt
        .return_url
        .as_deref()
        .and_then(|u| with_params(u, &[("status", "failed"), ("reason", problem.code())]));
    Ok(Outcome::Failed {
        problem,
        workspace_id: Some(attempt.workspace_id.clone()),
        popup_origin: attempt.popup_origin(),
        back,
        retry: attempt.link_open,
    })
}

/// Removes states expired for more than a day.
pub async fn sweep_states(services: &Services) -> Result<u64, ConnectionError> {
    Ok(rows::delete_old_states(&services.db, now_ms() - 24 * 3600 * 1000).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_queries_are_read_strictly() {
        assert!(parse_query(Some(&"a".repeat(QUERY_MAX + 1))).is_err());
        assert_eq!(
            parse_query(Some("code=1&state=a&code=2")).err(),
            Some(Problem::RepeatedParameter("code".into()))
        );
        assert_eq!(
            parse_query(Some("state=a&state=a")).err(),
            Some(Problem::RepeatedParameter("state".into()))
        );
        let p = parse_query(Some("code=abc&state=s%2Bt&extra=1&error_description=x")).unwrap();
        assert_eq!(
            (p.code.as_deref(), p.state.as_deref(), p.error),
            (Some("abc"), Some("s+t"), None)
        );
        assert!(plausible_code(&"a1".repeat(20)));
        assert!(!plausible_code(""));
        assert!(!plausible_code("<script>"));
        assert!(!plausible_code(&"a".repeat(513)));
    }

    #[test]
    fn every_problem_has_its_own_reason_code() {
        let all = [
            Problem::QueryTooLong,
            Problem::RepeatedParameter("x".into()),
            Problem::MissingState,
            Problem::MalformedState,
            Problem::CodeAndError,
            Problem::NoCode,
            Problem::MalformedCode,
            Problem::UnknownState,
            Problem::StateUsed,
            Problem::StateExpired,
            Problem::NoCookie,
            Problem::OtherBrowser,
            Problem::Denied,
            Problem::PinterestError { error: "x".into() },
            Problem::LinkUsed,
            Problem::LinkExpired,
            Problem::ReturnOriginRemoved,
            Problem::Unavailable,
            Problem::CodeRejected,
            Problem::CredentialsRejected,
            Problem::PinterestDown {
                summary: "x".into(),
            },
            Problem::ScopesMissing { missing: vec![] },
            Problem::AccountUnreadable {
                summary: "x".into(),
            },
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(Problem::code).collect();
        assert_eq!(codes.len(), all.len());
        for p in &all {
            assert!(!p.explanation().is_empty());
        }
    }

    #[test]
    fn return_urls_keep_their_query_and_gain_ours() {
        assert_eq!(
            with_params("https://app.example/done?x=1", &[("status", "connected")]).unwrap(),
            "https://app.example/done?x=1&status=connected"
        );
    }
}
