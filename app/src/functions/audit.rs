//! The workspace's audit log, filtered and paged, and taken out. Any member
//! may read it and export it (`export_scope`, for the server's download
//! route); owners alone see and manage the workspace keys that read it over
//! the API (`GET /v1/audit-events`). A new key's text is answered once, by
//! the function that made it, and without JavaScript shown by the one page
//! load after it.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{AuditView, IssuedApiKey, WorkspaceKeysView};

/// One page of the log, newest first. Filters are optional: an environment id,
/// an operator id, an action name; `after` is the cursor from the previous page.
#[server(endpoint = "audit/list")]
pub async fn load_audit(
    workspace: String,
    #[server(default)] environment: Option<String>,
    #[server(default)] actor: Option<String>,
    #[server(default)] action: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<AuditView, AppError> {
    use crate::models::FilterOption;
    use domain::accounts::audit::{self, AuditAction};
    use domain::accounts::members;

    let (state, me) = super::context::actor(&workspace).await?;
    let envs = super::context::environments(&state, &me).await?;
    let people = members::list(&state.db, &me).await?;
    let mut filter = ssr::filter_of(&envs, &people, environment, actor, action)?;
    // A page link names the last event of the page before (`{created_at}_{id}`):
    // one that is garbled, or names no event of this workspace's log, is refused
    // before the log is read.
    let bad_link = || {
        AppError::invalid(
            "after",
            "This page link is not valid (it names no event in this workspace's audit log): start again from the newest events.",
        )
    };
    filter.after = match non_empty(after) {
        None => None,
        Some(raw) => {
            let cursor = ssr::parse_cursor(&raw).ok_or_else(bad_link)?;
            if !audit::cursor_exists(&state.db, &me, &cursor).await? {
                return Err(bad_link());
            }
            Some(cursor)
        }
    };
    let page = audit::list(&state.db, &me, &filter).await?;
    let entries = page
        .events
        .into_iter()
        .map(|row| ssr::entry_view(row, &envs))
        .collect();
    Ok(AuditView {
        entries,
        next: page.next.map(|c| format!("{}_{}", c.created_at, c.id)),
        environments: envs
            .iter()
            .map(|e| FilterOption {
                value: e.id.to_string(),
                label: e.name.clone(),
            })
            .collect(),
        actors: people
            .iter()
            .map(|m| FilterOption {
                value: m.operator_id.to_string(),
                label: m.email.clone(),
            })
            .collect(),
        actions: AuditAction::ALL
            .iter()
            .map(|a| FilterOption {
                value: a.as_str().to_owned(),
                label: a.as_str().to_owned(),
            })
            .collect(),
    })
}

/// The "Workspace audit keys" card: the workspace's keys for owners, `None`
/// for every other role (they neither see nor manage the keys).
#[server(endpoint = "audit/workspace-keys")]
pub async fn load_workspace_keys(workspace: String) -> Result<Option<WorkspaceKeysView>, AppError> {
    use domain::accounts::Role;
    use domain::api::workspace_keys;
    let (app, me) = super::context::actor(&workspace).await?;
    if me.role() != Role::Owner {
        return Ok(None);
    }
    let rows = workspace_keys::list(&app.db, &me).await?;
    Ok(Some(WorkspaceKeysView {
        keys: rows.iter().map(ssr::workspace_key_view).collect(),
        issued: kept::shown(&app),
        notices: super::flash::notices(),
        now: domain::db::now_ms(),
    }))
}

/// "New workspace key" (owners): answers the key's text, which is not stored
/// anywhere.
#[server(endpoint = "audit/workspace-keys/create")]
pub async fn create_workspace_key(
    workspace: String,
    #[server(default)] name: String,
) -> Result<IssuedApiKey, AppError> {
    use domain::api::workspace_keys;
    let (app, me) = super::context::actor(&workspace).await?;
    let created =
        workspace_keys::create(&app.db, &me, &name, &super::request::request_meta()).await?;
    kept::answer(&app, kept::issued(&created)).await
}

/// "Revoke" (owners): the key stops working at once.
#[server(endpoint = "audit/workspace-keys/revoke")]
pub async fn revoke_workspace_key(workspace: String, key_id: String) -> Result<String, AppError> {
    use crate::models::visible_key;
    use domain::api::workspace_keys::{self, WorkspaceKeyId};
    let (app, me) = super::context::actor(&workspace).await?;
    let id = WorkspaceKeyId::parse(&key_id).ok_or(AppError::NotFound)?;
    let row = workspace_keys::revoke(&app.db, &me, &id, &super::request::request_meta())
        .await
        .map_err(|e| AppError::from(e).for_row(id.as_str()))?;
    let notice = format!(
        "Revoked \u{201c}{}\u{201d} ({}): requests with it are refused from now on.",
        row.name,
        visible_key(&row.prefix, &row.last_four)
    );
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

#[cfg(feature = "ssr")]
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(feature = "ssr")]
pub use ssr::{ExportScope, export_scope};

#[cfg(feature = "ssr")]
mod ssr {
    use tower_sessions::Session;

    use super::non_empty;
    use crate::errors::AppError;
    use crate::models::{AuditEntryView, WorkspaceKeyView, format_utc};
    use domain::Services;
    use domain::accounts::audit::{AuditAction, AuditCursor, AuditEventRow, AuditFilter};
    use domain::accounts::environments::EnvironmentRow;
    use domain::accounts::members::{self, MemberRow};
    use domain::accounts::{self, Actor, AuditEventId, EnvironmentId, OperatorId, WorkspaceId};
    use domain::api::workspace_keys::WorkspaceKeyRow;

    /// Longest cursor `load_audit` hands out: 20 digits, `_`, a UUID.
    const CURSOR_MAX: usize = 60;

    /// `"{created_at}_{id}"`, as `load_audit` hands it out.
    pub fn parse_cursor(raw: &str) -> Option<AuditCursor> {
        if raw.len() > CURSOR_MAX {
            return None;
        }
        let (at, id) = raw.split_once('_')?;
        Some(AuditCursor {
            created_at: at.parse().ok()?,
            id: AuditEventId::parse(id)?,
        })
    }

    /// The page's filters, checked: an environment and an actor of this
    /// workspace only (another tenant's id is not found, as an unknown one
    /// is), an action by its exact name. The first page; the caller sets
    /// where a later one starts.
    pub fn filter_of(
        envs: &[EnvironmentRow],
        people: &[MemberRow],
        environment: Option<String>,
        actor: Option<String>,
        action: Option<String>,
    ) -> Result<AuditFilter, AppError> {
        let environment_id = match non_empty(environment) {
            None => None,
            Some(raw) => Some(
                EnvironmentId::parse(&raw)
                    .filter(|id| envs.iter().any(|e| &e.id == id))
                    .ok_or(AppError::NotFound)?,
            ),
        };
        let actor_operator_id = match non_empty(actor) {
            None => None,
            Some(raw) => Some(
                OperatorId::parse(&raw)
                    .filter(|id| people.iter().any(|m| &m.operator_id == id))
                    .ok_or(AppError::NotFound)?,
            ),
        };
        let action = match non_empty(action) {
            None => None,
            Some(raw) => Some(AuditAction::parse(&raw).ok_or_else(|| {
                AppError::invalid(
                    "action",
                    format!(
                        "“{}” is not an action in the audit log: choose one from the list.",
                        crate::functions::listing::quoted(&raw)
                    ),
                )
            })?),
        };
        Ok(AuditFilter {
            environment_id,
            actor_operator_id,
            action,
            after: None,
            limit: 0,
        })
    }

    /// Who exports a workspace's log, and which records: a signed-in member
    /// of any role (whoever reads the page may take it out) and the page's
    /// own filter, checked as the page checks it.
    pub struct ExportScope {
        pub actor: Actor,
        pub filter: AuditFilter,
        /// The workspace's environments, to name each record's.
        pub environments: Vec<EnvironmentRow>,
        pub workspace_name: String,
    }

    /// [`ExportScope`] for a request outside Leptos (the server's download
    /// route, under the portal's session layer): the same checks as every
    /// server function of the page makes, each refused the same way.
    pub async fn export_scope(
        services: &Services,
        session: &Session,
        workspace: &str,
        environment: Option<String>,
        actor: Option<String>,
        action: Option<String>,
    ) -> Result<ExportScope, AppError> {
        use crate::functions::context::{
            TWO_FACTOR_REQUIRED, two_factor_missing_in, verify_session,
        };
        let (operator, _) = verify_session(services, session)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let workspace_id = WorkspaceId::parse(workspace).ok_or(AppError::NotFound)?;
        let me = accounts::actor_in(&services.db, &workspace_id, &operator).await?;
        if two_factor_missing_in(services, &workspace_id, &operator, None).await? {
            return Err(AppError::Refused(TWO_FACTOR_REQUIRED.to_owned()));
        }
        let environments = accounts::environments::list(&services.db, &me).await?;
        let people = members::list(&services.db, &me).await?;
        let filter = filter_of(&environments, &people, environment, actor, action)?;
        let workspace_name = accounts::workspaces::of_operator(&services.db, &operator)
            .await?
            .into_iter()
            .find(|w| w.id == workspace_id)
            .map(|w| w.name)
            .unwrap_or_default();
        Ok(ExportScope {
            actor: me,
            filter,
            environments,
            workspace_name,
        })
    }

    pub fn entry_view(row: AuditEventRow, envs: &[EnvironmentRow]) -> AuditEntryView {
        let environment = row.environment_id.as_ref().map(|id| {
            envs.iter()
                .find(|e| &e.id == id)
                .map_or_else(|| "a deleted environment".to_owned(), |e| e.name.clone())
        });
        let detail =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.detail)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Number(n) if k.ends_with("_at") => {
                            n.as_i64().map_or_else(|| n.to_string(), format_utc)
                        }
                        other => other.to_string(),
                    };
                    (k, shown)
                })
                .collect();
        AuditEntryView {
            id: row.id.to_string(),
            at: row.created_at,
            actor: row.actor_label,
            action: row.action,
            target: row.target,
            environment,
            ip: row.ip,
            user_agent: row.user_agent,
            detail,
        }
    }

    pub fn workspace_key_view(row: &WorkspaceKeyRow) -> WorkspaceKeyView {
        WorkspaceKeyView {
            id: row.id.to_string(),
            name: row.name.clone(),
            prefix: row.prefix.clone(),
            last_four: row.last_four.clone(),
            created_by: row.created_by.clone(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            revoked_by: row.revoked_by.clone(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::parse_cursor;

        #[test]
        fn cursors_parse_only_in_their_own_shape() {
            let id = domain::accounts::AuditEventId::generate();
            let cursor = parse_cursor(&format!("1700000000000_{id}")).unwrap();
            assert_eq!(cursor.created_at, 1_700_000_000_000);
            assert_eq!(cursor.id, id);
            assert!(parse_cursor("nope").is_none());
            assert!(parse_cursor("12_not-a-uuid").is_none());
            assert!(parse_cursor(&format!("x_{id}")).is_none());
        }
    }
}

/// A new workspace key's text on its way to the page: in the answer, or (a
/// form sent without JavaScript) sealed in the flash until the page load
/// that shows it. It waits in the flash's slot for a new key, which the API
/// keys page uses for its own: sealed for another column, neither page can
/// open the other's, and each shows only its own kind.
#[cfg(feature = "ssr")]
mod kept {
    use domain::Services;
    use domain::api::workspace_keys::{CreatedWorkspaceKey, PREFIX};

    use crate::errors::AppError;
    use crate::functions::api_keys::kept::{answer_as, shown_as};
    use crate::models::IssuedApiKey;

    /// The flash column a workspace key is sealed for.
    const COLUMN: &str = "flash_workspace_key";

    pub fn issued(created: &CreatedWorkspaceKey) -> IssuedApiKey {
        IssuedApiKey {
            id: created.row.id.to_string(),
            name: created.row.name.clone(),
            key: created.expose().to_owned(),
            prefix: created.row.prefix.clone(),
            last_four: created.row.last_four.clone(),
            expires_at: None,
            replaces: None,
        }
    }

    pub async fn answer(
        services: &Services,
        issued: IssuedApiKey,
    ) -> Result<IssuedApiKey, AppError> {
        answer_as(services, issued, COLUMN).await
    }

    /// Only a workspace key: the API keys page's new key waits in the same slot.
    pub fn shown(services: &Services) -> Option<IssuedApiKey> {
        shown_as(services, COLUMN, |kept| kept.issued.prefix == PREFIX)
    }
}
