//! [Environment] → Agents: how AI agents use the environment's connections
//! through the MCP gateway (`/mcp`). Every member reads it; the keys agents
//! use are made on the API keys page, by admins and owners.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::AgentsPageView;

/// The Agents page: the endpoint and ready-to-paste client settings, the
/// usable keys with the `agent` permission, the tools, and the latest calls.
#[server(endpoint = "agents/view")]
pub async fn load_agents(
    workspace: String,
    environment: String,
) -> Result<AgentsPageView, AppError> {
    use super::views::{api_key_view, environment_view, tool_call_view, tool_view};
    use domain::agent::{self, Tool};
    use domain::api::keys;
    use domain::shared::ApiPermission;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let now = domain::db::now_ms();
    let keys = keys::list(&app.db, &actor, &env.id)
        .await?
        .iter()
        .map(|row| api_key_view(row, now))
        .filter(|key| key.state.usable() && key.permissions.contains(&ApiPermission::Agent))
        .collect();
    let calls = agent::recent_calls(&app, actor.workspace_id(), &env.id).await?;
    let public_url = &app.config.public_url;
    let assistants = assistants_view(&app, &actor, &env.id).await?;
    Ok(AgentsPageView {
        can_configure: actor.role().can_configure(),
        mcp_url: agent::mcp_url(public_url),
        client_config: agent::client_config(public_url),
        curl_list_tools: agent::curl_list_tools(public_url),
        keys,
        tools: Tool::ALL.into_iter().map(tool_view).collect(),
        calls: calls.iter().map(tool_call_view).collect(),
        now,
        environment: environment_view(env),
        assistants,
    })
}

/// The hosted assistants' part: the MCP URL they are given, the sign-in
/// settings, and the assistants end users let in.
#[cfg(feature = "ssr")]
async fn assistants_view(
    app: &domain::Services,
    actor: &domain::accounts::Actor,
    environment: &domain::accounts::EnvironmentId,
) -> Result<crate::models::AssistantsView, AppError> {
    use crate::models::{AgentSignInView, AssistantsView, AuthorizedAssistantView};
    use domain::agent::{oauth, sign_in};
    let public_url = &app.config.public_url;
    let settings = sign_in::settings(app, actor, environment).await?;
    let authorized = oauth::grants::list(app, actor, environment).await?;
    Ok(AssistantsView {
        mcp_url: oauth::resource_url(public_url, environment),
        redirect_uri: sign_in::redirect_uri(public_url),
        sign_in: settings.map(|s| AgentSignInView {
            issuer: s.issuer,
            client_id: s.client_id,
            user_claim: s.user_claim,
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }),
        authorized: authorized
            .into_iter()
            .map(|a| AuthorizedAssistantView {
                grant_id: a.grant_id,
                client_name: a.client_name,
                redirect_uris: a.redirect_uris,
                end_user_id: a.end_user_id,
                scope: a.scope.iter().map(|s| s.words().to_owned()).collect(),
                first_at: a.first_at,
                last_used_at: a.last_used_at,
            })
            .collect(),
        notices: super::flash::notices(),
    })
}

/// Saves how the environment's end users sign in when an assistant connects
/// (owners and admins). A blank secret keeps the stored one.
#[server(endpoint = "agents/sign-in")]
pub async fn save_agent_sign_in(
    workspace: String,
    environment_id: String,
    #[server(default)] issuer: String,
    #[server(default)] client_id: String,
    #[server(default)] client_secret: String,
    #[server(default)] user_claim: String,
) -> Result<String, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::agent::sign_in::{self, SignInInput};
    use domain::crypto::SecretString;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let secret = client_secret.trim();
    let input = SignInInput {
        issuer,
        client_id,
        client_secret: (!secret.is_empty()).then(|| SecretString::new(secret.to_owned())),
        user_claim,
    };
    let saved = sign_in::save(
        &app,
        &actor,
        &environment_id,
        input,
        &super::request::request_meta(),
    )
    .await?;
    let notice = format!(
        "Saved: end users sign in at {} when an assistant connects. Use \u{201c}Test sign-in\u{201d} to check it.",
        saved.issuer
    );
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// Removes the sign-in settings (owners and admins): assistants can no
/// longer sign end users in; those already let in keep working until revoked.
#[server(endpoint = "agents/remove-sign-in")]
pub async fn remove_agent_sign_in(
    workspace: String,
    environment_id: String,
) -> Result<String, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::agent::sign_in;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    sign_in::remove(
        &app,
        &actor,
        &environment_id,
        &super::request::request_meta(),
    )
    .await?;
    let notice = "Sign-in removed: assistants can no longer sign end users in. Assistants already allowed keep working until you revoke them below.".to_owned();
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// "Test sign-in": the operator signs in at the provider as an end user
/// would, and a page says which end user id pinbridge read. A link (GET),
/// not a form: the answer is a redirect to the provider, which the portal's
/// `form-action 'self'` would block after a form post.
#[server(endpoint = "agents/test-sign-in", input = leptos::server_fn::codec::GetUrl)]
pub async fn test_agent_sign_in(workspace: String, environment_id: String) -> Result<(), AppError> {
    use domain::accounts::EnvironmentId;
    use domain::agent::oauth::authorize::{self, COOKIE, Step};
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let parts = use_context::<http::request::Parts>();
    let cookie = parts
        .as_ref()
        .and_then(|p| super::request::cookie_value(&p.headers, COOKIE));
    let back = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::REFERER))
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        // Only a page of the portal itself: never another site's address.
        .filter(|u| {
            url::Url::parse(&app.config.public_url).is_ok_and(|p| p.origin() == u.origin())
                && u.path().starts_with("/w/")
        })
        .map_or_else(|| format!("/w/{workspace}"), |u| u.path().to_owned());
    let step =
        authorize::test_sign_in(&app, &actor, &environment_id, &back, cookie.as_deref()).await?;
    if let Step::SignIn { url, cookie } = step {
        if let (Some(value), Some(response)) =
            (cookie, use_context::<leptos_axum::ResponseOptions>())
        {
            let secure = app.config.public_url.starts_with("https://");
            if let Ok(set) = http::HeaderValue::from_str(&authorize::set_cookie(&value, secure)) {
                response.append_header(http::header::SET_COOKIE, set);
            }
        }
        leptos_axum::redirect(&url);
    }
    Ok(())
}

/// Revokes an assistant an end user let in (owners and admins).
#[server(endpoint = "agents/revoke-assistant")]
pub async fn revoke_assistant(
    workspace: String,
    environment_id: String,
    grant_id: String,
) -> Result<String, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::agent::oauth::grants;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    if grant_id.len() > 64 {
        return Err(AppError::NotFound);
    }
    grants::revoke(
        &app,
        &actor,
        &environment_id,
        &grant_id,
        &super::request::request_meta(),
    )
    .await
    .map_err(|e| AppError::from(e).for_row(&grant_id))?;
    let notice = "Revoked: that assistant can no longer act for its end user.".to_owned();
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}
