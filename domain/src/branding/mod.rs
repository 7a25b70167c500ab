//! A workspace's branding: how its end users see the connect and callback
//! pages (its display name, logo, accent colour, support and privacy links).
//! Owners and admins change it; the pages read it per request.

pub mod accent;
pub mod logo;

use serde_json::Value;

pub use accent::{Accent, AccentProblem, Rgb};
pub use logo::{Logo, LogoProblem};

use crate::accounts::audit::{self, AuditAction, AuditActor, NewAuditEvent, RequestMeta, detail};
use crate::accounts::{AccountsError, Actor, WorkspaceId};
use crate::db::repo::branding::{self as rows, BrandingFields, LogoColumns};
use crate::db::{Db, DbError, now_ms};

/// Longest display name.
pub const DISPLAY_NAME_MAX: usize = 60;
/// Longest support or privacy-policy URL.
pub const URL_MAX: usize = 500;

/// The form fields, as the portal names them.
pub const DISPLAY_NAME_FIELD: &str = "display_name";
pub const ACCENT_FIELD: &str = "accent_color";
pub const SUPPORT_URL_FIELD: &str = "support_url";
pub const PRIVACY_URL_FIELD: &str = "privacy_url";
pub const LOGO_FIELD: &str = "logo";

#[derive(Debug, thiserror::Error)]
pub enum BrandingError {
    /// A value refused: `field` is the form field, the message says why.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl BrandingError {
    fn invalid(field: &'static str, message: impl ToString) -> Self {
        Self::Invalid {
            field,
            message: message.to_string(),
        }
    }
}

/// A stored logo, by reference: where to fetch it and how large it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoRef {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

impl LogoRef {
    /// Where pinbridge serves it (content-addressed, so cached for good).
    pub fn path(&self) -> String {
        format!("/brand/logo/{}.png", self.sha256)
    }
}

/// A workspace's branding as set: empty fields are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branding {
    pub display_name: Option<String>,
    pub accent: Option<Accent>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
    pub logo: Option<LogoRef>,
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
}

/// What an end user's page shows: the name (the display name, else the
/// workspace's), and what else is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndUserBrand {
    pub name: String,
    pub accent: Option<Accent>,
    pub logo: Option<LogoRef>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
}

impl Branding {
    pub fn for_end_user(self, workspace_name: &str) -> EndUserBrand {
        EndUserBrand {
            name: self
                .display_name
                .unwrap_or_else(|| workspace_name.to_owned()),
            accent: self.accent,
            logo: self.logo,
            support_url: self.support_url,
            privacy_url: self.privacy_url,
        }
    }
}

impl EndUserBrand {
    /// pinbridge's own look, for a page that knows no workspace.
    pub fn plain(name: &str) -> Self {
        Branding::default().for_end_user(name)
    }
}

/// The typed fields, parsed: what [`save`] stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandingInput {
    pub display_name: Option<String>,
    pub accent: Option<Accent>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
}

impl BrandingInput {
    /// Empty fields clear what they set. Each refusal names its field.
    pub fn parse(
        display_name: &str,
        accent: &str,
        support_url: &str,
        privacy_url: &str,
    ) -> Result<Self, BrandingError> {
        let display_name = display_name.trim();
        let display_name = if display_name.is_empty() {
            None
        } else {
            let count = display_name.chars().count();
            if count > DISPLAY_NAME_MAX {
                return Err(BrandingError::invalid(
                    DISPLAY_NAME_FIELD,
                    format!(
                        "Display name must be at most {DISPLAY_NAME_MAX} characters (this one has {count})."
                    ),
                ));
            }
            if display_name.chars().any(char::is_control) {
                return Err(BrandingError::invalid(
                    DISPLAY_NAME_FIELD,
                    "Display name must not contain control characters such as tabs or line breaks.",
                ));
            }
            Some(display_name.to_owned())
        };
        let accent = match accent.trim() {
            "" => None,
            raw => Some(Accent::parse(raw).map_err(|p| BrandingError::invalid(ACCENT_FIELD, p))?),
        };
        Ok(Self {
            display_name,
            accent,
            support_url: parse_url(SUPPORT_URL_FIELD, "Support URL", support_url)?,
            privacy_url: parse_url(PRIVACY_URL_FIELD, "Privacy policy URL", privacy_url)?,
        })
    }
}

/// An optional public web address: http or https, with a host, no password.
fn parse_url(field: &'static str, label: &str, raw: &str) -> Result<Option<String>, BrandingError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let count = raw.chars().count();
    if count > URL_MAX {
        return Err(BrandingError::invalid(
            field,
            format!("{label} must be at most {URL_MAX} characters (this one has {count})."),
        ));
    }
    let refuse = || {
        BrandingError::invalid(
            field,
            format!(
                "{label} must be a web address starting with https:// or http://, such as https://example.com/help."
            ),
        )
    };
    let url = url::Url::parse(raw).map_err(|_| refuse())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(refuse());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BrandingError::invalid(
            field,
            format!("{label} must not contain a user name or password."),
        ));
    }
    Ok(Some(url.to_string()))
}

/// The workspace's branding (all `None` when never set).
pub async fn of_workspace(db: &Db, workspace: &WorkspaceId) -> Result<Branding, BrandingError> {
    let Some(row) = rows::find(db, workspace).await? else {
        return Ok(Branding::default());
    };
    let logo = match (row.logo_sha256, row.logo_width, row.logo_height) {
        (Some(sha256), Some(w), Some(h)) => Some(LogoRef {
            sha256,
            width: u32::try_from(w).unwrap_or(0),
            height: u32::try_from(h).unwrap_or(0),
        }),
        _ => None,
    };
    Ok(Branding {
        display_name: row.display_name,
        // Stored only after `Accent::parse` accepted it.
        accent: row
            .accent_color
            .as_deref()
            .and_then(|c| Accent::parse(c).ok()),
        support_url: row.support_url,
        privacy_url: row.privacy_url,
        logo,
        updated_at: Some(row.updated_at),
        updated_by: Some(row.updated_by),
    })
}

/// The workspace's own name (empty when there is no such workspace).
pub async fn workspace_name(db: &Db, workspace: &WorkspaceId) -> Result<String, BrandingError> {
    Ok(crate::db::repo::workspaces::find(db, workspace)
        .await?
        .map(|w| w.name)
        .unwrap_or_default())
}

/// The end user's view of a workspace's branding. `name`: the workspace's
/// name when the caller already read it (else one more read). A failure to
/// read is logged and answered with pinbridge's own look: an end user's page
/// must not fail for want of a logo.
pub async fn for_end_user(db: &Db, workspace: &WorkspaceId, name: Option<&str>) -> EndUserBrand {
    let name = match name {
        Some(name) => Ok(name.to_owned()),
        None => workspace_name(db, workspace).await,
    };
    let read = match name {
        Ok(name) => match of_workspace(db, workspace).await {
            Ok(branding) => return branding.for_end_user(&name),
            Err(e) => (e, name),
        },
        Err(e) => (e, String::new()),
    };
    let (e, name) = read;
    tracing::warn!(error = %e, "branding could not be read; the page shows pinbridge's look");
    EndUserBrand::plain(&name)
}

/// Saves the typed fields (owners and admins). Audited with the names of the
/// fields that changed; nothing is written when nothing changed.
pub async fn save(
    db: &Db,
    actor: &Actor,
    input: &BrandingInput,
    meta: &RequestMeta,
) -> Result<(), BrandingError> {
    actor.require_configure()?;
    let current = of_workspace(db, actor.workspace_id()).await?;
    let fields = BrandingFields {
        display_name: input.display_name.clone(),
        accent_color: input.accent.map(|a| a.to_string()),
        support_url: input.support_url.clone(),
        privacy_url: input.privacy_url.clone(),
    };
    let was = BrandingFields {
        display_name: current.display_name,
        accent_color: current.accent.map(|a| a.to_string()),
        support_url: current.support_url,
        privacy_url: current.privacy_url,
    };
    let changed: Vec<Value> = [
        (DISPLAY_NAME_FIELD, fields.display_name != was.display_name),
        (ACCENT_FIELD, fields.accent_color != was.accent_color),
        (SUPPORT_URL_FIELD, fields.support_url != was.support_url),
        (PRIVACY_URL_FIELD, fields.privacy_url != was.privacy_url),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(name, _)| Value::from(name))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    rows::save_fields(&mut tx, actor.workspace_id(), &fields, actor.label(), now).await?;
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: None,
        actor: AuditActor::from(actor),
        action: AuditAction::BrandingChanged,
        target: "branding".to_owned(),
        detail: detail([("changed", Value::Array(changed))]),
    };
    audit::append_tx(&mut tx, event, meta)
        .await
        .map_err(accounts_error)?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the logo with one pinbridge made ([`Logo::from_upload`]).
pub async fn set_logo(
    db: &Db,
    actor: &Actor,
    logo: &Logo,
    meta: &RequestMeta,
) -> Result<LogoRef, BrandingError> {
    actor.require_configure()?;
    let (width, height) = (
        i32::try_from(logo.width).unwrap_or(i32::MAX),
        i32::try_from(logo.height).unwrap_or(i32::MAX),
    );
    let mut tx = db.begin().await?;
    let columns = LogoColumns {
        png: &logo.png,
        sha256: &logo.sha256,
        width,
        height,
    };
    rows::save_logo(
        &mut tx,
        actor.workspace_id(),
        Some(columns),
        actor.label(),
        now_ms(),
    )
    .await?;
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: None,
        actor: AuditActor::from(actor),
        action: AuditAction::BrandingLogoChanged,
        target: "logo".to_owned(),
        detail: detail([
            ("sha256", logo.sha256.clone().into()),
            ("width", logo.width.into()),
            ("height", logo.height.into()),
            ("bytes", logo.png.len().into()),
        ]),
    };
    audit::append_tx(&mut tx, event, meta)
        .await
        .map_err(accounts_error)?;
    tx.commit().await?;
    Ok(LogoRef {
        sha256: logo.sha256.clone(),
        width: logo.width,
        height: logo.height,
    })
}

/// Removes the logo; the pages show the display name alone.
pub async fn remove_logo(db: &Db, actor: &Actor, meta: &RequestMeta) -> Result<(), BrandingError> {
    actor.require_configure()?;
    if of_workspace(db, actor.workspace_id()).await?.logo.is_none() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    rows::save_logo(&mut tx, actor.workspace_id(), None, actor.label(), now_ms()).await?;
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: None,
        actor: AuditActor::from(actor),
        action: AuditAction::BrandingLogoRemoved,
        target: "logo".to_owned(),
        detail: detail([]),
    };
    audit::append_tx(&mut tx, event, meta)
        .await
        .map_err(accounts_error)?;
    tx.commit().await?;
    Ok(())
}

/// The logo PNG with this SHA-256 (64 lower-case hex digits), if any
/// workspace uses it. Anything else is `None` without a query.
pub async fn logo_png(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, BrandingError> {
    let well_formed = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Ok(None);
    }
    Ok(rows::logo_png(db, sha256).await?)
}

fn accounts_error(e: AccountsError) -> BrandingError {
    BrandingError::Accounts(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<BrandingInput, BrandingError>) -> (&'static str, String) {
        match result {
            Err(BrandingError::Invalid { field, message }) => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_fields_clear_and_values_are_trimmed_and_normalised() {
        let input =
            BrandingInput::parse("  Acme  ", " #1F5FBF ", " https://acme.example/help ", "")
                .unwrap();
        assert_eq!(input.display_name.as_deref(), Some("Acme"));
        assert_eq!(input.accent.unwrap().to_string(), "#1f5fbf");
        assert_eq!(
            input.support_url.as_deref(),
            Some("https://acme.example/help")
        );
        assert_eq!(input.privacy_url, None);
        let empty = BrandingInput::parse("", "", "", "").unwrap();
        assert_eq!(empty.display_name, None);
        assert_eq!(empty.accent, None);
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let (f, m) = field_of(BrandingInput::parse(&"x".repeat(61), "", "", ""));
        assert_eq!(f, DISPLAY_NAME_FIELD);
        assert!(m.contains("at most 60") && m.contains("61"), "{m}");
        let (f, _) = field_of(BrandingInput::parse("A\tB", "", "", ""));
        assert_eq!(f, DISPLAY_NAME_FIELD);
        let (f, m) = field_of(BrandingInput::parse("", "purple", "", ""));
        assert_eq!(f, ACCENT_FIELD);
        assert!(m.contains("“purple”"), "{m}");
        let (f, m) = field_of(BrandingInput::parse("", "#ffee00", "", ""));
        assert_eq!(f, ACCENT_FIELD);
        assert!(m.contains(":1"), "{m}");
        for bad in [
            "javascript:alert(1)",
            "ftp://acme.example/",
            "data:text/html,hi",
            "acme.example/help",
            "https://",
            "mailto:help@acme.example",
        ] {
            let (f, m) = field_of(BrandingInput::parse("", "", bad, ""));
            assert_eq!(f, SUPPORT_URL_FIELD, "{bad}");
            assert!(m.contains("https://"), "{m}");
        }
        let (f, m) = field_of(BrandingInput::parse(
            "",
            "",
            "",
            "https://user:pw@acme.example/",
        ));
        assert_eq!(f, PRIVACY_URL_FIELD);
        assert!(m.contains("password"), "{m}");
        let long = format!("https://acme.example/{}", "a".repeat(500));
        let (f, m) = field_of(BrandingInput::parse("", "", "", &long));
        assert_eq!(f, PRIVACY_URL_FIELD);
        assert!(m.contains("at most 500"), "{m}");
    }

    #[test]
    fn the_end_user_sees_the_workspace_name_until_a_display_name_is_set() {
        assert_eq!(Branding::default().for_end_user("Acme").name, "Acme");
        let set = Branding {
            display_name: Some("Acme Studio".into()),
            ..Branding::default()
        };
        assert_eq!(set.for_end_user("Acme").name, "Acme Studio");
        assert_eq!(
            LogoRef {
                sha256: "ab".repeat(32),
                width: 1,
                height: 1
            }
            .path(),
            format!("/brand/logo/{}.png", "ab".repeat(32))
        );
    }
}
