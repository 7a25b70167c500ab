//! Connect links: an operator (or their application) asks for a link for one end
//! user; the end user opens it, sees what will be shared and continues to
//! Pinterest. A link is valid for 30 minutes and makes at most one connection.
//!
//! A link may send the end user back to the operator's product afterwards (the
//! return URL). Its origin must be on the environment's allow-list, checked when
//! the link is created and again whenever the link is opened or sends someone
//! back, so pinbridge never redirects anywhere an operator does not allow now:
//! removing an origin stops the links already issued for it.

use super::error::{
    ConnectionError, DISPLAY_NAME_FIELD, END_USER_FIELD, ORIGINS_FIELD, RETURN_URL_FIELD,
};
use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, detail};
use crate::accounts::{Actor, ConnectLinkId, EnvironmentId, RequestMeta, WorkspaceId};
use crate::accounts::{OneTimeToken, TokenHash};
use crate::db::repo::connections::{self as rows, LinkRow};
use crate::db::repo::{environments, pinterest_settings};
use crate::db::{Db, now_ms};

/// How long a connect link can be opened.
pub const LINK_TTL_MS: i64 = 30 * 60 * 1000;
pub const END_USER_MAX: usize = 200;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const RETURN_URL_MAX: usize = 2000;
pub const ORIGINS_MAX: usize = 20;

/// What the "New connect link" form sent, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInput {
    pub end_user_id: String,
    pub display_name: Option<String>,
    pub return_url: Option<url::Url>,
}

pub(crate) fn plain_text(
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> Result<String, ConnectionError> {
    let text = raw.trim();
    let count = text.chars().count();
    if count > max {
        return Err(ConnectionError::invalid(
            field,
            format!("{label} must be at most {max} characters (this one has {count})."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ConnectionError::invalid(
            field,
            format!("{label} must not contain control characters such as tabs or line breaks."),
        ));
    }
    Ok(text.to_owned())
}

impl LinkInput {
    pub fn parse(
        end_user_id: &str,
        display_name: &str,
        return_url: &str,
    ) -> Result<Self, ConnectionError> {
        let end_user_id = plain_text(END_USER_FIELD, "End user id", end_user_id, END_USER_MAX)?;
        if end_user_id.is_empty() {
            return Err(ConnectionError::invalid(
                END_USER_FIELD,
                format!(
                    "End user id is required: your product's id for this person (1 to {END_USER_MAX} characters)."
                ),
            ));
        }
        let display_name = plain_text(
            DISPLAY_NAME_FIELD,
            "Display name",
            display_name,
            DISPLAY_NAME_MAX,
        )?;
        let return_url = return_url.trim();
        let return_url = if return_url.is_empty() {
            None
        } else {
            Some(parse_return_url(return_url)?)
        };
        Ok(Self {
            end_user_id,
            display_name: (!display_name.is_empty()).then_some(display_name),
            return_url,
        })
    }
}

fn parse_return_url(raw: &str) -> Result<url::Url, ConnectionError> {
    let bad = |m: &str| ConnectionError::invalid(RETURN_URL_FIELD, m.to_owned());
    if raw.chars().count() > RETURN_URL_MAX {
        return Err(bad(&format!(
            "Return URL must be at most {RETURN_URL_MAX} characters."
        )));
    }
    let url = url::Url::parse(raw).map_err(|_| {
        bad("Return URL must be a full address starting with https:// (or http://), like https://app.example.com/settings.")
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad(&format!(
            "Return URL must start with https:// or http://, not {}:.",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("Return URL must not contain a user name or password."));
    }
    if url.host_str().is_none() {
        return Err(bad("Return URL must name a host."));
    }
    Ok(url)
}

/// An origin for the allow-list: `scheme://host[:port]`, nothing after it.
pub fn parse_origin(raw: &str) -> Result<String, String> {
    let text = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(text).map_err(|_| {
        format!(
            "{} is not an origin like https://app.example.com.",
            shown(text)
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!(
            "{} must start with https:// or http://.",
            shown(text)
        ));
    }
    if url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "{} must be only scheme, host and port, like https://app.example.com:8443 (no path).",
            shown(text)
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// A typed value, cut short and stripped of control characters, in quotes.
fn shown(text: &str) -> String {
    format!("\u{201c}{}\u{201d}", crate::pinterest::shown(text))
}

/// Parses the allow-list form: one origin per line (or separated by spaces or commas).
pub fn parse_origins(raw: &str) -> Result<Vec<String>, ConnectionError> {
    let mut origins: Vec<String> = Vec::new();
    for item in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        if item.trim().is_empty() {
            continue;
        }
        let origin = parse_origin(item).map_err(|m| ConnectionError::invalid(ORIGINS_FIELD, m))?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > ORIGINS_MAX {
        return Err(ConnectionError::invalid(
            ORIGINS_FIELD,
            format!(
                "At most {ORIGINS_MAX} origins (this list has {}).",
                origins.len()
            ),
        ));
    }
    origins.sort();
    Ok(origins)
}

/// A link just made. The URL is shown once to whoever asked for it.
/// No `Debug`: the URL is the credential.
pub struct CreatedLink {
    pub id: ConnectLinkId,
    pub url: String,
    pub end_user_id: String,
    pub expires_at: i64,
}

/// Makes a connect link for one end user in the environment.
pub async fn create(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    input: LinkInput,
    public_url: &str,
    meta: &RequestMeta,
) -> Result<CreatedLink, ConnectionError> {
    actor.require_configure()?;
    create_as(
        db,
        actor.workspace_id(),
        environment_id,
        input,
        public_url,
        actor.into(),
        meta,
    )
    .await
}

/// Makes a connect link in the workspace's environment as `by` (an operator
/// or an API key), audited.
pub(crate) async fn create_as(
    db: &Db,
    ws: &WorkspaceId,
    environment_id: &EnvironmentId,
    input: LinkInput,
    public_url: &str,
    by: AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedLink, ConnectionError> {
    let mut tx = db.begin().await?;
    environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    let settings = pinterest_settings::find_tx(&mut tx, ws, environment_id).await?;
    match settings {
        None => {
            return Err(ConnectionError::Refused(
                "Pinterest is not configured in this environment: save its App id and App secret key on the Pinterest page first.".into(),
            ));
        }
        Some(s) if !s.enabled => {
            return Err(ConnectionError::Refused(
                "The Pinterest integration is disabled in this environment: enable it on the Pinterest page first.".into(),
            ));
        }
        Some(_) => {}
    }
    if let Some(url) = &input.return_url {
        let origin = url.origin().ascii_serialization();
        if origin != own_origin(public_url)
            && !rows::origin_allowed_tx(&mut tx, ws, environment_id, &origin).await?
        {
            return Err(ConnectionError::invalid(
                RETURN_URL_FIELD,
                format!(
                    "Return URL's origin {origin} is not on this environment's list of allowed return origins. Add it under \u{201c}Allowed return origins\u{201d} first."
                ),
            ));
        }
    }
    let now = now_ms();
    let (token, hash) = OneTimeToken::generate();
    let row = LinkRow {
        id: ConnectLinkId::generate(),
        workspace_id: ws.clone(),
        environment_id: environment_id.clone(),
        end_user_id: input.end_user_id.clone(),
        display_name: input.display_name.clone(),
        return_url: input.return_url.as_ref().map(|u| u.to_string()),
        created_by: by.label.clone(),
        created_at: now,
        expires_at: now + LINK_TTL_MS,
        used_at: None,
        connection_id: None,
    };
    rows::insert_link(&mut tx, &row, hash.as_str()).await?;
    let mut d = detail([
        ("end_user_id", row.end_user_id.clone().into()),
        ("expires_at", row.expires_at.into()),
    ]);
    if let Some(url) = &input.return_url {
        d.insert(
            "return_origin".into(),
            url.origin().ascii_serialization().into(),
        );
    }
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: by,
            action: AuditAction::ConnectLinkCreated,
            target: row.end_user_id.clone(),
            detail: d,
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedLink {
        id: row.id,
        url: format!("{public_url}/connect/{}", token.expose()),
        end_user_id: row.end_user_id,
        expires_at: row.expires_at,
    })
}

/// Replaces the environment's allowed return origins.
pub async fn set_origins(
    db: &Db,
    actor: &Actor,
    environment_id: &EnvironmentId,
    origins: Vec<String>,
    meta: &RequestMeta,
) -> Result<Vec<String>, ConnectionError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let before = rows::list_origins(db, ws, environment_id).await?;
    let mut tx = db.begin().await?;
    let env = environments::find_tx(&mut tx, ws, environment_id)
        .await?
        .ok_or(ConnectionError::NotFound)?;
    if before == origins {
        return Ok(origins);
    }
    rows::replace_origins(
        &mut tx,
        ws,
        environment_id,
        &origins,
        actor.label(),
        now_ms(),
    )
    .await?;
    audit::append_tx(
        &mut tx,
        NewAuditEvent {
            workspace_id: ws.clone(),
            environment_id: Some(environment_id.clone()),
            actor: actor.into(),
            action: AuditAction::ReturnOriginsChanged,
            target: env.name,
            detail: detail([("before", before.into()), ("after", origins.clone().into())]),
        },
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(origins)
}

/// Why a link cannot be used, for the end user's page to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link (mistyped, cut short, or made up).
    Unknown,
    Expired,
    /// It already made a connection.
    Used,
    /// The link is fine, but the environment cannot connect right now: `why`
    /// says so in words for the end user.
    Unavailable {
        why: String,
    },
    /// Its return URL's origin was removed from the allow-list since it was made.
    ReturnOriginRemoved {
        workspace: String,
    },
}

/// The origin a popup opened for this link reports its result to: its
/// return URL's origin while that is allowed. For the pages that end a popup
/// early (an expired or used link), which [`open`] answers without the link.
pub async fn popup_origin(
    db: &Db,
    token: &str,
    public_url: &str,
) -> Result<Option<String>, ConnectionError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let Some(link) = rows::find_link_by_token(db, TokenHash::of(token).as_str()).await? else {
        return Ok(None);
    };
    if !return_allowed(db, &link, public_url).await? {
        return Ok(None);
    }
    Ok(link
        .return_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization()))
}

/// Whether the link may send the end user back to its return URL: it has
/// none, or its origin is on the environment's allow-list right now.
/// pinbridge's own origin is always allowed: its own flows (an assistant's
/// sign-in that connects Pinterest on the way) return there.
pub async fn return_allowed(
    db: &Db,
    link: &LinkRow,
    public_url: &str,
) -> Result<bool, ConnectionError> {
    let Some(raw) = link.return_url.as_deref() else {
        return Ok(true);
    };
    let Ok(url) = url::Url::parse(raw) else {
        return Ok(false);
    };
    let origin = url.origin().ascii_serialization();
    if origin == own_origin(public_url) {
        return Ok(true);
    }
    Ok(rows::origin_allowed(db, &link.workspace_id, &link.environment_id, &origin).await?)
}

/// pinbridge's own origin, from its public URL.
fn own_origin(public_url: &str) -> String {
    url::Url::parse(public_url).map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenLink {
    pub link: LinkRow,
    pub workspace: String,
    /// The environment's Pinterest App id, for the authorize URL.
    pub client_id: String,
    pub scopes: crate::pinterest::ScopeSet,
}

/// Tokens are 43 characters of URL-safe base64; anything else is not one of ours.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Looks a link up by the token in its URL: open, or why it cannot be used.
pub async fn open(
    db: &Db,
    token: &str,
    public_url: &str,
) -> Result<Result<OpenLink, LinkProblem>, ConnectionError> {
    if !looks_like_token(token) {
        return Ok(Err(LinkProblem::Unknown));
    }
    let Some(link) = rows::find_link_by_token(db, TokenHash::of(token).as_str()).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if link.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if link.expires_at <= now_ms() {
        return Ok(Err(LinkProblem::Expired));
    }
    let workspace = crate::db::repo::workspaces::find(db, &link.workspace_id)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let settings = pinterest_settings::find(db, &link.workspace_id, &link.environment_id).await?;
    let Some(settings) = settings else {
        return Ok(Err(LinkProblem::Unavailable {
            why: format!(
                "{workspace} has not finished setting up Pinterest, so connecting is not possible yet. Let them know; this link stays valid until it expires."
            ),
        }));
    };
    if !settings.enabled {
        return Ok(Err(LinkProblem::Unavailable {
            why: format!(
                "{workspace} has turned its Pinterest integration off for now, so connecting is not possible. Let them know; this link stays valid until it expires."
            ),
        }));
    }
    if !return_allowed(db, &link, public_url).await? {
        return Ok(Err(LinkProblem::ReturnOriginRemoved { workspace }));
    }
    Ok(Ok(OpenLink {
        link,
        workspace,
        scopes: crate::pinterest::ScopeSet::from_stored(&settings.scopes),
        client_id: settings.client_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_input_is_checked_field_by_field() {
        let ok =
            LinkInput::parse(" user-42 ", " Ada ", "https://app.example.com/done?x=1").unwrap();
        assert_eq!(ok.end_user_id, "user-42");
        assert_eq!(ok.display_name.as_deref(), Some("Ada"));
        assert_eq!(
            ok.return_url.unwrap().origin().ascii_serialization(),
            "https://app.example.com"
        );
        let field = |r: Result<LinkInput, ConnectionError>| match r {
            Err(ConnectionError::Invalid { field, message }) => (field, message),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(LinkInput::parse("  ", "", "")).0, END_USER_FIELD);
        assert_eq!(
            field(LinkInput::parse(&"x".repeat(201), "", "")).0,
            END_USER_FIELD
        );
        assert_eq!(field(LinkInput::parse("a\tb", "", "")).0, END_USER_FIELD);
        assert_eq!(
            field(LinkInput::parse("u", &"n".repeat(101), "")).0,
            DISPLAY_NAME_FIELD
        );
        let (f, m) = field(LinkInput::parse("u", "", "javascript:alert(1)"));
        assert_eq!(f, RETURN_URL_FIELD);
        assert!(m.contains("not javascript:"), "{m}");
        assert_eq!(
            field(LinkInput::parse("u", "", "/relative")).0,
            RETURN_URL_FIELD
        );
        assert_eq!(
            field(LinkInput::parse("u", "", "https://me:pw@app.example.com/")).0,
            RETURN_URL_FIELD
        );
        assert_eq!(
            field(LinkInput::parse("u", "", "data:text/html,x")).0,
            RETURN_URL_FIELD
        );
    }

    #[test]
    fn origins_are_normalised_and_nothing_but_origins() {
        assert_eq!(
            parse_origins(
                "https://App.Example.com/\nhttp://127.0.0.1:8080, https://app.example.com"
            )
            .unwrap(),
            vec!["http://127.0.0.1:8080", "https://app.example.com"]
        );
        assert_eq!(
            parse_origin("https://a.example:443").unwrap(),
            "https://a.example"
        );
        for bad in [
            "https://a.example/path",
            "javascript:alert(1)",
            "a.example",
            "https://u@a.example",
            "ftp://a.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        let many = (0..21)
            .map(|i| format!("https://h{i}.example"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(parse_origins(&many).is_err());
    }

    #[test]
    fn only_well_formed_tokens_are_looked_up() {
        assert!(looks_like_token(&"a".repeat(43)));
        assert!(!looks_like_token(&"a".repeat(42)));
        assert!(!looks_like_token(&format!("{}%", "a".repeat(42))));
    }
}
