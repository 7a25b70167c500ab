//! `pinterest-sim`: an offline Pinterest API v5. See `pinterest-sim --help`.

use std::process::ExitCode;

use clap::Parser;
use server::sim::{SimArgs, SimConfig, spawn};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let args = SimArgs::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match SimConfig::from_args(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("pinterest-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match spawn(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("pinterest-sim: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Scripts and tests wait for this line (and read the port from it).
    println!("pinterest-sim listening on {}", sim.base_url());
    tracing::info!(
        authorize = %format!("{}/oauth/", sim.base_url()),
        api = %sim.api_base(),
        "pinterest-sim ready"
    );
    shutdown_signal().await;
    tracing::info!("pinterest-sim stopping");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
