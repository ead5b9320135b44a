//! `taskgate mail list`: the outbox as the operator sees it — id, recipient,
//! kind, status, attempts and last error. Never a body or a token: the list
//! reads only the columns that cannot hold one.

use clap::Subcommand;
use serde::Serialize;

use super::output::{self, printable};
use crate::db::{self, outbox};
use crate::http::api::dto::rfc3339;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List queued, sent and failed mail, newest first
    List {
        /// At most this many messages
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        limit: i64,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Serialize)]
struct MailRow {
    id: String,
    to: String,
    kind: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: String,
    next_attempt_at: Option<String>,
    sent_at: Option<String>,
}

impl From<outbox::OutboxEntry> for MailRow {
    fn from(e: outbox::OutboxEntry) -> Self {
        let pending = e.status == outbox::PENDING;
        Self {
            id: e.id,
            to: e.to_addr,
            kind: e.kind,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: rfc3339(e.created_at),
            next_attempt_at: pending.then(|| rfc3339(e.next_attempt_at)),
            sent_at: e.sent_at.map(rfc3339),
            status: e.status,
        }
    }
}

pub async fn run(cmd: MailCommand, state: &AppState) -> anyhow::Result<()> {
    match cmd {
        MailCommand::List { limit, json } => {
            let rows = db::run(&state.pool, move |conn| outbox::list(conn, limit)).await?;
            let rows: Vec<MailRow> = rows.into_iter().map(MailRow::from).collect();
            output::print(
                json,
                &[
                    "ID",
                    "TO",
                    "KIND",
                    "STATUS",
                    "ATTEMPTS",
                    "CREATED",
                    "LAST ERROR",
                ],
                &rows,
                |r| {
                    vec![
                        printable(&r.id),
                        printable(&r.to),
                        printable(&r.kind),
                        printable(&r.status),
                        r.attempts.to_string(),
                        r.created_at.clone(),
                        printable(r.last_error.as_deref().unwrap_or("")),
                    ]
                },
            )
        }
    }
}
