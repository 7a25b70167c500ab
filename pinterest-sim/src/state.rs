//! [`SimState`]: the one shared handle to the simulator's data, settings, faults
//! and request log. Its public methods are the in-process twin of the admin API
//! (the admin handlers call them), so tests can drive either.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;

use super::config::{AppSpec, BoardSpec, ConsentSetting, SimConfig, TokenLifetimes, UserSpec};
use super::demo;
use super::errors::ApiError;
use super::faults::{ActiveFaults, FaultBook, FaultSet, RateLimit, RateLimiter};
use super::model::{AccessTier, Environment};
use super::request_log::{LoggedRequest, RequestLog};
use super::scope::ScopeSet;
use super::store::{IssuedTokens, Store, StoreError, TokenKind, Totals};
use super::wire::TokenResponse;

/// Cheap to clone; every clone sees the same simulator.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    store: RwLock<Store>,
    consent: RwLock<ConsentSetting>,
    faults: RwLock<FaultBook>,
    faults_on: AtomicBool,
    fault_generation: AtomicU64,
    limiter: Mutex<RateLimiter>,
    log: RequestLog,
    environment: Environment,
    lifetimes: TokenLifetimes,
    max_body_bytes: usize,
    public_url: String,
    /// `Some(until)` while connections are refused; the accept loop watches it.
    refuse: watch::Sender<Option<Instant>>,
}

/// An app as the admin API shows it (the secret only right after registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub tier: AccessTier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub username: String,
    pub boards: Vec<BoardInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardInfo {
    pub id: String,
    pub name: String,
    pub pin_count: usize,
}

/// `POST /_sim/tokens`: tokens without the browser leg.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    pub client_id: String,
    pub username: String,
    /// Names as a list or one comma/space separated string.
    pub scopes: ScopeSet,
    /// How many independent pairs (default 1, at most 100 000).
    #[serde(default)]
    pub count: Option<u32>,
}

/// `POST /_sim/tokens/revoke`: one token, or everything a user gave an app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// `GET /_sim/faults`.
#[derive(Debug, Clone, Serialize)]
pub struct FaultsView {
    pub global: Option<FaultSet>,
    pub apps: std::collections::BTreeMap<String, FaultSet>,
}

/// `GET /_sim/state`.
#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    pub environment: Environment,
    pub totals: Totals,
    pub apps: Vec<AppInfo>,
    pub users: Vec<UserInfo>,
    pub consent: ConsentSetting,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

pub const MAX_MINTED: u32 = 100_000;

impl SimState {
    /// Builds the state: demo data (unless disabled), then the configured apps
    /// and users, then the consent setting and faults.
    pub fn new(config: &SimConfig) -> Result<Self, ApiError> {
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.addr))
            .trim_end_matches('/')
            .to_owned();
        let state = SimState {
            inner: Arc::new(Inner {
                store: RwLock::new(Store::new(config.lifetimes)),
                consent: RwLock::new(ConsentSetting::default()),
                faults: RwLock::new(FaultBook::default()),
                faults_on: AtomicBool::new(false),
                fault_generation: AtomicU64::new(0),
                limiter: Mutex::new(RateLimiter::default()),
                log: RequestLog::new(config.request_log_capacity),
                environment: config.environment,
                lifetimes: config.lifetimes,
                max_body_bytes: config.max_body_bytes,
                public_url,
                refuse: watch::Sender::new(None),
            }),
        };
        if config.demo {
            state.register_app(demo::app())?;
            state.create_user(demo::user())?;
        }
        for app in &config.apps {
            state.register_app(app.clone())?;
        }
        for user in &config.users {
            state.create_user(user.clone())?;
        }
        state.set_consent(config.consent.clone())?;
        if let Some(faults) = &config.faults {
            state.set_faults(None, Some(faults.clone()))?;
        }
        Ok(state)
    }

    pub(crate) fn store(&self) -> RwLockReadGuard<'_, Store> {
        read(&self.inner.store)
    }

    pub(crate) fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        write(&self.inner.store)
    }

    pub fn environment(&self) -> Environment {
        self.inner.environment
    }

    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    pub fn lifetimes(&self) -> TokenLifetimes {
        self.inner.lifetimes
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    pub(crate) fn request_log(&self) -> &RequestLog {
        &self.inner.log
    }

    // ----- apps and users -------------------------------------------------

    pub fn register_app(&self, spec: AppSpec) -> Result<AppInfo, ApiError> {
        let mut store = self.store_mut();
        let app = store.register_app(spec)?;
        Ok(AppInfo {
            id: app.id.clone(),
            name: app.name.clone(),
            secret: Some(app.secret.clone()),
            redirect_uris: app.redirect_uris.clone(),
            tier: app.tier,
        })
    }

    pub fn apps(&self) -> Vec<AppInfo> {
        self.store()
            .apps()
            .map(|app| AppInfo {
                id: app.id.clone(),
                name: app.name.clone(),
                secret: None,
                redirect_uris: app.redirect_uris.clone(),
                tier: app.tier,
            })
            .collect()
    }

    pub fn create_user(&self, spec: UserSpec) -> Result<UserInfo, ApiError> {
        let mut store = self.store_mut();
        let id = store.create_user(spec, OffsetDateTime::now_utc())?;
        Ok(user_info(&store, id))
    }

    /// Adds boards (and their Pins) to an existing user.
    pub fn add_boards(&self, username: &str, boards: Vec<BoardSpec>) -> Result<UserInfo, ApiError> {
        let mut store = self.store_mut();
        let id = store
            .user_by_name(username)
            .map(|u| u.id)
            .ok_or_else(|| StoreError::NotFound(format!("user {username:?} not found")))?;
        store.add_boards(id, boards, OffsetDateTime::now_utc())?;
        Ok(user_info(&store, id))
    }

    pub fn user(&self, username: &str) -> Option<UserInfo> {
        let store = self.store();
        let id = store.user_by_name(username)?.id;
        Some(user_info(&store, id))
    }

    pub fn view(&self) -> StateView {
        let apps = self.apps();
        let store = self.store();
        StateView {
            environment: self.environment(),
            totals: store.totals(),
            apps,
            users: store.users().map(|u| user_info(&store, u.id)).collect(),
            consent: self.consent(),
        }
    }

    // ----- tokens ----------------------------------------------------------

    /// Issues token pairs with exactly `scopes` for a user and app, without the
    /// browser leg (the cumulative grant of real consents is left alone).
    pub fn mint_tokens(&self, request: MintRequest) -> Result<Vec<TokenResponse>, ApiError> {
        let count = request.count.unwrap_or(1);
        if count == 0 || count > MAX_MINTED {
            return Err(
                StoreError::Invalid(format!("count must be between 1 and {MAX_MINTED}")).into(),
            );
        }
        let mut store = self.store_mut();
        if store.app(&request.client_id).is_none() {
            return Err(
                StoreError::NotFound(format!("app {:?} not found", request.client_id)).into(),
            );
        }
        let user = store
            .user_by_name(&request.username)
            .map(|u| u.id)
            .ok_or_else(|| {
                StoreError::NotFound(format!("user {:?} not found", request.username))
            })?;
        let now = OffsetDateTime::now_utc();
        Ok((0..count)
            .map(|_| {
                let issued: IssuedTokens =
                    store.mint(&request.client_id, user, request.scopes, now);
                TokenResponse::authorization_code(issued)
            })
            .collect())
    }

    /// Revokes a token (a refresh token takes its descendants along), or all of a
    /// user's tokens for an app. Returns how many tokens died.
    pub fn revoke(&self, request: RevokeRequest) -> Result<usize, ApiError> {
        let mut store = self.store_mut();
        match request {
            RevokeRequest {
                token: Some(token),
                client_id: None,
                username: None,
            } => match store.revoke_token(&token) {
                0 => Err(StoreError::NotFound("token not found".into()).into()),
                n => Ok(n),
            },
            RevokeRequest {
                token: None,
                client_id: Some(client_id),
                username: Some(username),
            } => {
                let user = store
                    .user_by_name(&username)
                    .map(|u| u.id)
                    .ok_or_else(|| StoreError::NotFound(format!("user {username:?} not found")))?;
                Ok(store.revoke_grant(&client_id, user))
            }
            _ => Err(
                StoreError::Invalid("give either token, or client_id and username".into()).into(),
            ),
        }
    }

    /// Makes an access or refresh token expired from now on.
    pub fn expire_now(&self, token: &str) -> Result<TokenKind, ApiError> {
        self.store_mut()
            .expire_token(token, OffsetDateTime::now_utc())
            .ok_or_else(|| StoreError::NotFound("token not found".into()).into())
    }

    pub(crate) fn app_of_token(&self, token: &str) -> Option<String> {
        self.store().app_of_token(token).map(str::to_owned)
    }

    // ----- consent ---------------------------------------------------------

    pub fn consent(&self) -> ConsentSetting {
        read(&self.inner.consent).clone()
    }

    pub fn set_consent(&self, setting: ConsentSetting) -> Result<(), ApiError> {
        if let Some(user) = &setting.user
            && self.store().user_by_name(user).is_none()
        {
            return Err(StoreError::NotFound(format!("user {user:?} not found")).into());
        }
        *write(&self.inner.consent) = setting;
        Ok(())
    }

    // ----- faults ----------------------------------------------------------

    /// Sets (`Some`) or clears (`None`) the global faults (`app` = `None`) or an app's.
    pub fn set_faults(&self, app: Option<&str>, faults: Option<FaultSet>) -> Result<(), ApiError> {
        if let Some(faults) = &faults {
            faults
                .validate(app.is_none())
                .map_err(StoreError::Invalid)?;
        }
        if let Some(app) = app
            && self.store().app(app).is_none()
        {
            return Err(StoreError::NotFound(format!("app {app:?} not found")).into());
        }
        let generation = self.inner.fault_generation.fetch_add(1, Ordering::Relaxed) + 1;
        let active = faults.map(|f| Arc::new(ActiveFaults::new(f, Instant::now(), generation)));
        let mut book = write(&self.inner.faults);
        match app {
            None => {
                let refuse = active.as_ref().and_then(|a| a.refuse_until());
                book.global = active;
                self.inner.refuse.send_replace(refuse);
            }
            Some(app) => match active {
                Some(active) => {
                    book.apps.insert(app.to_owned(), active);
                }
                None => {
                    book.apps.remove(app);
                }
            },
        }
        self.inner
            .faults_on
            .store(!book.is_empty(), Ordering::Release);
        drop(book);
        self.inner
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }

    /// Clears every fault, global and per app.
    pub fn clear_faults(&self) {
        let mut book = write(&self.inner.faults);
        *book = FaultBook::default();
        self.inner.faults_on.store(false, Ordering::Release);
        self.inner.refuse.send_replace(None);
        drop(book);
        self.inner
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    pub fn faults(&self) -> FaultsView {
        let book = read(&self.inner.faults);
        FaultsView {
            global: book.global.as_ref().map(|a| a.spec.clone()),
            apps: book
                .apps
                .iter()
                .map(|(id, a)| (id.clone(), a.spec.clone()))
                .collect(),
        }
    }

    pub(crate) fn faults_enabled(&self) -> bool {
        self.inner.faults_on.load(Ordering::Acquire)
    }

    pub(crate) fn faults_for(&self, app: Option<&str>, path: &str) -> Option<Arc<ActiveFaults>> {
        read(&self.inner.faults).for_request(app, path)
    }

    pub(crate) fn rate_limit(
        &self,
        generation: u64,
        key: &str,
        limit: &RateLimit,
    ) -> Result<(), std::time::Duration> {
        self.inner
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(generation, key, limit, Instant::now())
    }

    pub(crate) fn refuse_watch(&self) -> watch::Receiver<Option<Instant>> {
        self.inner.refuse.subscribe()
    }

    // ----- request log -----------------------------------------------------

    /// Logged requests with `seq > since`, oldest first.
    pub fn requests(&self, since: u64, limit: usize) -> Vec<LoggedRequest> {
        self.inner.log.since(since, limit)
    }

    pub fn clear_requests(&self) {
        self.inner.log.clear();
    }
}

fn user_info(store: &Store, id: u64) -> UserInfo {
    let Some(user) = store.user(id) else {
        return UserInfo {
            id: id.to_string(),
            username: String::new(),
            boards: Vec::new(),
        };
    };
    let boards = store.boards_page(id, None, usize::MAX, |_| true).items;
    UserInfo {
        id: id.to_string(),
        username: user.username.clone(),
        boards: boards
            .into_iter()
            .rev()
            .map(|b| BoardInfo {
                id: b.id.to_string(),
                name: b.name.clone(),
                pin_count: store.pin_count_of_board(b.id),
            })
            .collect(),
    }
}
