//! `pinbridge`: serve the portal, or run one administrative command.

use std::process::ExitCode;

use clap::Parser;
use server::config::{Cli, Command, Config};
use server::startup::StartError;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(e) => return fail(&StartError::Config(e), 2),
    };
    server::telemetry::init(&config.log, config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => server::startup::migrate(&config).await.map(|()| {
            println!("pinbridge: migrations applied ({})", config.backend.label());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, 1),
    }
}

async fn serve(config: &Config) -> Result<(), StartError> {
    // Installed first: a SIGTERM during start-up stops pinbridge as soon as it is up.
    let shutdown = server::shutdown_signal().map_err(StartError::Signals)?;
    let listener = server::startup::bind(config).await?;
    let running = server::start(config, listener).await?;
    tracing::info!(addr = %running.addr, database = config.backend.label(), "pinbridge is listening");
    println!("pinbridge is running: open {}/", config.public_url);
    shutdown.await;
    tracing::info!("shutting down: finishing requests in flight");
    if let Err(e) = running.stop().await {
        tracing::error!(error = %e, "server error during shutdown");
    }
    tracing::info!("stopped");
    Ok(())
}

fn fail(e: &StartError, code: u8) -> ExitCode {
    eprintln!("pinbridge: {e}");
    ExitCode::from(code)
}
