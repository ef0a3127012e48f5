//! The api binary: `api serve` (the default) runs the service, `api accounts …` manages staff
//! accounts from the command line.

use std::process::ExitCode;

/// mimalloc returns freed pages to the OS soon after a flood (of unfinished requests, of password
/// checks' 64 MB buffers); glibc's per-thread arenas kept the peak for good (api/tests/memory.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use api::cli::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    let settings = match api::Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    api::telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Accounts { action } => match api::cli::run_accounts(&settings, action).await {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve => {
            let started = match api::Application::build(settings).await {
                Ok(app) => app.serve().await.map_err(Into::into),
                Err(e) => Err(e),
            };
            match started {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("start-up failed: {e}");
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
