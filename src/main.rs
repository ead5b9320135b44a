//! taskgate's entry point: read `.env` and the environment, then run the command.

use clap::Parser;
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    // `./.env` only: dotenvy's `dotenv()` walks up the parent folders, so
    // anyone who can write a `.env` above the working folder could set
    // JWT_SECRET or TRUSTED_PROXIES. A real environment variable wins (dotenvy
    // never overrides); a missing file is fine, an unreadable one is an error.
    if let Err(e) = dotenvy::from_path(".env") {
        if !e.not_found() {
            eprintln!("taskgate: error: .env: {e}");
            return ExitCode::FAILURE;
        }
    }
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
