//! A workspace's branding: what its end users see on the connect and callback
//! pages. Every member reads it; owners and admins change it (the domain
//! checks the role).

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::errors::AppError;
use crate::models::BrandingView;

/// What the page says after the name, colour and links were saved.
pub const SAVED_NOTICE: &str = "Branding saved: your end users see it on their next page.";
/// What the page says after the logo was removed.
pub const LOGO_REMOVED_NOTICE: &str = "Logo removed.";

#[server(endpoint = "branding/view")]
pub async fn load_branding(workspace: String) -> Result<BrandingView, AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    let branding = domain::branding::of_workspace(&services.db, actor.workspace_id()).await?;
    let workspace_name =
        domain::branding::workspace_name(&services.db, actor.workspace_id()).await?;
    Ok(super::views::branding_view(
        workspace_name,
        branding,
        actor.role().can_configure(),
    ))
}

/// Saves the name, accent colour and links. Empty fields clear what they set.
#[server(endpoint = "branding/save")]
pub async fn save_branding(
    workspace: String,
    #[server(default)] display_name: String,
    #[server(default)] accent_color: String,
    #[server(default)] support_url: String,
    #[server(default)] privacy_url: String,
) -> Result<(), AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    let input = domain::branding::BrandingInput::parse(
        &display_name,
        &accent_color,
        &support_url,
        &privacy_url,
    )?;
    domain::branding::save(
        &services.db,
        &actor,
        &input,
        &super::request::request_meta(),
    )
    .await?;
    super::flash::tell(&[SAVED_NOTICE.to_owned()]).await?;
    Ok(())
}

/// Replaces the logo: a form post of `multipart/form-data` with the fields
/// `workspace` and `logo` (a PNG, JPEG or WebP file of up to 256 KB). The
/// file is read here at most one byte past the limit, and decoded and written
/// again as PNG off the async threads.
#[server(endpoint = "branding/logo", input = MultipartFormData)]
pub async fn upload_logo(data: MultipartData) -> Result<(), AppError> {
    // Nobody's file is read before their sign-in is known (the workspace, and
    // so the membership, is a field of the form itself).
    super::context::signed_in().await?;
    let upload = read_upload(data).await?;
    let (services, actor) = super::context::actor(&upload.workspace).await?;
    actor.require_configure().map_err(AppError::from)?;
    let logo = tokio::task::spawn_blocking(move || {
        domain::branding::Logo::from_upload(
            &upload.bytes,
            upload.content_type.as_deref(),
            upload.file_name.as_deref(),
        )
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "the logo could not be read");
        AppError::Internal
    })?
    .map_err(|p| AppError::invalid(domain::branding::LOGO_FIELD, p.to_string()))?;
    domain::branding::set_logo(&services.db, &actor, &logo, &super::request::request_meta())
        .await?;
    super::flash::tell(&[format!(
        "Logo saved ({} × {} pixels, as pinbridge re-encoded it).",
        logo.width, logo.height
    )])
    .await?;
    Ok(())
}

#[server(endpoint = "branding/remove-logo")]
pub async fn remove_logo(workspace: String) -> Result<(), AppError> {
    let (services, actor) = super::context::actor(&workspace).await?;
    domain::branding::remove_logo(&services.db, &actor, &super::request::request_meta()).await?;
    super::flash::tell(&[LOGO_REMOVED_NOTICE.to_owned()]).await?;
    Ok(())
}

/// What the logo form sent.
#[cfg(feature = "ssr")]
struct Upload {
    workspace: String,
    bytes: Vec<u8>,
    content_type: Option<String>,
    file_name: Option<String>,
}

/// Reads the logo form's fields; the file is refused as soon as it passes
/// the limit, so an oversized upload is never held whole.
#[cfg(feature = "ssr")]
async fn read_upload(data: MultipartData) -> Result<Upload, AppError> {
    use domain::branding::{LOGO_FIELD, logo::MAX_UPLOAD_BYTES};
    let malformed = || AppError::Request("the form's data could not be read".into());
    let mut multipart = data.into_inner().ok_or_else(malformed)?;
    let mut workspace = None;
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| malformed())? {
        match field.name() {
            Some("workspace") if workspace.is_none() => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
                    text.extend_from_slice(&chunk);
                    if text.len() > 256 {
                        return Err(malformed());
                    }
                }
                workspace = Some(String::from_utf8(text).map_err(|_| malformed())?);
            }
            Some("logo") if file.is_none() => {
                let content_type = field.content_type().map(|m| m.essence_str().to_owned());
                let file_name = field.file_name().map(|n| n.chars().take(200).collect());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_UPLOAD_BYTES {
                        // Refused before the rest is read: its whole size is not known.
                        return Err(AppError::invalid(
                            LOGO_FIELD,
                            "This file is larger than 256 KB, the most a logo can be.",
                        ));
                    }
                }
                file = Some((bytes, content_type, file_name));
            }
            _ => return Err(malformed()),
        }
    }
    let workspace = workspace.ok_or_else(malformed)?;
    let (bytes, content_type, file_name) = file.unwrap_or_default();
    Ok(Upload {
        workspace,
        bytes,
        content_type,
        file_name,
    })
}

/// Middleware: a post to the logo form that is not `multipart/form-data`
/// with a boundary is answered 400 here. Leptos' multipart decoding panics
/// on one (a 500 for a client's mistake).
#[cfg(feature = "ssr")]
pub async fn refuse_malformed_uploads(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use leptos::server_fn::ServerFn;
    if request.uri().path() == UploadLogo::PATH {
        let boundary = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(multer::parse_boundary);
        if !matches!(boundary, Some(Ok(_))) {
            return (
                http::StatusCode::BAD_REQUEST,
                "The logo form must be sent as multipart/form-data (with a boundary).",
            )
                .into_response();
        }
    }
    next.run(request).await
}
