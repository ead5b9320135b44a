//! `taskgate sessions list|revoke`.

use anyhow::bail;
use clap::{ArgGroup, Subcommand};
use serde::Serialize;

use super::output;
use super::users::find;
use crate::db::{self, sessions};
use crate::http::api::dto::rfc3339;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List live sessions (of one user with --user)
    List {
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke the sessions of one user, or of everyone
    #[command(group(ArgGroup::new("who").required(true).args(["user", "all"])))]
    Revoke {
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Revoke every session of every user
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Serialize)]
struct SessionRow {
    id: String,
    user_id: String,
    user_agent: Option<String>,
    ip: Option<String>,
    created_at: String,
    last_used_at: String,
}

pub async fn run(cmd: SessionsCommand, state: &AppState) -> anyhow::Result<()> {
    match cmd {
        SessionsCommand::List { user, json } => {
            let owner = match user {
                Some(email) => Some(find(state, &email).await?.id),
                None => None,
            };
            let idle = state.session_idle;
            let rows = db::run(&state.pool, move |conn| {
                sessions::list_all_live(conn, owner, db::now(), idle)
            })
            .await?;
            let rows: Vec<SessionRow> = rows
                .into_iter()
                .map(|s| SessionRow {
                    created_at: rfc3339(s.created_at),
                    last_used_at: rfc3339(s.last_used_at),
                    id: s.id.to_string(),
                    user_id: s.user_id.to_string(),
                    user_agent: s.user_agent,
                    ip: s.ip,
                })
                .collect();
            output::print(
                json,
                &["ID", "USER", "IP", "LAST USED", "DEVICE"],
                &rows,
                |r| {
                    vec![
                        r.id.clone(),
                        r.user_id.clone(),
                        r.ip.clone().unwrap_or_default(),
                        r.last_used_at.clone(),
                        r.user_agent.clone().unwrap_or_default(),
                    ]
                },
            )
        }
        SessionsCommand::Revoke { user, all } => {
            let owner = match (user, all) {
                (Some(email), false) => Some(find(state, &email).await?.id),
                (None, true) => None,
                _ => bail!("give exactly one of --user EMAIL or --all"),
            };
            let n = db::write(&state.pool, move |conn| match owner {
                Some(user) => sessions::revoke_others(conn, user, None),
                None => sessions::revoke_everyone(conn),
            })
            .await?;
            tracing::info!(target: "audit", event = "sessions_revoked", count = n, via = "cli");
            println!("revoked {n} session(s)");
            Ok(())
        }
    }
}
