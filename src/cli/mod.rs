//! Command line (clap): `serve` (the default), `migrate`, and the admin
//! commands `users`, `sessions`, `tokens`, `keys`, `mail`, `gen-secret`. Admin
//! commands work on SQLite and PostgreSQL alike, print tables for people and
//! `--json` for scripts, and exit non-zero with a one-line message on bad input.

mod keys;
mod mail;
mod output;
mod sessions;
mod tokens;
mod users;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::secrets;
use crate::state::AppState;
use crate::{db, Application};

#[derive(Debug, Parser)]
#[command(
    name = "taskgate",
    version,
    about = "Auth-and-data-isolation server: sign-up, login, sessions and per-user tasks",
    long_about = "taskgate serves HTML pages and a JSON API over one database of users, \
                  sessions and per-user tasks. Configuration comes from the environment \
                  (and a .env file); see .env.example."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve HTTP until SIGINT/SIGTERM (the default)
    Serve,
    /// Run pending migrations and exit
    Migrate,
    /// List, create or delete accounts
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// List or revoke sessions
    #[command(subcommand)]
    Sessions(sessions::SessionsCommand),
    /// List or rotate the Ed25519 keys that sign access tokens
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Print a new random JWT_SECRET (64 characters) and exit
    GenSecret,
    /// Show the mail outbox (never a message body or a link)
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// List or revoke personal access tokens
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
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
            secrets::resolve(&config)?;
            let pool = db::build_pool(&config)?;
            let applied = db::run_migrations(&pool)?;
            println!("migrations applied: {applied}");
        }
        Command::Keys(cmd) => keys::run(cmd, &config).await?,
        Command::GenSecret => println!("{}", secrets::generate()),
        Command::Users(cmd) => users::run(cmd, &admin_state(config)?).await?,
        Command::Sessions(cmd) => sessions::run(cmd, &admin_state(config)?).await?,
        Command::Mail(cmd) => mail::run(cmd, &admin_state(config)?).await?,
        Command::Tokens(cmd) => tokens::run(cmd, &admin_state(config)?).await?,
    }
    Ok(())
}

/// The same state the server builds, migrated, for admin commands.
fn admin_state(config: Config) -> anyhow::Result<AppState> {
    let pool = db::build_pool(&config)?;
    db::run_migrations(&pool)?;
    AppState::with_pool(pool, config)
}
