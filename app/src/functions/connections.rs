//! [Environment] → Connections: end users' Pinterest connections. Members read
//! them; admins and owners make connect links, check, refresh and disconnect.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{ConnectionDetailView, ConnectionsPageView, IssuedConnectLink};

/// The Connections page: counts per state, one page of the filtered list, the
/// latest "Check all" and the allowed return origins.
#[server(endpoint = "connections/view")]
pub async fn load_connections(
    workspace: String,
    environment: String,
    #[server(default)] state: Option<String>,
    #[server(default)] search: Option<String>,
    #[server(default)] page: Option<i64>,
) -> Result<ConnectionsPageView, AppError> {
    use crate::domain::accounts::environments;
    use crate::domain::connections::{Health, portal};
    use crate::domain::db::repo::pinterest_settings;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = environments::find_by_slug(&app.db, &actor, &environment).await?;
    let health = state
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            Health::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "state",
                    "Filter by one of: active, degraded, needs_reauth, insufficient_scope, revoked.",
                )
            })
        })
        .transpose()?;
    let page = page.unwrap_or(1).clamp(1, 1_000_000);
    let listed = portal::list(&app.db, &actor, &env.id, health, search.clone(), page).await?;
    let ready = pinterest_settings::find(&app.db, actor.workspace_id(), &env.id)
        .await?
        .is_some_and(|s| s.enabled);
    Ok(ConnectionsPageView {
        can_configure: actor.role().can_configure(),
        integration_ready: ready,
        counts: ssr::counts_view(&listed.counts),
        rows: listed.rows.iter().map(ssr::row_view).collect(),
        matching: listed.total,
        page,
        page_size: portal::PAGE_SIZE,
        filter_state: health.map(|h| h.as_str().to_owned()),
        search: search
            .unwrap_or_default()
            .trim()
            .chars()
            .take(100)
            .collect(),
        check_all: listed.run.map(|r| crate::models::CheckAllView {
            started_by: r.run.started_by,
            started_at: r.run.started_at,
            total: r.run.total,
            done: r.done.min(r.run.total),
        }),
        return_origins: listed.origins,
        issued_link: super::flash::with_current(|f| f.connect_link.clone()),
        notices: super::flash::notices(),
        environment: super::workspaces::ssr::environment_view(env),
    })
}

/// "New connect link": a single-use link for one end user, valid 30 minutes.
#[server(endpoint = "connections/link")]
pub async fn create_connect_link(
    workspace: String,
    environment_id: String,
    end_user_id: String,
    #[server(default)] display_name: String,
    #[server(default)] return_url: String,
) -> Result<IssuedConnectLink, AppError> {
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::connections::links::{self, LinkInput};
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let input = LinkInput::parse(&end_user_id, &display_name, &return_url)?;
    let created = links::create(
        &app.db,
        &actor,
        &environment_id,
        input,
        &app.config.public_url,
        &super::context::request_meta(),
    )
    .await?;
    let issued = IssuedConnectLink {
        url: created.url,
        end_user_id: created.end_user_id,
        expires_at: created.expires_at,
    };
    if super::context::is_plain_form_post() {
        let kept = issued.clone();
        super::flash::put(&super::context::session().await?, move |f| {
            f.connect_link = Some(kept)
        })
        .await?;
    }
    Ok(issued)
}

/// Replaces the environment's allowed return origins (one per line).
#[server(endpoint = "connections/origins")]
pub async fn save_return_origins(
    workspace: String,
    environment_id: String,
    #[server(default)] origins: String,
) -> Result<Vec<String>, AppError> {
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::connections::links;
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let parsed = links::parse_origins(&origins)?;
    let saved = links::set_origins(
        &app.db,
        &actor,
        &environment_id,
        parsed,
        &super::context::request_meta(),
    )
    .await?;
    super::pinterest::ssr::tell(&["Allowed return origins saved.".to_owned()]).await?;
    Ok(saved)
}

/// "Check all": every connection in the environment is probed, by the
/// schedulers of all pinbridge processes; the page shows the progress.
#[server(endpoint = "connections/check-all")]
pub async fn check_all_connections(
    workspace: String,
    environment_id: String,
) -> Result<i64, AppError> {
    use crate::domain::accounts::EnvironmentId;
    use crate::domain::connections::{portal, scheduler};
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let total = portal::check_all(
        &app.db,
        &actor,
        &environment_id,
        &super::context::request_meta(),
    )
    .await?;
    // Start at once here rather than at the next scheduler tick.
    let worker = app.clone();
    tokio::spawn(async move {
        loop {
            match scheduler::run_round(&worker, scheduler::BATCH).await {
                Ok(r) if r.probed > 0 => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "check all: a round failed");
                    break;
                }
            }
        }
    });
    let noun = if total == 1 {
        "connection"
    } else {
        "connections"
    };
    super::pinterest::ssr::tell(&[format!("Checking {total} {noun}…")]).await?;
    Ok(total)
}

/// One connection: state, account, scopes, tokens' times, probe history.
#[server(endpoint = "connection/view")]
pub async fn load_connection(
    workspace: String,
    environment: String,
    connection: String,
) -> Result<ConnectionDetailView, AppError> {
    use crate::domain::accounts::{ConnectionId, environments};
    use crate::domain::connections::portal;
    use crate::domain::db::repo::pinterest_settings;
    use crate::domain::pinterest::{Scope, ScopeSet};
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = environments::find_by_slug(&app.db, &actor, &environment).await?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let (row, probes) = portal::detail(&app.db, &actor, &id).await?;
    if row.environment_id != env.id {
        return Err(AppError::NotFound);
    }
    let required = pinterest_settings::find(&app.db, actor.workspace_id(), &env.id)
        .await?
        .map(|s| ScopeSet::from_stored(&s.scopes))
        .unwrap_or_else(|| ScopeSet::from_stored(&row.scopes_required));
    let granted = ScopeSet::from_stored(&row.scopes_granted);
    let scopes = Scope::ALL
        .into_iter()
        .filter(|s| required.contains(*s) || granted.contains(*s))
        .map(|s| crate::models::ScopeCompareView {
            name: s.as_str().to_owned(),
            required: required.contains(s),
            granted: granted.contains(s),
        })
        .collect();
    let probe_views: Vec<_> = probes.iter().map(ssr::probe_view).collect();
    Ok(ConnectionDetailView {
        can_configure: actor.role().can_configure(),
        row: ssr::row_view(&row),
        account_id: row.account_id.clone(),
        account_mismatch: row.account_mismatch.clone(),
        scopes,
        created_at: row.created_at,
        authorized_at: row.authorized_at,
        access_expires_at: row.access_expires_at,
        refresh_expires_at: row.refresh_expires_at,
        last_refresh_at: row.last_refresh_at,
        refresh_count: row.refresh_count,
        next_refresh_at: row.next_refresh_at,
        last_refresh_error: row.last_refresh_error.clone(),
        next_probe_at: row.next_probe_at,
        chart_svg: ssr::chart_svg(&probe_views),
        probes: probe_views,
        notices: super::flash::notices(),
        environment: super::workspaces::ssr::environment_view(env),
    })
}

/// "Check now": probes the connection and answers what it found.
#[server(endpoint = "connection/check")]
pub async fn check_connection(workspace: String, connection: String) -> Result<String, AppError> {
    use crate::domain::accounts::ConnectionId;
    use crate::domain::connections::portal;
    use crate::models::state_label;
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let notice = match portal::check_now(&app, &actor, &id).await? {
        Some(report) => {
            let mut text = format!(
                "Checked: {} ({}).",
                state_label(report.health.as_str()),
                report.outcome.replace('_', " ")
            );
            if report.account_changed {
                text.push_str(" Pinterest now shows a different account than the one connected.");
            }
            text
        }
        None => "The connection is busy (being refreshed or checked elsewhere); it will be checked as soon as it is free.".to_owned(),
    };
    super::pinterest::ssr::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// "Refresh now": gets a new token pair from Pinterest.
#[server(endpoint = "connection/refresh")]
pub async fn refresh_connection(workspace: String, connection: String) -> Result<String, AppError> {
    use crate::domain::accounts::ConnectionId;
    use crate::domain::connections::portal;
    use crate::domain::connections::tokens::Refreshed;
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let notice = match portal::refresh_now(&app, &actor, &id).await? {
        Some(Refreshed::Stored) => "Refreshed: new tokens are stored.".to_owned(),
        Some(Refreshed::AlreadyDone) | Some(Refreshed::LeaseLost) => {
            "Another pinbridge process refreshed it at the same moment; its tokens are stored."
                .to_owned()
        }
        Some(Refreshed::Rejected { reason }) | Some(Refreshed::Transient { reason }) => reason,
        Some(Refreshed::Unavailable) => {
            "Not refreshed: the Pinterest integration is disabled or not configured here."
                .to_owned()
        }
        None => {
            "The connection is busy (being refreshed or checked elsewhere); try again in a moment."
                .to_owned()
        }
    };
    super::pinterest::ssr::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// Disconnect: deletes pinbridge's tokens for the connection.
#[server(endpoint = "connection/disconnect")]
pub async fn disconnect_connection(
    workspace: String,
    connection: String,
) -> Result<String, AppError> {
    use crate::domain::accounts::ConnectionId;
    use crate::domain::connections::portal;
    let (app, actor) = super::context::actor(&workspace).await?;
    actor.require_configure()?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let row = portal::disconnect(&app.db, &actor, &id, &super::context::request_meta()).await?;
    let notice = format!(
        "Disconnected @{}: pinbridge's tokens for it are deleted. The end user can connect again with a new link.",
        row.account_username
    );
    super::pinterest::ssr::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::domain::connections::portal::Counts;
    use crate::domain::db::repo::connections::{ConnectionRow, ProbeRow};
    use crate::models::{ConnectionCounts, ConnectionRowView, ProbeView, STATES};

    pub fn counts_view(counts: &Counts) -> ConnectionCounts {
        ConnectionCounts {
            by_state: STATES
                .iter()
                .map(|(s, _)| ((*s).to_owned(), counts.get(s).copied().unwrap_or(0)))
                .collect(),
        }
    }

    pub fn row_view(row: &ConnectionRow) -> ConnectionRowView {
        ConnectionRowView {
            id: row.id.to_string(),
            end_user_id: row.end_user_id.clone(),
            display_name: row.display_name.clone(),
            username: row.account_username.clone(),
            account_type: row.account_type.clone(),
            state: row.health.clone(),
            reason: row.health_reason.clone(),
            since: row.health_since,
            last_probe_at: row.last_probe_at,
            account_changed: row.account_mismatch.is_some(),
        }
    }

    pub fn probe_view(p: &ProbeRow) -> ProbeView {
        ProbeView {
            at: p.checked_at,
            trigger: p.trigger.clone(),
            outcome: p.outcome.clone(),
            latency_ms: p.latency_ms,
            http_status: p.http_status,
            error_code: p.error_code,
            error_message: p.error_message.clone(),
            username: p.account_username.clone(),
            account_changed: p.account_changed,
        }
    }

    /// The probe history as an SVG bar chart, oldest on the left: bar height is
    /// latency, colour is the outcome; each bar has a tooltip.
    pub fn chart_svg(probes: &[ProbeView]) -> String {
        const W: usize = 600;
        const H: usize = 120;
        if probes.is_empty() {
            return String::new();
        }
        let max = probes
            .iter()
            .map(|p| p.latency_ms)
            .max()
            .unwrap_or(1)
            .max(100) as f64;
        let n = probes.len();
        let slot = W as f64 / n.max(20) as f64;
        let mut bars = String::new();
        for (i, p) in probes.iter().rev().enumerate() {
            // Scaled to the slowest (at least 100 ms); every bar tall enough to show its colour.
            let h = ((p.latency_ms as f64 / max) * (H as f64 - 20.0)).max(16.0);
            let x = i as f64 * slot + 1.0;
            let y = H as f64 - h;
            let class = match p.outcome.as_str() {
                "ok" => "bar-ok",
                "transient" => "bar-warn",
                "skipped" => "bar-off",
                _ => "bar-bad",
            };
            let title = format!(
                "{} · {} · {} ms{}",
                crate::models::format_utc(p.at),
                p.outcome,
                p.latency_ms,
                p.http_status
                    .map(|s| format!(" · HTTP {s}"))
                    .unwrap_or_default()
            );
            bars.push_str(&format!(
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}</title></rect>",
                (slot - 2.0).max(1.0),
                crate::models::html::escape(&title)
            ));
        }
        format!(
            "<svg class=\"probe-chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Latency and outcome of the last {n} health checks, oldest first\" preserveAspectRatio=\"none\">{bars}</svg>"
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_chart_has_one_bar_per_probe_coloured_by_outcome_and_escapes_text() {
            let probe = |outcome: &str, latency: i64| ProbeView {
                at: 0,
                trigger: "scheduled".into(),
                outcome: outcome.into(),
                latency_ms: latency,
                http_status: Some(200),
                error_code: None,
                error_message: Some("<b>".into()),
                username: None,
                account_changed: false,
            };
            let svg = chart_svg(&[
                probe("ok", 10),
                probe("transient", 40),
                probe("unauthorized", 5),
            ]);
            assert_eq!(svg.matches("<rect").count(), 3);
            assert!(svg.contains("bar-ok") && svg.contains("bar-warn") && svg.contains("bar-bad"));
            assert!(chart_svg(&[]).is_empty());
        }
    }
}
