//! `taskgate users list|create|delete`.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde::Serialize;

use super::output;
use crate::auth::service::{self, Signup, SignupError};
use crate::db::{self, users};
use crate::domain::Email;
use crate::error::FieldErrors;
use crate::http::api::dto::rfc3339;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List every account
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Create an account; the password is read from the first line of standard input
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an account with its sessions and tasks
    Delete {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Serialize)]
struct UserRow {
    id: String,
    email: String,
    name: Option<String>,
    created_at: String,
}

fn row(u: &users::User) -> UserRow {
    UserRow {
        id: u.id.to_string(),
        email: u.email.clone(),
        name: u.name.clone(),
        created_at: rfc3339(u.created_at),
    }
}

pub async fn run(cmd: UsersCommand, state: &AppState) -> anyhow::Result<()> {
    match cmd {
        UsersCommand::List { json } => {
            let all = db::run(&state.pool, users::list_all).await?;
            let rows: Vec<UserRow> = all.iter().map(row).collect();
            output::print(json, &["ID", "EMAIL", "NAME", "CREATED"], &rows, |r| {
                vec![
                    r.id.clone(),
                    r.email.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.created_at.clone(),
                ]
            })
        }
        UsersCommand::Create { email, name, json } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.strip_suffix('\n').unwrap_or(&password);
            let password = password.strip_suffix('\r').unwrap_or(password).to_owned();
            let input = Signup::parse(&email, password, &name).map_err(describe_fields)?;
            let user = service::create_account(state, input)
                .await
                .map_err(|e| match e {
                    SignupError::EmailTaken => anyhow::anyhow!("{e}"),
                    SignupError::Fault(f) => f.into(),
                })?;
            tracing::info!(target: "audit", event = "signup", user_id = %user.id, via = "cli");
            output::print(
                json,
                &["ID", "EMAIL", "NAME", "CREATED"],
                &[row(&user)],
                |r| {
                    vec![
                        r.id.clone(),
                        r.email.clone(),
                        r.name.clone().unwrap_or_default(),
                        r.created_at.clone(),
                    ]
                },
            )
        }
        UsersCommand::Delete { email } => {
            let user = find(state, &email).await?;
            let id = user.id;
            db::write(&state.pool, move |conn| users::delete(conn, id)).await?;
            tracing::info!(target: "audit", event = "account_deleted", user_id = %id, via = "cli");
            println!("deleted {}", user.email);
            Ok(())
        }
    }
}

/// The account with this email, or a clear error.
pub async fn find(state: &AppState, email: &str) -> anyhow::Result<users::User> {
    let parsed = Email::parse(email).map_err(|e| anyhow::anyhow!("'{email}': {e}"))?;
    match db::run(&state.pool, move |conn| users::find_by_email(conn, &parsed)).await? {
        Some(u) => Ok(u),
        None => bail!("no account with email '{email}'"),
    }
}

/// Validation failures as one line a person can act on.
pub fn describe_fields(fields: FieldErrors) -> anyhow::Error {
    anyhow::anyhow!(fields
        .iter()
        .map(|(f, r)| format!("{f}: {r}"))
        .collect::<Vec<_>>()
        .join("; "))
}
