//! Environments as a pipeline: the drift view between two environments, the
//! plan of a promotion, and the promotion itself (owners and admins). Thin
//! over `domain::pipeline`, which never shows or copies a secret.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{DriftView, PlanView, PromotedView};

/// The form field that confirms a promotion with the target's name.
pub const CONFIRM_NAME: &str = "confirm_name";

/// Item keys travel in one field, a line each (no key holds a line break).
pub fn join_items(items: &[String]) -> String {
    items.join("\n")
}

#[cfg(feature = "ssr")]
fn split_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    items.dedup();
    items
}

/// The comparison of two environments, by their slugs.
#[server(endpoint = "environments/drift")]
pub async fn load_drift(
    workspace: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<DriftView, AppError> {
    let (state, actor) = super::context::actor(&workspace).await?;
    let (from, to) = pair(&state, &actor, from, to).await?;
    let drift = domain::pipeline::diff(&state, &actor, &from.id, &to.id)
        .await
        .map_err(ssr::error)?;
    Ok(ssr::drift_view(
        &drift,
        &from,
        &to,
        actor.role().can_configure(),
    ))
}

/// What promoting `items` (a line each) would change, drawn now. `compared_*`
/// are the versions of the comparison the items were chosen on.
#[server(endpoint = "environments/plan")]
pub async fn load_plan(
    workspace: String,
    from: Option<String>,
    to: Option<String>,
    items: String,
    #[server(default)] compared_from: Option<String>,
    #[server(default)] compared_to: Option<String>,
) -> Result<PlanView, AppError> {
    let (state, actor) = super::context::actor(&workspace).await?;
    let (from, to) = pair(&state, &actor, from, to).await?;
    let items = split_items(&items);
    let plan = domain::pipeline::plan(&state, actor.workspace_id(), &from.id, &to.id, &items)
        .await
        .map_err(ssr::error)?;
    let changed = compared_from.is_some_and(|v| v != plan.from.version)
        || compared_to.is_some_and(|v| v != plan.to.version);
    Ok(ssr::plan_view(
        &plan,
        &from,
        &to,
        changed,
        actor.role().can_configure(),
    ))
}

/// Copies `items` from `from` to `to` (environment ids) if neither side has
/// changed since the plan was drawn at `from_version` / `to_version`, once the
/// target's name is typed in `confirm_name`.
#[server(endpoint = "environments/promote")]
pub async fn promote_environment(
    workspace: String,
    from: String,
    to: String,
    items: String,
    from_version: String,
    to_version: String,
    confirm_name: String,
) -> Result<PromotedView, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::pipeline::PromoteRequest;
    let (state, actor) = super::context::actor(&workspace).await?;
    if !actor.role().can_configure() {
        return Err(AppError::Forbidden);
    }
    let from = EnvironmentId::parse(&from).ok_or(AppError::NotFound)?;
    let to = EnvironmentId::parse(&to).ok_or(AppError::NotFound)?;
    let request = PromoteRequest {
        from,
        to,
        items: split_items(&items),
        from_version,
        to_version,
        confirm: Some(confirm_name),
    };
    let promoted =
        domain::pipeline::promote(&state, &actor, request, &super::request::request_meta())
            .await
            .map_err(ssr::error)?;
    let environments = super::context::environments(&state, &actor).await?;
    let slug = |id: &domain::accounts::EnvironmentId| {
        environments
            .iter()
            .find(|e| &e.id == id)
            .map(|e| e.slug.clone())
            .unwrap_or_default()
    };
    let (from_slug, to_slug) = (slug(&promoted.plan.from.id), slug(&promoted.plan.to.id));
    let view = PromotedView {
        to_name: promoted.plan.to.name.clone(),
        changes: promoted.plan.changes.len(),
        secrets_needed: promoted.plan.secrets_needed.clone(),
        compare_url: format!("/w/{workspace}/environments/compare?from={from_slug}&to={to_slug}"),
    };
    if super::request::is_plain_form_post() {
        let mut notices = vec![promoted_notice(&view)];
        notices.extend(view.secrets_needed.iter().cloned());
        super::flash::tell(&notices).await?;
        leptos_axum::redirect(&view.compare_url);
    }
    Ok(view)
}

/// What the page says once a promotion is written.
pub fn promoted_notice(view: &PromotedView) -> String {
    let noun = if view.changes == 1 {
        "change"
    } else {
        "changes"
    };
    format!("Promoted {} {noun} to {}.", view.changes, view.to_name)
}

#[cfg(feature = "ssr")]
async fn pair(
    state: &domain::Services,
    actor: &domain::accounts::Actor,
    from: Option<String>,
    to: Option<String>,
) -> Result<
    (
        domain::accounts::environments::EnvironmentRow,
        domain::accounts::environments::EnvironmentRow,
    ),
    AppError,
> {
    let (Some(from), Some(to)) = (from.filter(|s| !s.is_empty()), to.filter(|s| !s.is_empty()))
    else {
        return Err(AppError::invalid(
            "from",
            "Choose two environments to compare.",
        ));
    };
    let from = super::context::environment(state, actor, &from).await?;
    let to = super::context::environment(state, actor, &to).await?;
    if from.id == to.id {
        return Err(AppError::invalid(
            "to",
            "Choose two different environments: an environment is always equal to itself.",
        ));
    }
    Ok((from, to))
}

#[cfg(feature = "ssr")]
mod ssr {
    use domain::accounts::environments::EnvironmentRow;
    use domain::pipeline::{Drift, Newer, PipelineError, Plan, Row, Section};

    use crate::errors::AppError;
    use crate::models::{
        ChangeView, DriftRowView, DriftSectionView, DriftView, PlanView, SideView, format_utc,
    };

    pub fn error(e: PipelineError) -> AppError {
        match e {
            PipelineError::NotFound => AppError::NotFound,
            PipelineError::Forbidden => AppError::Forbidden,
            PipelineError::Confirmation(_) => AppError::invalid(super::CONFIRM_NAME, e.to_string()),
            PipelineError::Db(e) => e.into(),
            PipelineError::Crypto(e) => {
                tracing::error!(error = %e, "a stored secret could not be opened for the drift view");
                AppError::Internal
            }
            other => AppError::Refused(other.to_string()),
        }
    }

    fn side(env: &EnvironmentRow, version: &str) -> SideView {
        SideView {
            id: env.id.to_string(),
            name: env.name.clone(),
            slug: env.slug.clone(),
            version: version.to_owned(),
        }
    }

    fn provenance(row: &Row, from: &str, to: &str) -> Option<String> {
        let (name, s) = match (row.newer?, &row.from, &row.to) {
            (Newer::From | Newer::Same, Some(s), _) => (from, s),
            (Newer::To, _, Some(s)) | (_, None, Some(s)) => (to, s),
            _ => return None,
        };
        let only = row.from.is_none() || row.to.is_none();
        let lead = if only {
            format!("Only in {name}")
        } else if row.newer == Some(Newer::Same) {
            "Changed at the same time".to_owned()
        } else {
            format!("Newer in {name}")
        };
        Some(format!(
            "{lead}: changed by {} on {}",
            s.changed_by,
            format_utc(s.changed_at)
        ))
    }

    fn row_view(row: &Row, from: &str, to: &str) -> DriftRowView {
        DriftRowView {
            key: row.key.clone(),
            label: row.label.clone(),
            from: row.from.as_ref().map(|s| s.value.clone()),
            to: row.to.as_ref().map(|s| s.value.clone()),
            provenance: provenance(row, from, to),
            not_copyable: row.not_copyable.clone(),
        }
    }

    const SECTIONS: [Section; 5] = [
        Section::Pinterest,
        Section::ReturnOrigins,
        Section::Webhooks,
        Section::ApiKeys,
        Section::AgentSignIn,
    ];

    pub fn drift_view(
        drift: &Drift,
        from: &EnvironmentRow,
        to: &EnvironmentRow,
        can_promote: bool,
    ) -> DriftView {
        let sections = SECTIONS
            .iter()
            .map(|section| {
                let rows = drift.rows.iter().filter(|r| r.section == *section);
                let (equal, differences): (Vec<&Row>, Vec<&Row>) = rows.partition(|r| r.equal);
                DriftSectionView {
                    label: section.label().to_owned(),
                    differences: differences
                        .into_iter()
                        .map(|r| row_view(r, &from.name, &to.name))
                        .collect(),
                    equal: equal
                        .into_iter()
                        .map(|r| row_view(r, &from.name, &to.name))
                        .collect(),
                }
            })
            .collect();
        DriftView {
            from: side(from, &drift.from.version),
            to: side(to, &drift.to.version),
            sections,
            difference_count: drift.differences().count(),
            can_promote,
            hidden: drift.hidden.iter().map(|s| s.label().to_owned()).collect(),
        }
    }

    pub fn plan_view(
        plan: &Plan,
        from: &EnvironmentRow,
        to: &EnvironmentRow,
        changed_since_compared: bool,
        can_promote: bool,
    ) -> PlanView {
        PlanView {
            from: side(from, &plan.from.version),
            to: side(to, &plan.to.version),
            changes: plan
                .changes
                .iter()
                .map(|c| ChangeView {
                    key: c.key.clone(),
                    section: c.section.label().to_owned(),
                    label: c.label.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect(),
            secrets_needed: plan.secrets_needed.clone(),
            changed_since_compared,
            can_promote,
        }
    }
}
