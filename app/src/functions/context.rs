//! Reaching the request's context from inside a server function: the domain's
//! services, the session, who is signed in, and as whom they act in a workspace.

use tower_sessions::Session;

use crate::errors::AppError;
use domain::Services;
use domain::accounts::environments::EnvironmentRow;
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
    /// Members found, with whether their workspace requires two-factor sign-in
    /// (a workspace the operator does not belong to is not kept: it is looked
    /// up again and refused again).
    members: Vec<(Actor, bool)>,
    /// Each workspace's environments, listed at most once per page load.
    environments: Vec<(WorkspaceId, EnvironmentsOnce)>,
}

type EnvironmentsOnce = std::sync::Arc<tokio::sync::OnceCell<Vec<EnvironmentRow>>>;

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

    fn member(&self, workspace: &WorkspaceId, operator: &OperatorId) -> Option<(Actor, bool)> {
        self.lock()
            .members
            .iter()
            .find(|(a, _)| a.workspace_id() == workspace && a.operator_id() == operator)
            .cloned()
    }

    fn set_member(&self, member: (Actor, bool)) {
        self.lock().members.push(member);
    }

    fn environments(&self, workspace: &WorkspaceId) -> EnvironmentsOnce {
        let mut memo = self.lock();
        if let Some((_, once)) = memo.environments.iter().find(|(w, _)| w == workspace) {
            return once.clone();
        }
        let once = EnvironmentsOnce::default();
        memo.environments.push((workspace.clone(), once.clone()));
        once
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
/// page guard, the frame and the page all ask.
pub async fn actor(workspace: &str) -> Result<(Services, Actor), AppError> {
    let operator = signed_in().await?;
    let services = services()?;
    let workspace_id = WorkspaceId::parse(workspace).ok_or(AppError::NotFound)?;
    let memo = RequestMemo::current();
    let (actor, requires) = member(&services, &workspace_id, &operator, memo.as_ref()).await?;
    if two_factor_missing(&services, &actor, requires, memo.as_ref()).await? {
        return Err(AppError::Refused(TWO_FACTOR_REQUIRED.to_owned()));
    }
    Ok((services, actor))
}

/// The operator as a member of the workspace, with whether it requires
/// two-factor sign-in: from `memo` when this request already asked.
async fn member(
    services: &Services,
    workspace: &WorkspaceId,
    operator: &OperatorId,
    memo: Option<&RequestMemo>,
) -> Result<(Actor, bool), AppError> {
    if let Some(known) = memo.and_then(|m| m.member(workspace, operator)) {
        return Ok(known);
    }
    let found = accounts::member_in(&services.db, workspace, operator).await?;
    if let Some(memo) = memo {
        memo.set_member(found.clone());
    }
    Ok(found)
}

/// The actor's workspace's environments. Within one page load they are listed
/// once, however many parts of the page ask (the frame's switcher and the
/// page's own environment): the first asks the database, the others wait for
/// its answer.
pub async fn environments(
    services: &Services,
    actor: &Actor,
) -> Result<Vec<EnvironmentRow>, AppError> {
    let list = || accounts::environments::list(&services.db, actor);
    match RequestMemo::current() {
        Some(memo) => Ok(memo
            .environments(actor.workspace_id())
            .get_or_try_init(list)
            .await?
            .clone()),
        None => Ok(list().await?),
    }
}

/// The environment with this slug in the actor's workspace, or `NotFound`:
/// from [`environments`] within a page load, else one query for it alone.
pub async fn environment(
    services: &Services,
    actor: &Actor,
    slug: &str,
) -> Result<EnvironmentRow, AppError> {
    if RequestMemo::current().is_none() {
        return Ok(accounts::environments::find_by_slug(&services.db, actor, slug).await?);
    }
    environments(services, actor)
        .await?
        .into_iter()
        .find(|e| e.slug == slug)
        .ok_or(AppError::NotFound)
}

/// Why a member without two-factor sign-in cannot use a workspace that requires it.
pub(crate) const TWO_FACTOR_REQUIRED: &str = "This workspace requires two-factor sign-in: turn it on on your account page (/account), then come back.";

/// Whether the workspace requires two-factor sign-in and the operator, one of
/// its members, has not turned it on, remembered in `memo` (when given) for
/// the rest of the request. Someone who is not a member is not sent to turn it
/// on (that would tell them the workspace's rule): the page refuses them as
/// not found.
pub async fn two_factor_missing_in(
    services: &Services,
    workspace: &WorkspaceId,
    operator: &OperatorId,
    memo: Option<&RequestMemo>,
) -> Result<bool, AppError> {
    match member(services, workspace, operator, memo).await {
        Ok((actor, requires)) => two_factor_missing(services, &actor, requires, memo).await,
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

async fn two_factor_missing(
    services: &Services,
    actor: &Actor,
    requires: bool,
    memo: Option<&RequestMemo>,
) -> Result<bool, AppError> {
    let (workspace, operator) = (actor.workspace_id(), actor.operator_id());
    if let Some(known) = memo.and_then(|m| m.two_factor_missing(workspace, operator)) {
        return Ok(known);
    }
    let missing =
        requires && !domain::accounts::two_factor::is_enabled(&services.db, operator).await?;
    if let Some(memo) = memo {
        memo.set_two_factor_missing(workspace, operator, missing);
    }
    Ok(missing)
}
