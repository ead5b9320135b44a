//! `taskgate tokens list|revoke`: personal access tokens, for an operator.

use anyhow::bail;
use clap::{ArgGroup, Subcommand};
use serde::Serialize;

use super::output;
use super::users::find;
use crate::db::{self, pats};
use crate::domain::PatId;
use crate::http::api::dto::rfc3339;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// List tokens that are not revoked (of one user with --user)
    List {
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one token by id, or every token of one user
    #[command(group(ArgGroup::new("which").required(true).args(["id", "user"])))]
    Revoke {
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: String,
    user_id: String,
    user_email: String,
    name: String,
    scopes: Vec<&'static str>,
    created_at: String,
    expires_at: String,
    last_used_at: Option<String>,
}

pub async fn run(cmd: TokensCommand, state: &AppState) -> anyhow::Result<()> {
    match cmd {
        TokensCommand::List { user, json } => {
            let owner = match user {
                Some(email) => Some(find(state, &email).await?.id),
                None => None,
            };
            let rows = db::run(&state.pool, move |conn| pats::list_all(conn, owner)).await?;
            let rows: Vec<TokenRow> = rows
                .into_iter()
                .map(|(p, email)| TokenRow {
                    id: p.id.to_string(),
                    user_id: p.user_id.to_string(),
                    user_email: email,
                    scopes: p.scopes().map(|s| s.names()).unwrap_or_default(),
                    created_at: rfc3339(p.created_at),
                    expires_at: rfc3339(p.expires_at),
                    last_used_at: p.last_used_at.map(rfc3339),
                    name: p.name,
                })
                .collect();
            output::print(
                json,
                &["ID", "USER", "NAME", "SCOPES", "EXPIRES", "LAST USED"],
                &rows,
                |r| {
                    vec![
                        r.id.clone(),
                        r.user_email.clone(),
                        r.name.clone(),
                        r.scopes.join(","),
                        r.expires_at.clone(),
                        r.last_used_at.clone().unwrap_or_else(|| "never".to_owned()),
                    ]
                },
            )
        }
        TokensCommand::Revoke { id, user } => match (id, user) {
            (Some(id), None) => {
                let Some(pat) = PatId::parse(&id) else {
                    bail!("'{}' is not a token id (a UUID)", output::printable(&id));
                };
                match db::write(&state.pool, move |conn| pats::revoke_any(conn, pat)).await? {
                    Some(owner) => {
                        tracing::info!(target: "audit", event = "pat_revoked", user_id = %owner, pat_id = %pat, via = "cli");
                        println!("revoked token {pat}");
                        Ok(())
                    }
                    None => bail!("no active token with id {pat}"),
                }
            }
            (None, Some(email)) => {
                let owner = find(state, &email).await?.id;
                let n = db::write(&state.pool, move |conn| {
                    pats::revoke_all_for_user(conn, owner)
                })
                .await?;
                tracing::info!(target: "audit", event = "pats_revoked", user_id = %owner, count = n, via = "cli");
                println!("revoked {n} token(s)");
                Ok(())
            }
            _ => bail!("give exactly one of --id ID or --user EMAIL"),
        },
    }
}
