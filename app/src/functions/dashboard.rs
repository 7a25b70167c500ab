//! [Environment] → Overview: the environment dashboard. Every member reads
//! it; it changes nothing.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::DashboardView;

/// The dashboard: connections per state over 30 days, the last 24 hours of
/// refreshes, health checks, Pinterest's latency, API and tool calls, and the
/// connections that need attention. Read from the aggregates the scheduler
/// and the recording paths keep (see `domain::connections::dashboard`).
#[server(endpoint = "dashboard/view")]
pub async fn load_dashboard(
    workspace: String,
    environment: String,
) -> Result<DashboardView, AppError> {
    use super::views::{attention_view, day_view, environment_view, hour_view};
    use domain::connections::dashboard;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let now = domain::db::now_ms();
    let board = dashboard::load(&app.db, &actor, &env.id, now).await?;
    Ok(DashboardView {
        now: board.now,
        days: board.days.iter().map(day_view).collect(),
        hours: board.hours.iter().map(hour_view).collect(),
        totals: hour_view(&board.day_total()),
        attention: board.attention.iter().map(attention_view).collect(),
        attention_total: board.attention_total,
        attention_capped: board.attention_capped(),
        environment: environment_view(env),
    })
}
