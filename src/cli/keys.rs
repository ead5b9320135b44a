//! `taskgate keys list|rotate`: the Ed25519 signing keys in the database.

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;

use super::output;
use crate::auth::signing::{store, KeyState};
use crate::config::Config;
use crate::db;
use crate::db::connection::PooledConn;
use crate::http::api::dto::rfc3339;
use crate::secrets::{self, Purpose, ServerKeys};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the published keys: kid, created, state (next / current / retired) and, for a
    /// retired key, when it stops verifying
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create a key that signs from now on (for a suspected leak). Every running process
    /// signs with it within 5 s; the previous key keeps verifying until its tokens expire.
    Rotate,
}

#[derive(Serialize)]
struct KeyRow {
    kid: String,
    created_at: String,
    activates_at: String,
    state: KeyState,
    expires_at: Option<String>,
    decrypts: bool,
}

pub async fn run(cmd: KeysCommand, config: &Config) -> anyhow::Result<()> {
    let sealer = ServerKeys::from_secret(&secrets::resolve(config)?).sealer(Purpose::SigningKeys);
    let pool = db::build_pool(config)?;
    db::run_migrations(&pool)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let pooled: &mut PooledConn = &mut conn;
    let conn = &mut pooled.inner;
    let now = db::now();
    match cmd {
        KeysCommand::Rotate => {
            let kid = store::rotate_now(conn, &sealer, now)?;
            tracing::info!(target: "audit", event = "signing_key_rotated", kid = %kid, via = "cli");
            println!("new signing key {kid}; running servers sign with it within 5 s");
        }
        KeysCommand::List { json } => {
            let (keys, _) = store::load(conn, &sealer, now, config.access_token_ttl)?;
            let rows: Vec<KeyRow> = keys
                .list(now)
                .into_iter()
                .map(|k| KeyRow {
                    kid: k.kid,
                    created_at: rfc3339(k.created_at),
                    activates_at: rfc3339(k.activates_at),
                    state: k.state,
                    expires_at: k.expires_at.map(rfc3339),
                    decrypts: k.decrypts,
                })
                .collect();
            output::print(
                json,
                &["KID", "CREATED", "STATE", "EXPIRES", "DECRYPTS"],
                &rows,
                |r| {
                    vec![
                        r.kid.clone(),
                        r.created_at.clone(),
                        format!("{:?}", r.state).to_lowercase(),
                        r.expires_at.clone().unwrap_or_default(),
                        if r.decrypts {
                            "yes"
                        } else {
                            "no (other secret)"
                        }
                        .to_owned(),
                    ]
                },
            )?;
        }
    }
    Ok(())
}
