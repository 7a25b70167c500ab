//! [Environment] → API keys: what applications call pinbridge's API with.
//! Members see the keys (never their text); admins and owners create, rotate,
//! revoke and limit them. A key's text is answered once, by the function that
//! made it, and without JavaScript shown by the one page load after it.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{ApiKeysPageView, IssuedApiKey};

/// The API keys page: every key of the environment, newest first.
#[server(endpoint = "api-keys/view")]
pub async fn load_api_keys(
    workspace: String,
    environment: String,
) -> Result<ApiKeysPageView, AppError> {
    use super::views::{api_key_view, environment_view};
    use domain::api::keys;
    let (app, actor) = super::context::actor(&workspace).await?;
    let env = super::context::environment(&app, &actor, &environment).await?;
    let rows = keys::list(&app.db, &actor, &env.id).await?;
    let now = domain::db::now_ms();
    Ok(ApiKeysPageView {
        can_configure: actor.role().can_configure(),
        keys: rows.iter().map(|row| api_key_view(row, now)).collect(),
        default_rate_limit: keys::DEFAULT_RATE_LIMIT,
        rate_limit_max: keys::RATE_LIMIT_MAX,
        now,
        issued: kept::shown(&app),
        notices: super::flash::notices(),
        environment: environment_view(env),
    })
}

/// "New API key": answers the key's text, which is not stored anywhere.
#[server(endpoint = "api-keys/create")]
pub async fn create_api_key(
    workspace: String,
    environment_id: String,
    #[server(default)] name: String,
    #[server(default)] permissions: Vec<String>,
    #[server(default)] expires_in_days: String,
    #[server(default)] rate_limit: String,
    #[server(default)] end_user_id: String,
) -> Result<IssuedApiKey, AppError> {
    use domain::accounts::EnvironmentId;
    use domain::api::keys::{self, KeyInput};
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let input = KeyInput::parse(
        &name,
        &permissions,
        &expires_in_days,
        &rate_limit,
        &end_user_id,
    )?;
    let created = keys::create(
        &app,
        &actor,
        &environment_id,
        input,
        &super::request::request_meta(),
    )
    .await?;
    kept::answer(&app, kept::issued(&created, None)).await
}

/// "Rotate": a new key with the same name, permissions and limit; the old one
/// works for `grace_secs` more (0: it stops now).
#[server(endpoint = "api-key/rotate")]
pub async fn rotate_api_key(
    workspace: String,
    environment_id: String,
    key_id: String,
    #[server(default)] grace_secs: String,
) -> Result<IssuedApiKey, AppError> {
    use crate::models::{ReplacedKey, visible_key};
    use domain::accounts::{ApiKeyId, EnvironmentId};
    use domain::api::keys;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let id = ApiKeyId::parse(&key_id).ok_or(AppError::NotFound)?;
    let for_row = |e| AppError::from(e).for_row(id.as_str());
    let grace = keys::parse_grace(&grace_secs).map_err(for_row)?;
    let created = keys::rotate(
        &app,
        &actor,
        &environment_id,
        &id,
        grace,
        &super::request::request_meta(),
    )
    .await
    .map_err(for_row)?;
    // The old key's end as stored: the grace period, or its own expiry if sooner.
    let replaces = keys::list(&app.db, &actor, &environment_id)
        .await?
        .into_iter()
        .find(|row| row.id == id)
        .map(|old| ReplacedKey {
            id: old.id.to_string(),
            visible: visible_key(&old.prefix, &old.last_four),
            works_until: old.expires_at.unwrap_or(created.row.created_at),
            stopped_at_once: old.expires_at.is_none_or(|at| at <= created.row.created_at),
        });
    kept::answer(&app, kept::issued(&created, replaces)).await
}

/// "Revoke": the key stops working (within the API's one-second key cache
/// in other pinbridge processes).
#[server(endpoint = "api-key/revoke")]
pub async fn revoke_api_key(
    workspace: String,
    environment_id: String,
    key_id: String,
) -> Result<String, AppError> {
    use crate::models::visible_key;
    use domain::accounts::{ApiKeyId, EnvironmentId};
    use domain::api::keys;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let id = ApiKeyId::parse(&key_id).ok_or(AppError::NotFound)?;
    let row = keys::revoke(
        &app,
        &actor,
        &environment_id,
        &id,
        &super::request::request_meta(),
    )
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

/// Changes how many requests per minute a key may make.
#[server(endpoint = "api-key/rate-limit")]
pub async fn set_api_key_rate_limit(
    workspace: String,
    environment_id: String,
    key_id: String,
    #[server(default)] rate_limit: String,
) -> Result<String, AppError> {
    use domain::accounts::{ApiKeyId, EnvironmentId};
    use domain::api::keys;
    let (app, actor) = super::context::actor(&workspace).await?;
    let environment_id = EnvironmentId::parse(&environment_id).ok_or(AppError::NotFound)?;
    let id = ApiKeyId::parse(&key_id).ok_or(AppError::NotFound)?;
    let for_row = |e| AppError::from(e).for_row(id.as_str());
    let limit = keys::parse_rate_limit(&rate_limit).map_err(for_row)?;
    let row = keys::set_rate_limit(
        &app,
        &actor,
        &environment_id,
        &id,
        limit,
        &super::request::request_meta(),
    )
    .await
    .map_err(for_row)?;
    let notice = format!(
        "\u{201c}{}\u{201d} may now make {} requests per minute.",
        row.name, row.rate_limit
    );
    super::flash::tell(std::slice::from_ref(&notice)).await?;
    Ok(notice)
}

/// A new key's text on its way to the page: in the answer, or (a form sent
/// without JavaScript) sealed in the flash until the page load that shows it.
#[cfg(feature = "ssr")]
pub(crate) mod kept {
    use domain::Services;
    use domain::api::keys::CreatedKey;
    use domain::crypto::{Aad, Sealed};

    use crate::errors::AppError;
    use crate::functions::flash::{self, KeptApiKey};
    use crate::models::{IssuedApiKey, ReplacedKey};

    /// The flash column an API key is sealed for.
    const COLUMN: &str = "flash_api_key";

    fn aad<'a>(column: &'static str, key_id: &'a str) -> Aad<'a> {
        Aad {
            table: "sessions",
            column,
            row: key_id,
        }
    }

    pub fn issued(created: &CreatedKey, replaces: Option<ReplacedKey>) -> IssuedApiKey {
        IssuedApiKey {
            id: created.row.id.to_string(),
            name: created.row.name.clone(),
            key: created.key.expose().to_owned(),
            prefix: created.row.prefix.clone(),
            last_four: created.row.last_four.clone(),
            expires_at: created.row.expires_at,
            replaces,
        }
    }

    pub async fn answer(
        services: &Services,
        issued: IssuedApiKey,
    ) -> Result<IssuedApiKey, AppError> {
        answer_as(services, issued, COLUMN).await
    }

    pub fn shown(services: &Services) -> Option<IssuedApiKey> {
        shown_as(services, COLUMN, |_| true)
    }

    /// The answer that shows the new key. Without JavaScript the answer is a
    /// redirect, whose body no browser shows: the key leaves it out and waits,
    /// sealed for `column` (one per kind of key, so no page opens another's),
    /// in the session's flash, which the next page load takes out.
    pub async fn answer_as(
        services: &Services,
        issued: IssuedApiKey,
        column: &'static str,
    ) -> Result<IssuedApiKey, AppError> {
        if !crate::functions::request::is_plain_form_post() {
            return Ok(issued);
        }
        let sealed = services
            .keys
            .seal_str(&issued.key, aad(column, &issued.id))
            .map_err(|e| {
                tracing::error!(error = %e, "a new key could not be sealed for the next page");
                AppError::Internal
            })?;
        let without_text = IssuedApiKey {
            key: String::new(),
            ..issued
        };
        let kept = KeptApiKey {
            issued: without_text.clone(),
            sealed: sealed.as_stored().to_owned(),
        };
        let session = crate::functions::context::session().await?;
        flash::put(&session, move |f| f.api_key = Some(kept)).await?;
        Ok(without_text)
    }

    /// The key of `column`'s kind (and that `mine` accepts) a form sent
    /// without JavaScript made just before this page load.
    pub fn shown_as(
        services: &Services,
        column: &'static str,
        mine: impl Fn(&KeptApiKey) -> bool,
    ) -> Option<IssuedApiKey> {
        let kept = flash::with_current(|f| f.api_key.clone().filter(|k| mine(k)))?;
        let sealed = Sealed::from_stored(kept.sealed);
        match services
            .keys
            .open_str(&sealed, aad(column, &kept.issued.id))
        {
            Ok(text) => Some(IssuedApiKey {
                key: text.expose().to_owned(),
                ..kept.issued
            }),
            Err(e) => {
                tracing::warn!(error = %e, "a new key kept for this page could not be opened");
                None
            }
        }
    }
}
