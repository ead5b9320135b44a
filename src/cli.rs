//! Command line: `taskgate serve` (the default) and `taskgate migrate`.

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::{db, secret, Application};

#[derive(Debug, Parser)]
#[command(
    name = "taskgate",
    version,
    about = "Auth-and-data-isolation server: sign-up, login, sessions and per-user tasks"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve HTTP until SIGINT/SIGTERM (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
}

/// Runs the chosen command with an already-read configuration.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(config)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => {
            secret::resolve(&config)?;
            let pool = db::build_pool(&config)?;
            let applied = db::run_migrations(&pool)?;
            println!("migrations applied: {applied}");
        }
    }
    Ok(())
}
