//! The pinbridge server: configuration, start-up, router and operations endpoints, and the end user's connect pages.

pub mod admin;
pub mod api;
pub mod assets;
pub mod audit_commands;
pub mod backup;
pub mod brand;
pub mod client_ip;
pub mod compression;
pub mod config;
pub mod connect;
pub mod headers;
pub mod key_commands;
pub mod keys;
pub mod mcp;
pub mod memory;
pub mod metrics;
pub mod ops;
pub mod pipeline_commands;
pub mod router;
pub mod start_error;
pub mod startup;
pub mod state;
pub mod telemetry;

use std::net::SocketAddr;

use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use config::Config;
use startup::StartError;

/// Leptos' options built from our configuration (not from `LEPTOS_*` variables),
/// so the binary runs the same inside and outside cargo-leptos.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("pinbridge")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen_addr)
        .build()
}

/// How often API usage counted in memory is written.
pub const API_USAGE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A started server: its address, and a handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the metrics listener listens, when `PINBRIDGE_METRICS_ADDR` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub services: domain::Services,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, lets requests in flight finish, and closes the database.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        let result = self
            .task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        self.services.db.close().await;
        result
    }
}

/// Starts pinbridge on an already bound listener and returns at once.
pub async fn start(config: &Config, listener: TcpListener) -> Result<Running, StartError> {
    // Before the database is touched, as with the main listener.
    let metrics_listener = startup::bind_metrics(config).await?;
    let services = startup::prepare_services(config).await?;
    // The dummy hash that unknown-email sign-ins verify against: computed now, so
    // the first such sign-in does not take longer and give the email away.
    if let Err(e) = services.hasher.warm_up().await {
        tracing::warn!(error = %e, "could not prepare the sign-in dummy hash");
    }
    let addr = listener.local_addr().map_err(|e| StartError::Listen {
        addr: config.listen_addr.to_string(),
        message: e.to_string(),
    })?;
    let mcp_shutdown = tokio_util::sync::CancellationToken::new();
    let metrics = metrics::Metrics::new(&config.metrics, services.clone());
    let app = router::router(
        state::AppState {
            services: services.clone(),
            leptos_options: leptos_options(config),
            trusted_proxies: std::sync::Arc::new(config.trusted_proxies.clone()),
            mcp_shutdown: mcp_shutdown.clone(),
            metrics: metrics.clone(),
        },
        config.secure_cookies(),
    );
    let metrics_stop = tokio_util::sync::CancellationToken::new();
    let (metrics_addr, metrics_server) = match (&metrics, metrics_listener) {
        (Some(metrics), Some(listener)) => {
            let addr = listener.local_addr().ok();
            let served = axum::serve(listener, metrics.router())
                .with_graceful_shutdown(metrics_stop.clone().cancelled_owned());
            (addr, Some(tokio::spawn(served.into_future())))
        }
        _ => (None, None),
    };
    let upkeep = metrics.as_ref().map(metrics::Metrics::spawn_upkeep);
    let cleanup = router::spawn_session_cleanup(&services);
    let scheduler = tokio::spawn(domain::connections::scheduler::run(
        services.clone(),
        config.scheduler_interval,
    ));
    let webhooks = tokio::spawn(domain::webhooks::deliver::run(services.clone()));
    let api_usage = tokio::spawn(domain::api::run_maintenance(
        services.clone(),
        API_USAGE_EVERY,
    ));
    // Reported every few seconds with the key ring's ids, so that `pinbridge
    // keys rotate` knows whether every serving process can open what it seals.
    let instance = domain::keys::instances::describe(&services.keys, env!("CARGO_PKG_VERSION"));
    let instance_id = instance.id.clone();
    if let Err(e) = domain::keys::instances::join(&services.db, &instance).await {
        tracing::warn!(error = %e, "could not report this instance to the database");
    }
    let heartbeat = tokio::spawn(domain::keys::instances::report(
        services.db.clone(),
        instance,
    ));
    let flush = services.clone();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // TCP_NODELAY: a streamed answer (an MCP tool result as a server-sent
        // event) goes out in more than one write; without it, Nagle's algorithm
        // held the last one until the client's delayed ACK, 40 ms later.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
            mcp_shutdown.cancel();
        })
        .await;
        cleanup.abort();
        scheduler.abort();
        webhooks.abort();
        api_usage.abort();
        heartbeat.abort();
        if let Err(e) = domain::keys::instances::leave(&flush.db, &instance_id).await {
            tracing::warn!(error = %e, "could not remove this instance's row at shutdown");
        }
        metrics_stop.cancel();
        if let Some(server) = metrics_server
            && let Ok(Err(e)) = server.await
        {
            tracing::warn!(error = %e, "the metrics listener stopped with an error");
        }
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
        // What the API counted since the last write.
        if let Err(e) = domain::api::maintain(&flush, true).await {
            tracing::warn!(error = %e, "could not write API usage at shutdown");
        }
        served
    });
    Ok(Running {
        addr,
        metrics_addr,
        services,
        shutdown,
        task,
    })
}

/// Listens for Ctrl-C and SIGTERM from the moment it is called, so a signal that
/// arrives during start-up is not lost: the returned future resolves on the first.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
