//! Reaching the request's context from inside a server function: the domain's
//! services, the session, who is signed in, and as whom they act in a workspace.

use tower_sessions::Session;

use crate::errors::AppError;
use domain::Services;
use domain::accounts::sessions::ActiveSignIn;
use domain::accounts::{self, Actor, OperatorId, SignInId, WorkspaceId};

/// The session key holding the signed-in operator's id.
pub(crate) const OPERATOR_KEY: &str = "operator_id";
/// The session key of a [`PendingSignIn`].
pub(crate) const PENDING_KEY: &str = "pending_sign_in";

/// A sign-in whose password was right, waiting for its two-factor code. Only
/// in the session; the session is not signed in until the code is right.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct PendingSignIn {
    pub operator: OperatorId,
    pub attempts: u32,
    pub started_at: i64,
    pub next: Option<String>,
    /// [`accounts::sessions::password_stamp`] when the password was typed.
    pub password_stamp: String,
}

/// The session key holding the id of the sign-in record (`operator_sessions`),
/// which must still exist for the operator to count as signed in.
pub(crate) const SIGN_IN_KEY: &str = "sign_in_id";

pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(error = %err, "session layer missing");
        AppError::Internal
    })
}

/// The signed-in operator, or `Unauthenticated`.
pub async fn signed_in() -> Result<OperatorId, AppError> {
    current_sign_in().await.map(|(operator, _)| operator)
}

/// The signed-in operator and their sign-in, or `Unauthenticated`.
pub async fn current_sign_in() -> Result<(OperatorId, ActiveSignIn), AppError> {
    let memo = RequestMemo::current();
    if let Some(known) = memo.as_ref().and_then(RequestMemo::sign_in) {
        return known.ok_or(AppError::Unauthenticated);
    }
    let services = services()?;
    let session = session().await?;
    let found = verify_session(&services, &session).await?;
    if let Some(memo) = memo {
        memo.set_sign_in(found.clone());
    }
    found.ok_or(AppError::Unauthenticated)
}

/// What one page load already learned about who is asking. A page's frame and
/// its content each call server functions while it renders, and each would
/// check the sign-in and the workspace's two-factor rule again: the page guard
/// (`auth::route_guard`, GET and HEAD only) puts one of these in the request,
/// and the checks within that request are made once. Writes (POST) have none
/// and check everything themselves.
#[derive(Clone, Debug, Default)]
pub struct RequestMemo(std::sync::Arc<std::sync::Mutex<Memo>>);

#[derive(Debug, Default)]
pub struct Memo {
    sign_in: Option<Option<(OperatorId, ActiveSignIn)>>,
    two_factor_missing: Vec<(WorkspaceId, OperatorId, bool)>,
    /// Members found (a workspace the operator does not belong to is not kept:
    /// it is looked up again and refused again).
    actors: Vec<Actor>,
}

impl RequestMemo {
    /// This request's memo, when the page guard made one.
    fn current() -> Option<Self> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Self>().cloned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sign_in(&self) -> Option<Option<(OperatorId, ActiveSignIn)>> {
        self.lock().sign_in.clone()
    }

    pub(crate) fn set_sign_in(&self, found: Option<(OperatorId, ActiveSignIn)>) {
        self.lock().sign_in = Some(found);
    }

    fn two_factor_missing(&self, workspace: &WorkspaceId, operator: &OperatorId) -> Option<bool> {
        self.lock()
            .two_factor_missing
            .iter()
            .find(|(w, o, _)| w == workspace && o == operator)
            .map(|(_, _, missing)| *missing)
    }

    fn actor(&self, workspace: &WorkspaceId, operator: &OperatorId) -> Option<Actor> {
        self.lock()
            .actors
            .iter()
            .find(|a| a.workspace_id() == workspace && a.operator_id() == operator)
            .cloned()
    }

    fn set_actor(&self, actor: Actor) {
        self.lock().actors.push(actor);
    }

    fn set_two_factor_missing(
        &self,
        workspace: &WorkspaceId,
        operator: &OperatorId,
        missing: bool,
    ) {
        self.lock()
            .two_factor_missing
            .push((workspace.clone(), operator.clone(), missing));
    }
}

/// Who the session is signed in as, if its sign-in still holds. A session whose
/// sign-in ended (signed out elsewhere, a password change, past its lifetime)
/// is emptied, so its cookie is worth nothing from then on.
pub async fn verify_session(
    services: &Services,
    session: &Session,
) -> Result<Option<(OperatorId, ActiveSignIn)>, AppError> {
    let Some(operator) = session.get::<OperatorId>(OPERATOR_KEY).await? else {
        return Ok(None);
    };
    let active = match session.get::<SignInId>(SIGN_IN_KEY).await? {
        Some(id) => {
            accounts::sessions::check(&services.db, &id, &operator, &services.config.accounts)
                .await?
        }
        None => None,
    };
    match active {
        Some(active) => Ok(Some((operator, active))),
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// The signed-in operator acting in the workspace named by the client. Anything
/// that is not a workspace they belong to (a malformed id, another tenant's id,
/// a deleted workspace) is `NotFound`, so other tenants' ids reveal nothing.
///
/// Within one page load (a [`RequestMemo`]) the actor is looked up once: the
/// frame and the page both ask.
pub async fn actor(workspace: &str) -> Result<(Services, Actor), AppError> {
    let operator = signed_in().await?;
    let services = services()?;
    let workspace_id = WorkspaceId::parse(workspace).ok_or(AppError::NotFound)?;
    let memo = RequestMemo::current();
    let known = memo
        .as_ref()
        .and_then(|m| m.actor(&workspace_id, &operator));
    let actor = match known {
        Some(actor) => actor,
        None => {
            let actor = accounts::actor_in(&services.db, &workspace_id, &operator).await?;
            if let Some(memo) = &memo {
                memo.set_actor(actor.clone());
            }
            actor
        }
    };
    if two_factor_missing_in(&services, &workspace_id, &operator, memo.as_ref()).await? {
        return Err(AppError::Refused(TWO_FACTOR_REQUIRED.to_owned()));
    }
    Ok((services, actor))
}

/// Why a member without two-factor sign-in cannot use a workspace that requires it.
pub(crate) const TWO_FACTOR_REQUIRED: &str = "This workspace requires two-factor sign-in: turn it on on your account page (/account), then come back.";

/// Whether the workspace requires two-factor sign-in and the operator has not
/// turned it on, remembered in `memo` (when given) for the rest of the request.
pub async fn two_factor_missing_in(
    services: &Services,
    workspace: &WorkspaceId,
    operator: &OperatorId,
    memo: Option<&RequestMemo>,
) -> Result<bool, AppError> {
    use domain::accounts::two_factor;
    if let Some(known) = memo.and_then(|m| m.two_factor_missing(workspace, operator)) {
        return Ok(known);
    }
    let missing = two_factor::workspace_requires(&services.db, workspace).await?
        && !two_factor::is_enabled(&services.db, operator).await?;
    if let Some(memo) = memo {
        memo.set_two_factor_missing(workspace, operator, missing);
    }
    Ok(missing)
}
