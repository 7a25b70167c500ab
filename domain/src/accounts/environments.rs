//! A workspace's environments: listing, adding, renaming and deleting them.
//! Admins and owners change them; names are unique in the workspace regardless
//! of case, and so are the URL slugs derived from them.

use super::access::Actor;
use super::audit::{self, AuditAction, NewAuditEvent, RequestMeta, detail};
use super::error::AccountsError;
use super::ids::{EnvironmentId, WorkspaceId};
use super::names::EnvironmentName;
use crate::db::repo::environments as rows;
pub use crate::db::repo::environments::EnvironmentRow;
use crate::db::tx::Tx;
use crate::db::{Db, now_ms};

/// Inserts an environment, answering `EnvironmentNameTaken` or
/// `EnvironmentSlugTaken` when the workspace already uses the name or its slug.
pub(crate) async fn insert_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    name: &EnvironmentName,
    now: i64,
) -> Result<EnvironmentRow, AccountsError> {
    if rows::name_taken(tx, workspace_id, &name.folded(), None).await? {
        return Err(AccountsError::EnvironmentNameTaken);
    }
    let row = EnvironmentRow {
        id: EnvironmentId::generate(),
        workspace_id: workspace_id.clone(),
        name: name.as_str().to_owned(),
        slug: name.slug(),
        created_at: now,
    };
    // The name was free a moment ago, so a violation now is the slug (or a
    // concurrent insert of the same name, for which this answer is fair too).
    rows::insert(tx, &row, &name.folded()).await.map_err(|e| {
        AccountsError::unique_or(
            e,
            AccountsError::EnvironmentSlugTaken {
                slug: row.slug.clone(),
            },
        )
    })?;
    Ok(row)
}

/// The actor's workspace's environments, oldest first.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<EnvironmentRow>, AccountsError> {
    Ok(rows::list(db, actor.workspace_id()).await?)
}

pub async fn find(
    db: &Db,
    actor: &Actor,
    id: &EnvironmentId,
) -> Result<EnvironmentRow, AccountsError> {
    rows::find(db, actor.workspace_id(), id)
        .await?
        .ok_or(AccountsError::NotFound)
}

/// The environment named by a URL segment (`/w/{workspace}/e/{slug}/…`).
pub async fn find_by_slug(
    db: &Db,
    actor: &Actor,
    slug: &str,
) -> Result<EnvironmentRow, AccountsError> {
    rows::find_by_slug(db, actor.workspace_id(), slug)
        .await?
        .ok_or(AccountsError::NotFound)
}

pub async fn add(
    db: &Db,
    actor: &Actor,
    name: &EnvironmentName,
    meta: &RequestMeta,
) -> Result<EnvironmentRow, AccountsError> {
    actor.require_configure()?;
    let mut tx = db.begin().await?;
    let row = insert_tx(&mut tx, actor.workspace_id(), name, now_ms()).await?;
    let event = NewAuditEvent {
        workspace_id: actor.workspace_id().clone(),
        environment_id: Some(row.id.clone()),
        actor: actor.into(),
        action: AuditAction::EnvironmentCreated,
        target: row.name.clone(),
        detail: detail([("slug", row.slug.clone().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(row)
}

/// Renames an environment. Its slug follows the new name, so links that used
/// the old slug stop resolving.
pub async fn rename(
    db: &Db,
    actor: &Actor,
    id: &EnvironmentId,
    name: &EnvironmentName,
    meta: &RequestMeta,
) -> Result<EnvironmentRow, AccountsError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = db.begin().await?;
    let before = rows::find_tx(&mut tx, ws, id)
        .await?
        .ok_or(AccountsError::NotFound)?;
    if rows::name_taken(&mut tx, ws, &name.folded(), Some(id)).await? {
        return Err(AccountsError::EnvironmentNameTaken);
    }
    let slug = name.slug();
    rows::rename(&mut tx, ws, id, name.as_str(), &name.folded(), &slug)
        .await
        .map_err(|e| {
            AccountsError::unique_or(
                e,
                AccountsError::EnvironmentSlugTaken { slug: slug.clone() },
            )
        })?;
    let event = NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: Some(id.clone()),
        actor: actor.into(),
        action: AuditAction::EnvironmentRenamed,
        target: name.as_str().to_owned(),
        detail: detail([("from", before.name.clone().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(EnvironmentRow {
        name: name.as_str().to_owned(),
        slug,
        ..before
    })
}

/// Deletes an environment once `typed_name` repeats its name exactly.
///
/// Deletion is refused while the environment has connections that hold tokens;
/// they are counted inside the transaction.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    id: &EnvironmentId,
    typed_name: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    actor.require_configure()?;
    let ws = actor.workspace_id();
    let mut tx = db.begin().await?;
    let env = rows::find_tx(&mut tx, ws, id)
        .await?
        .ok_or(AccountsError::NotFound)?;
    if typed_name.trim() != env.name {
        return Err(AccountsError::EnvironmentConfirmationMismatch);
    }
    let live = crate::db::repo::connections::count_live_tx(&mut tx, ws, id).await?;
    let connections = u64::try_from(live).unwrap_or(0);
    if connections > 0 {
        return Err(AccountsError::EnvironmentInUse { connections });
    }
    if rows::count(&mut tx, ws).await? <= 1 {
        return Err(AccountsError::LastEnvironment);
    }
    rows::delete(&mut tx, ws, id).await?;
    let event = NewAuditEvent {
        workspace_id: ws.clone(),
        environment_id: Some(id.clone()),
        actor: actor.into(),
        action: AuditAction::EnvironmentDeleted,
        target: env.name.clone(),
        detail: detail([("slug", env.slug.clone().into())]),
    };
    audit::append_tx(&mut tx, event, meta).await?;
    tx.commit().await?;
    Ok(())
}
