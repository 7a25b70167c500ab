//! `pinterest-sim`: an offline Pinterest API v5. See `pinterest-sim --help`.

use std::process::ExitCode;

use clap::Parser;
use pinterest_sim::{SimArgs, SimConfig, shutdown_signal, spawn};
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
    // Listen for Ctrl-C and SIGTERM before announcing readiness: a signal sent
    // as soon as the line below appears must stop the simulator gracefully.
    let stop = match shutdown_signal() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("pinterest-sim: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
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
    stop.await;
    tracing::info!("pinterest-sim stopping");
    sim.shutdown().await;
    ExitCode::SUCCESS
}
