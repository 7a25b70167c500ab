//! pinterest-sim: an offline Pinterest that speaks API v5's wire format (see the
//! `pinterest-sim` binary and `pinterest-sim --help`).
//!
//! pinbridge uses it only as a dev-dependency (its tests start one in process)
//! and as a binary (`make run`, the end-to-end suite, benchmarks). In-process use:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use pinterest_sim::{SimConfig, spawn};
//! let sim = spawn(SimConfig::default()).await?; // 127.0.0.1, free port, demo data
//! let oauth_authorize = format!("{}/oauth/", sim.base_url());
//! let api_base = sim.api_base(); // http://127.0.0.1:PORT/v5
//! # let _ = (oauth_authorize, api_base);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod authorization;
mod cli;
mod config;
mod demo;
mod errors;
mod faults;
mod media;
mod middleware;
mod model;
mod oauth;
mod pagination;
mod query;
mod request_log;
mod scope;
mod secrets;
mod server;
mod state;
mod store;
mod wire;

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use cli::SimArgs;
pub use config::{
    AppSpec, BoardSpec, ConfigError, ConsentSetting, PinSpec, PinsSpec, SimConfig, TokenLifetimes,
    UserSpec,
};
pub use demo::{DEMO_APP_ID, DEMO_APP_SECRET, DEMO_REDIRECT_URI, DEMO_USERNAME};
pub use errors::ApiError;
pub use faults::{Down, DownMode, ErrorBody, FaultSet, RateLimit};
pub use model::{AccessTier, AccountType, ConsentMode, Environment, Privacy};
pub use request_log::{LoggedRequest, RID_HEADER};
pub use scope::{Scope, ScopeSet};
pub use server::shutdown_signal;
pub use state::{
    AppInfo, BoardInfo, FaultsView, MintRequest, RevokeRequest, SimState, StateView, UserInfo,
};
pub use store::TokenKind;
pub use wire::TokenResponse;

/// The whole simulator as one router (OAuth, API, admin, media), for serving
/// with any server or calling in-process with `tower::ServiceExt::oneshot`.
/// Faults of mode `refuse` need [`spawn`]'s accept loop; elsewhere they act as 503.
pub fn router(state: SimState) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(api::routes())
        .route_layer(from_fn_with_state(state.clone(), middleware::inject))
        .merge(admin::routes())
        .route("/media/pins/{file}", get(media::pin_image))
        .route("/media/users/{file}", get(media::profile_image))
        // Browsers ask for an icon after each page (the consent page): none.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), middleware::observe))
        // `observe` enforces the configured limit with a Pinterest-shaped 413.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// A simulator serving on a local port; stops when dropped or shut down.
pub struct RunningSim {
    addr: SocketAddr,
    state: SimState,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`: the OAuth base (the authorize page is `{base_url}/oauth/`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://HOST:PORT/v5`: the API base (token endpoint `{api_base}/oauth/token`).
    pub fn api_base(&self) -> String {
        format!("{}/v5", self.base_url())
    }

    /// In-process control: the same operations as the admin API.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Stops accepting, lets open requests finish (up to 5 s), then returns.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Binds `config.addr` (port 0 allowed), builds the state and serves it in a
/// background task.
pub async fn spawn(mut config: SimConfig) -> io::Result<RunningSim> {
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let state = SimState::new(&config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(
        listener,
        router(state.clone()),
        state.refuse_watch(),
        shutdown_rx,
    ));
    Ok(RunningSim {
        addr,
        state,
        shutdown,
        task: Some(task),
    })
}
