//! The workspace's audit log, filtered and paged. Any member may read it.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::AuditView;

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
    use domain::accounts::audit::{self, AuditAction, AuditFilter};
    use domain::accounts::{EnvironmentId, OperatorId, members};

    let (state, me) = super::context::actor(&workspace).await?;
    let envs = super::context::environments(&state, &me).await?;
    let people = members::list(&state.db, &me).await?;
    let environment_id = match non_empty(environment) {
        None => None,
        // Only this workspace's environments: another tenant's id is not found.
        Some(raw) => Some(
            EnvironmentId::parse(&raw)
                .filter(|id| envs.iter().any(|e| &e.id == id))
                .ok_or(AppError::NotFound)?,
        ),
    };
    let actor_operator_id = match non_empty(actor) {
        None => None,
        // Only this workspace's members, for the same reason.
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
                    super::listing::quoted(&raw)
                ),
            )
        })?),
    };
    // A page link names the last event of the page before (`{created_at}_{id}`):
    // one that is garbled, or names no event of this workspace's log, is refused
    // before the log is read.
    let bad_link = || {
        AppError::invalid(
            "after",
            "This page link is not valid (it names no event in this workspace's audit log): start again from the newest events.",
        )
    };
    let after = match non_empty(after) {
        None => None,
        Some(raw) => {
            let cursor = ssr::parse_cursor(&raw).ok_or_else(bad_link)?;
            if !audit::cursor_exists(&state.db, &me, &cursor).await? {
                return Err(bad_link());
            }
            Some(cursor)
        }
    };
    let filter = AuditFilter {
        environment_id,
        actor_operator_id,
        action,
        after,
        limit: 0,
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

#[cfg(feature = "ssr")]
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::models::{AuditEntryView, format_utc};
    use domain::accounts::AuditEventId;
    use domain::accounts::audit::{AuditCursor, AuditEventRow};
    use domain::accounts::environments::EnvironmentRow;

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
