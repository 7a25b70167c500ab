//! `pinbridge`: serve the portal, or run one administrative command.

use std::fmt;
use std::process::ExitCode;

use clap::Parser;
use server::admin::{self, AdminError};
use server::config::{Cli, Command, Config, KeysCommand, OperatorCommand};
use server::key_commands;
use server::startup::StartError;

#[tokio::main]
async fn main() -> ExitCode {
    server::memory::tune_allocator();
    let cli = Cli::parse();
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(e) => return fail(&StartError::Config(e), 2),
    };
    server::telemetry::init(&config.log, config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => started(serve(&config).await),
        Command::Migrate => started(server::startup::migrate(&config).await.map(|()| {
            println!("pinbridge: migrations applied ({})", config.backend.label());
        })),
        Command::SetupLink => finished(admin::setup_link(&config).await.map(|link| {
            println!("{}", link.expose());
            eprintln!(
                "This link works once, for {}; `pinbridge setup-link` makes a new one.",
                domain::accounts::policy::describe(config.accounts.setup_link_lifetime)
            );
        })),
        Command::Operator {
            command: OperatorCommand::Create(args),
        } => {
            let mut stdin = std::io::stdin().lock();
            finished(
                admin::operator_create(&config, &args, &mut stdin)
                    .await
                    .map(|report| print!("{}", report.as_str())),
            )
        }
        Command::Keys { command } => finished(match command {
            KeysCommand::Add { id } => key_commands::add(&config, id.as_deref())
                .await
                .map(|out| print!("{}", out.as_str())),
            KeysCommand::Rotate { batch_size } => key_commands::rotate(&config, batch_size)
                .await
                .map(|out| println!("{out}")),
            KeysCommand::Status => key_commands::status(&config)
                .await
                .map(|out| print!("{out}")),
            KeysCommand::Retire { id } => key_commands::retire(&config, &id)
                .await
                .map(|out| println!("{out}")),
        }),
        Command::Backup(args) => reported(server::backup::backup(&config, &args).await),
        Command::Restore(args) => reported(server::backup::restore(&config, &args).await),
        Command::Env { command } => {
            answered(server::pipeline_commands::run(&config, &command).await)
        }
        Command::Audit { command } => {
            answered(server::audit_commands::run(&config, &command).await)
        }
    }
}

async fn serve(config: &Config) -> Result<(), StartError> {
    // Installed first: a SIGTERM during start-up stops pinbridge as soon as it is up.
    let shutdown = server::shutdown_signal().map_err(StartError::Signals)?;
    let listener = server::startup::bind(config).await?;
    let running = server::start(config, listener).await?;
    tracing::info!(addr = %running.addr, database = config.backend.label(), "pinbridge is listening");
    println!("pinbridge is running: open {}/", config.public_url);
    // On stdout only: the link holds a token, which must never reach the log.
    match admin::issue_setup_link(&running.services.db, &config.public_url, &config.accounts).await
    {
        Ok(Some(link)) => println!(
            "First start: create the first workspace and its owner at this one-time link (valid for {}; `pinbridge setup-link` makes a new one):\n  {}",
            domain::accounts::policy::describe(config.accounts.setup_link_lifetime),
            link.expose()
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not issue a first-start setup link"),
    }
    shutdown.await;
    tracing::info!("shutting down: finishing requests in flight");
    if let Err(e) = running.stop().await {
        tracing::error!(error = %e, "server error during shutdown");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The exit code after `serve` or `migrate`.
fn started(result: Result<(), StartError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            fail(&e, code)
        }
    }
}

/// The exit code after an administrative command.
fn finished(result: Result<(), AdminError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, e.exit_code()),
    }
}

/// The exit code after a command whose report goes to stdout, with the code
/// it chose (`audit verify` reports a break and exits 1).
fn answered(result: Result<admin::Answer, AdminError>) -> ExitCode {
    match result {
        Ok(answer) => {
            print!("{}", answer.stdout);
            ExitCode::from(answer.code)
        }
        Err(e) => fail(&e, e.exit_code()),
    }
}

/// The exit code after `backup` or `restore`, whose report goes to stdout.
fn reported(result: Result<String, server::backup::BackupError>) -> ExitCode {
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, e.exit_code()),
    }
}

fn fail(e: &dyn fmt::Display, code: u8) -> ExitCode {
    eprintln!("pinbridge: {e}");
    ExitCode::from(code)
}
