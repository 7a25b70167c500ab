//! `workspace_branding`: how a workspace appears to its end users.

use crate::accounts::WorkspaceId;
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

/// A workspace's branding without the logo's bytes.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct BrandingRow {
    pub display_name: Option<String>,
    pub accent_color: Option<String>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
    pub logo_sha256: Option<String>,
    pub logo_width: Option<i32>,
    pub logo_height: Option<i32>,
    pub updated_by: String,
    pub updated_at: i64,
}

/// The fields an operator types (the logo is set on its own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrandingFields {
    pub display_name: Option<String>,
    pub accent_color: Option<String>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
}

/// A logo as stored: pinbridge's PNG, its size and SHA-256.
pub struct LogoColumns<'a> {
    pub png: &'a [u8],
    pub sha256: &'a str,
    pub width: i32,
    pub height: i32,
}

pub async fn find(db: &Db, workspace: &WorkspaceId) -> Result<Option<BrandingRow>, DbError> {
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, BrandingRow>(
            "select display_name, accent_color, support_url, privacy_url, logo_sha256, \
             logo_width, logo_height, updated_by, updated_at \
             from workspace_branding where workspace_id = $1",
        )
        .bind(workspace)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

/// Writes the typed fields, creating the row on first use (the logo is kept).
pub async fn save_fields(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    fields: &BrandingFields,
    by: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into workspace_branding \
             (workspace_id, display_name, accent_color, support_url, privacy_url, updated_by, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7) \
             on conflict (workspace_id) do update set display_name = excluded.display_name, \
             accent_color = excluded.accent_color, support_url = excluded.support_url, \
             privacy_url = excluded.privacy_url, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace)
        .bind(&fields.display_name)
        .bind(&fields.accent_color)
        .bind(&fields.support_url)
        .bind(&fields.privacy_url)
        .bind(by)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Sets (or, with `None`, removes) the logo, creating the row on first use.
pub async fn save_logo(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    logo: Option<LogoColumns<'_>>,
    by: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    let (png, sha256, width, height) = match &logo {
        Some(l) => (Some(l.png), Some(l.sha256), Some(l.width), Some(l.height)),
        None => (None, None, None, None),
    };
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into workspace_branding \
             (workspace_id, logo_png, logo_sha256, logo_width, logo_height, updated_by, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7) \
             on conflict (workspace_id) do update set logo_png = excluded.logo_png, \
             logo_sha256 = excluded.logo_sha256, logo_width = excluded.logo_width, \
             logo_height = excluded.logo_height, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace)
        .bind(png)
        .bind(sha256)
        .bind(width)
        .bind(height)
        .bind(by)
        .bind(now_ms)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The PNG with this SHA-256, whichever workspace uses it (the same bytes).
pub async fn logo_png(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, DbError> {
    let png = on_pool!(db, pool => {
        sqlx::query_scalar::<_, Vec<u8>>(
            "select logo_png from workspace_branding where logo_sha256 = $1 and logo_png is not null limit 1",
        )
        .bind(sha256)
        .fetch_optional(pool)
        .await
    })?;
    Ok(png)
}
