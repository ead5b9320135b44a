//! taskgate's entry point: read `.env` and the environment, then run the command.

use clap::Parser;
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    // A real environment variable wins over `.env` (dotenvy never overrides).
    let _ = dotenvy::dotenv();
    let cli = taskgate::cli::Cli::parse();
    taskgate::telemetry::init();
    let result = match taskgate::config::Config::from_env() {
        Ok(config) => taskgate::cli::run(cli, config).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the reason and its causes, never a panic trace.
            let line = format!("{e:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("taskgate: error: {line}");
            ExitCode::FAILURE
        }
    }
}
