//! [Environment] → Connections: end users' Pinterest connections. Members read
//! them; admins and owners make connect links, check, refresh and disconnect.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{ConnectionDetailView, ConnectionsPageView, IssuedConnectLink};

/// The Connections page: counts per state, one page of the filtered list, the
/// latest "Check all" and the allowed return origins. The list is paged by
/// cursor: `after` (older than that connection) and `before` (newer), as the
/// page's links carry them, or `page=last` for the oldest; `state` and
/// `search` filter it. Anything else is refused with a message.
#[server(endpoint = "connections/view")]
pub async fn load_connections(
    workspace: String,
    environment: String,
    #[server(default)] state: Option<String>,
    #[server(default)] search: Option<String>,
    #[server(default)] page: Option<String>,
    #[server(default)] after: Option<String>,
    #[server(default)] before: Option<String>,
) -> Result<ConnectionsPageView, AppError> {
    use super::views::{counts_view, environment_view, row_view};
    use crate::models::MatchCount;
    use domain::connections::portal::{self, ListRequest, Matching};
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let request = ListRequest::parse(
        state.as_deref(),
        search.as_deref(),
        page.as_deref(),
        after.as_deref(),
        before.as_deref(),
    )?;
    let listed = portal::list(&app.db, &actor, &env.id, &request).await?;
    Ok(ConnectionsPageView {
        can_configure: actor.role().can_configure(),
        integration_ready: listed.integration_ready,
        counts: counts_view(&listed.counts),
        rows: listed.rows.iter().map(row_view).collect(),
        matching: match listed.matching {
            Matching::Exactly(n) => MatchCount::Exactly(n),
            Matching::MoreThan(n) => MatchCount::MoreThan(n),
            Matching::Uncounted => MatchCount::Uncounted,
        },
        older: listed.older.as_ref().map(portal::format_cursor),
        newer: listed.newer.as_ref().map(portal::format_cursor),
        search_stopped: listed.search_stopped.then_some(portal::SEARCH_BUDGET),
        page_size: portal::PAGE_SIZE,
        filter_state: request.health,
        search: request.search.unwrap_or_default(),
        check_all: listed.run.map(|r| crate::models::CheckAllView {
            started_by: r.run.started_by,
            started_at: r.run.started_at,
            total: r.run.total,
            done: r.done.min(r.run.total),
        }),
        return_origins: listed.origins,
        issued_link: super::flash::with_current(|f| f.connect_link.clone()),
        notices: super::flash::notices(),
        environment: environment_view(env),
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
    use domain::accounts::EnvironmentId;
    use domain::connections::links::{self, LinkInput};
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let input = LinkInput::parse(&end_user_id, &display_name, &return_url)?;
    let created = links::create(
        &app.db,
        &actor,
        &environment_id,
        input,
        &app.config.public_url,
        &super::request::request_meta(),
    )
    .await?;
    let issued = IssuedConnectLink {
        url: created.url,
        end_user_id: created.end_user_id,
        expires_at: created.expires_at,
    };
    if super::request::is_plain_form_post() {
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
    use domain::accounts::EnvironmentId;
    use domain::connections::links;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let parsed = links::parse_origins(&origins)?;
    let saved = links::set_origins(
        &app.db,
        &actor,
        &environment_id,
        parsed,
        &super::request::request_meta(),
    )
    .await?;
    super::flash::tell(&["Allowed return origins saved.".to_owned()]).await?;
    Ok(saved)
}

/// "Check all": every connection in the environment is probed, by the
/// schedulers of all pinbridge processes; the page shows the progress.
#[server(endpoint = "connections/check-all")]
pub async fn check_all_connections(
    workspace: String,
    environment_id: String,
) -> Result<i64, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::connections::portal;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let total = portal::check_all(
        &app,
        &actor,
        &environment_id,
        &super::request::request_meta(),
    )
    .await?;
    let noun = if total == 1 {
        "connection"
    } else {
        "connections"
    };
    super::flash::tell(&[format!("Checking {total} {noun}…")]).await?;
    Ok(total)
}

/// One connection: state, account, scopes, tokens' times, probe history.
#[server(endpoint = "connection/view")]
pub async fn load_connection(
    workspace: String,
    environment: String,
    connection: String,
) -> Result<ConnectionDetailView, AppError> {
    use super::views::{api_calls_view, environment_view, probe_view, row_view, tool_call_view};
    use domain::accounts::ConnectionId;
    use domain::agent;
    use domain::api::keys;
    use domain::connections::portal;
    use domain::pinterest::{Scope, ScopeSet};
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let portal::Detail {
        row,
        probes,
        required,
    } = portal::detail(&app.db, &actor, &env.id, &id).await?;
    let calls = keys::calls_on(&app.db, &actor, &id).await?;
    let tool_calls = agent::recent_calls_on(&app, actor.workspace_id(), &id).await?;
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
    Ok(ConnectionDetailView {
        can_configure: actor.role().can_configure(),
        row: row_view(&row),
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
        probes: probes.iter().map(probe_view).collect(),
        api_base: app.config.public_url.clone(),
        api_calls: calls.iter().map(api_calls_view).collect(),
        tool_calls: tool_calls.iter().map(tool_call_view).collect(),
        notices: super::flash::notices(),
        environment: environment_view(env),
    })
}

/// "Check now": probes the connection and answers what it found.
#[server(endpoint = "connection/check")]
pub async fn check_connection(workspace: String, connection: String) -> Result<String, AppError> {
    use domain::accounts::ConnectionId;
    use domain::connections::portal;
    let (app, actor) = super::context::actor(&workspace).await?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let notice = match portal::check_now(&app, &actor, &id).await? {
        Some(report) => {
            let mut text = format!(
                "Checked: {} ({}).",
                report.health.label(),
                report.outcome.label()
            );
            if report.account_changed {
                text.push_str(" Pinterest now shows a different account than the one connected.");
            }
            text
        }
        None => "The connection is busy (being refreshed or checked elsewhere); it will be checked as soon as it is free.".to_owned(),
    };
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// "Refresh now": gets a new token pair from Pinterest.
#[server(endpoint = "connection/refresh")]
pub async fn refresh_connection(workspace: String, connection: String) -> Result<String, AppError> {
    use domain::accounts::ConnectionId;
    use domain::connections::portal;
    use domain::connections::tokens::Refreshed;
    let (app, actor) = super::context::actor(&workspace).await?;
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
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// Disconnect: deletes pinbridge's tokens for the connection.
#[server(endpoint = "connection/disconnect")]
pub async fn disconnect_connection(
    workspace: String,
    connection: String,
) -> Result<String, AppError> {
    use domain::accounts::ConnectionId;
    use domain::connections::portal;
    let (app, actor) = super::context::actor(&workspace).await?;
    let id = ConnectionId::parse(&connection).ok_or(AppError::NotFound)?;
    let row = portal::disconnect(&app.db, &actor, &id, &super::request::request_meta()).await?;
    let notice = format!(
        "Disconnected @{}: pinbridge's tokens for it are deleted. The end user can connect again with a new link.",
        row.account_username
    );
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}
