//! The OAuth handshake: "Continue to Pinterest" ([`begin`]) and the way back
//! (`GET /integration-callback`, [`callback`]).
//!
//! `state` is 256 random bits, stored only as its SHA-256, used once, valid for
//! ten minutes and bound to the browser that started it: [`begin`] sets a
//! random cookie and stores its hash with the state, and the callback must
//! present the same cookie. Every failure answers a [`Problem`] that says what
//! went wrong and what to do, stores no token, and (once the state tells us
//! whose it was) is audited.

use serde_json::Value;

use super::error::ConnectionError;
use super::links::{self, LinkStatus, looks_like_token};
use super::state::{ConnectionState, Event, Health};
use super::{TokenColumn, seal_token};
use crate::domain::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, detail};
use crate::domain::accounts::{ConnectionId, EnvironmentId, RequestMeta, WorkspaceId};
use crate::domain::accounts::{OneTimeToken, TokenHash};
use crate::domain::db::now_ms;
use crate::domain::db::repo::connections::{self as rows, ConnectionRow, StateRow};
use crate::domain::pinterest::ScopeSet;
use crate::domain::pinterest::client::{self, AppCredentials, FailureKind};
use crate::domain::state::AppState;

/// How long the trip to Pinterest's consent page may take.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;
/// The cookie that binds a state to the browser that started it.
pub const BROWSER_COOKIE: &str = "pinbridge_connect";
/// Longest callback query string read; Pinterest's are far shorter.
pub const QUERY_MAX: usize = 4096;
/// The audit log's actor for what end users and the scheduler do.
pub const SYSTEM_ACTOR: &str = "pinbridge";

/// "Continue to Pinterest": where to send the browser, and the cookie to set
/// (a fresh one, or the browser's own again so it lasts as long as the state).
/// No `Debug`: the URL carries the state.
pub struct Begun {
    pub authorize_url: String,
    pub browser_cookie: String,
}

/// Starts the trip to Pinterest for the link in `token`, or says why it cannot.
pub async fn begin(
    state: &AppState,
    token: &str,
    browser_cookie: Option<&str>,
) -> Result<Result<Begun, LinkStatus>, ConnectionError> {
    let open = match links::open(&state.db, token).await? {
        LinkStatus::Open(open) => open,
        other => return Ok(Err(other)),
    };
    let link = &open.link;
    let browser = browser_cookie
        .filter(|c| looks_like_token(c))
        .map(str::to_owned)
        .unwrap_or_else(|| OneTimeToken::generate().0.expose().to_owned());
    let (state_token, state_hash) = OneTimeToken::generate();
    let now = now_ms();
    rows::insert_state(
        &state.db,
        &StateRow {
            state_hash: state_hash.as_str().to_owned(),
            link_id: link.id.clone(),
            workspace_id: link.workspace_id.clone(),
            environment_id: link.environment_id.clone(),
            browser_hash: TokenHash::of(&browser).as_str().to_owned(),
            created_at: now,
            expires_at: now + STATE_TTL_MS,
            used_at: None,
        },
    )
    .await?;
    let mut url = url::Url::parse(&format!("{}/oauth/", state.config.pinterest_oauth_url))
        .map_err(|_| ConnectionError::Refused("The Pinterest OAuth URL is not valid.".into()))?;
    url.query_pairs_mut()
        .append_pair("client_id", &open.client_id)
        .append_pair("redirect_uri", &state.config.redirect_uri())
        .append_pair("response_type", "code")
        .append_pair("scope", &open.scopes.to_authorize_param())
        .append_pair("state", state_token.expose());
    Ok(Ok(Begun {
        authorize_url: url.into(),
        browser_cookie: browser,
    }))
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
            Problem::UnknownState => "pinbridge did not start this connection attempt (or it was removed long ago). Start again from your connect link.".into(),
            Problem::StateUsed => "This connection attempt was already completed or refused; an attempt can be used only once. If you are not connected, start again from your connect link.".into(),
            Problem::StateExpired => "More than 10 minutes passed between leaving for Pinterest and coming back. Start again from your connect link.".into(),
            Problem::NoCookie => "This browser has no record of starting this connection (cookies may be blocked, or the link was opened in another browser or a private window). Open your connect link again in this browser and continue from there.".into(),
            Problem::OtherBrowser => "This connection was started in a different browser. Open your connect link again in this browser and continue from there.".into(),
            Problem::Denied => "You chose not to give access on Pinterest, so nothing was connected and nothing was stored. If that was a mistake, open your connect link again.".into(),
            Problem::PinterestError { error } => format!("Pinterest reported an error (\u{201c}{error}\u{201d}) instead of an authorization. Nothing was stored. Try again from your connect link."),
            Problem::LinkUsed => "Your connect link already made a connection. Ask for a new link if you need to connect again.".into(),
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
        /// Where to send the browser instead of showing the page.
        redirect: Option<String>,
        reauthorized: bool,
    },
    Failed {
        problem: Problem,
        /// Back to the operator's product, with the failure's reason.
        back: Option<String>,
        /// The connect link to try again with, while it is still open.
        retry: bool,
    },
}

fn failed(problem: Problem) -> Outcome {
    Outcome::Failed {
        problem,
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

/// Whose attempt a failure belongs to, for the audit log.
struct Attempt {
    workspace_id: WorkspaceId,
    environment_id: EnvironmentId,
    end_user_id: String,
    return_url: Option<String>,
    link_open: bool,
}

/// `GET /integration-callback`: checks everything, then exchanges the code,
/// checks the scopes, reads the account and stores the connection.
pub async fn callback(
    state: &AppState,
    raw_query: Option<&str>,
    browser_cookie: Option<&str>,
    meta: &RequestMeta,
) -> Result<Outcome, ConnectionError> {
    let params = match parse_query(raw_query) {
        Ok(p) => p,
        Err(problem) => return Ok(failed(problem)),
    };
    let Some(state_token) = params.state.as_deref() else {
        return Ok(failed(Problem::MissingState));
    };
    if !looks_like_token(state_token) {
        return Ok(failed(Problem::MalformedState));
    }
    if params.code.is_some() && params.error.is_some() {
        return Ok(failed(Problem::CodeAndError));
    }
    let state_hash = TokenHash::of(state_token);
    let Some(row) = rows::find_state(&state.db, state_hash.as_str()).await? else {
        return Ok(failed(Problem::UnknownState));
    };
    let link = rows::find_link(&state.db, &row.link_id).await?;
    let now = now_ms();
    let attempt = Attempt {
        workspace_id: row.workspace_id.clone(),
        environment_id: row.environment_id.clone(),
        end_user_id: link
            .as_ref()
            .map(|l| l.end_user_id.clone())
            .unwrap_or_default(),
        return_url: link.as_ref().and_then(|l| l.return_url.clone()),
        link_open: link
            .as_ref()
            .is_some_and(|l| l.used_at.is_none() && l.expires_at > now),
    };
    let problem = if row.used_at.is_some() {
        Some(Problem::StateUsed)
    } else if row.expires_at <= now {
        Some(Problem::StateExpired)
    } else {
        match browser_cookie {
            None => Some(Problem::NoCookie),
            Some(c) if TokenHash::of(c).as_str() != row.browser_hash => Some(Problem::OtherBrowser),
            Some(c) => {
                if rows::consume_state(
                    &state.db,
                    state_hash.as_str(),
                    TokenHash::of(c).as_str(),
                    now,
                )
                .await?
                {
                    None
                } else {
                    Some(Problem::StateUsed)
                }
            }
        }
    };
    if let Some(problem) = problem {
        return fail(state, &attempt, problem, meta).await;
    }
    // The state is used up: from here on, a failure cannot be retried with it.
    if let Some(error) = params.error {
        let problem = if error == "access_denied" {
            Problem::Denied
        } else {
            Problem::PinterestError {
                error: error.chars().filter(|c| !c.is_control()).take(80).collect(),
            }
        };
        return fail(state, &attempt, problem, meta).await;
    }
    let Some(code) = params.code else {
        return fail(state, &attempt, Problem::NoCode, meta).await;
    };
    if !plausible_code(&code) {
        return fail(state, &attempt, Problem::MalformedCode, meta).await;
    }
    let Some(link) = link else {
        return fail(state, &attempt, Problem::UnknownState, meta).await;
    };
    if link.used_at.is_some() {
        return fail(state, &attempt, Problem::LinkUsed, meta).await;
    }
    let Some(app) =
        super::tokens::app_credentials(state, &link.workspace_id, &link.environment_id).await?
    else {
        return fail(state, &attempt, Problem::Unavailable, meta).await;
    };
    let token_url = state.config.token_url();
    let redirect_uri = state.config.redirect_uri();
    let exchanged = client::exchange_code(
        &state.http,
        &AppCredentials {
            token_url: &token_url,
            client_id: &app.client_id,
            secret: &app.secret,
            timeout: state.config.pinterest_timeout,
        },
        &code,
        &redirect_uri,
    )
    .await;
    let tokens = match exchanged.result {
        Ok(t) => t,
        Err(f) => {
            let problem = match (f.kind, f.http_status) {
                (FailureKind::Transient, _) => Problem::PinterestDown { summary: f.summary },
                (_, Some(401)) => Problem::CredentialsRejected,
                _ => Problem::CodeRejected,
            };
            return fail(state, &attempt, problem, meta).await;
        }
    };
    let required = &app.scopes;
    let granted = ScopeSet::from_granted(&tokens.scope);
    let missing: Vec<String> = required
        .without(&granted)
        .into_iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    if !missing.is_empty() {
        return fail(state, &attempt, Problem::ScopesMissing { missing }, meta).await;
    }
    let account = client::user_account(
        &state.http,
        state.config.api_base(app.api),
        &tokens.access_token,
        state.config.pinterest_timeout,
    )
    .await;
    let account = match account.result {
        Ok(a) => a,
        Err(f) => {
            let problem = match f.kind {
                FailureKind::Transient => Problem::PinterestDown { summary: f.summary },
                _ => Problem::AccountUnreadable { summary: f.summary },
            };
            return fail(state, &attempt, problem, meta).await;
        }
    };
    let Some(refresh_token) = tokens.refresh_token.as_ref() else {
        return fail(
            state,
            &attempt,
            Problem::AccountUnreadable {
                summary: "Pinterest sent no refresh token".into(),
            },
            meta,
        )
        .await;
    };

    // Store: the same end user again keeps their connection (and its id).
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let existing =
        rows::find_by_end_user_tx(&mut tx, &link.environment_id, &link.end_user_id).await?;
    let id = existing
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_else(ConnectionId::generate);
    let before = existing.as_ref().map(super::state_of);
    let after = before
        .clone()
        .unwrap_or(ConnectionState {
            health: Health::Active,
            reason: String::new(),
            since: now,
        })
        .after(&Event::Authorized { missing: vec![] }, now);
    let ws = &link.workspace_id;
    let expires_at = now + tokens.expires_in_secs * 1000;
    let row = ConnectionRow {
        id: id.clone(),
        workspace_id: ws.clone(),
        environment_id: link.environment_id.clone(),
        end_user_id: link.end_user_id.clone(),
        display_name: link
            .display_name
            .clone()
            .or_else(|| existing.as_ref().and_then(|c| c.display_name.clone())),
        account_id: account.id.clone(),
        account_username: account.username.clone(),
        account_type: account.account_type.clone(),
        scopes_granted: granted.to_stored(),
        scopes_required: required.to_stored(),
        access_token: Some(seal_token(
            &state.keys,
            ws,
            &id,
            TokenColumn::Access,
            &tokens.access_token,
        )?),
        refresh_token: Some(seal_token(
            &state.keys,
            ws,
            &id,
            TokenColumn::Refresh,
            refresh_token,
        )?),
        access_expires_at: Some(expires_at),
        refresh_expires_at: tokens.refresh_expires_in_secs.map(|s| now + s * 1000),
        token_version: 1,
        health: after.health.as_str().to_owned(),
        health_reason: after.reason.clone(),
        health_since: if before.is_none() { now } else { after.since },
        created_at: now,
        authorized_at: now,
        last_refresh_at: None,
        refresh_count: 0,
        next_refresh_at: Some(super::tokens::next_refresh_at(now, tokens.expires_in_secs)),
        refresh_failures: 0,
        last_refresh_error: None,
        next_probe_at: Some(now + super::jittered(state.config.health_check_interval_ms(), 0.1)),
        last_probe_at: None,
        account_mismatch: None,
        lease_owner: None,
        lease_until: None,
        lease_fence: 0,
    };
    if existing.is_some() {
        rows::reauthorize(&mut tx, &row).await?;
    } else {
        rows::insert(&mut tx, &row).await?;
    }
    if !rows::use_link(&mut tx, &link.id, &id, now).await? {
        drop(tx);
        return fail(state, &attempt, Problem::LinkUsed, meta).await;
    }
    let mut d = detail([
        ("end_user_id", link.end_user_id.clone().into()),
        ("account_id", account.id.clone().into()),
        ("account_username", account.username.clone().into()),
        ("scopes_granted", granted.to_stored().into()),
    ]);
    if let Some(prev) = existing.as_ref() {
        d.insert("health_before".into(), prev.health.clone().into());
        if prev.account_id != account.id {
            d.insert("previous_account_id".into(), prev.account_id.clone().into());
        }
    }
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(link.environment_id.clone()),
            actor: AuditActor {
                operator_id: None,
                label: format!("end user {}", link.end_user_id),
            },
            action: if existing.is_some() {
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
    tx.commit().await?;
    let workspace = crate::domain::db::repo::workspaces::find(&state.db, ws)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let redirect = link.return_url.as_deref().and_then(|u| {
        with_params(
            u,
            &[("status", "connected"), ("connection_id", id.as_str())],
        )
    });
    tracing::info!(connection = %id, "connection authorized");
    Ok(Outcome::Connected {
        connection_id: id,
        username: account.username,
        workspace,
        redirect,
        reauthorized: existing.is_some(),
    })
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
    state: &AppState,
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
        &state.db,
        NewAuditEvent {
            workspace_id: attempt.workspace_id.clone(),
            environment_id: Some(attempt.environment_id.clone()),
            actor: AuditActor {
                operator_id: None,
                label: format!("end user {}", attempt.end_user_id),
            },
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
        back,
        retry: attempt.link_open,
    })
}

/// Removes states expired for more than a day.
pub async fn sweep_states(state: &AppState) -> Result<u64, ConnectionError> {
    Ok(rows::delete_old_states(&state.db, now_ms() - 24 * 3600 * 1000).await?)
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
