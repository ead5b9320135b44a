//! Putting mail into the outbox: the body sealed, the row due at once, and
//! a wake-up for this process's worker.

use std::sync::Arc;

use chrono::Duration;
use diesel::{Connection, QueryResult};
use tokio::sync::Notify;

use super::{BodySealer, Composed};
use crate::db::{self, outbox, AnyConnection};

/// The contract's limit: at most this many token-carrying mails per address
/// per [`TOKEN_MAIL_WINDOW`], all purposes together.
pub const TOKEN_MAILS_PER_WINDOW: i64 = 3;
/// See [`TOKEN_MAILS_PER_WINDOW`].
pub const TOKEN_MAIL_WINDOW: Duration = Duration::hours(1);

/// The sealing context of an outbox row: its id, so a sealed body copied onto
/// another row does not open there.
pub fn seal_context(id: &str) -> Vec<u8> {
    format!("outbox:{id}").into_bytes()
}

/// The request side of the outbox, shared by every flow of one process (clone
/// it freely) and by that process's worker.
#[derive(Clone)]
pub struct Outbox {
    sealer: Arc<dyn BodySealer>,
    wake: Arc<Notify>,
}

impl Outbox {
    /// `sealer` encrypts bodies at rest (the server's key from `JWT_SECRET`).
    pub fn new(sealer: Arc<dyn BodySealer>) -> Self {
        Self {
            sealer,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Queues `mail` for `to` (an already normalised address) and returns the
    /// outbox id. A plain insert, so it can join the caller's transaction: the
    /// mail then goes out only if the change it reports commits. Call
    /// [`Outbox::wake`] after the commit; otherwise the worker finds the row on
    /// its next poll.
    pub fn enqueue(
        &self,
        conn: &mut AnyConnection,
        to: &str,
        mail: &Composed,
    ) -> QueryResult<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = self.sealer.seal(mail.body.as_bytes(), &seal_context(&id));
        let now = db::now();
        outbox::insert(
            conn,
            &outbox::NewOutboxRow {
                id: &id,
                to_addr: to,
                kind: mail.kind.as_str(),
                subject: &mail.subject,
                body_sealed: Some(&sealed),
                carries_token: mail.kind.carries_token(),
                status: outbox::PENDING,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            },
        )?;
        Ok(id)
    }

    /// Like [`Outbox::enqueue`], but a token-carrying mail beyond the
    /// per-address limit is not queued (`None`): the request still answers
    /// as if it had been. Count and insert share one transaction, which on
    /// SQLite (one writer at a time) makes the limit exact; on PostgreSQL two
    /// requests racing for the last slot may both get it.
    pub fn enqueue_limited(
        &self,
        conn: &mut AnyConnection,
        to: &str,
        mail: &Composed,
    ) -> QueryResult<Option<String>> {
        if !mail.kind.carries_token() {
            return self.enqueue(conn, to, mail).map(Some);
        }
        conn.transaction(|conn| {
            let since = db::now() - TOKEN_MAIL_WINDOW;
            if outbox::count_recent_token_mails(conn, to, since)? >= TOKEN_MAILS_PER_WINDOW {
                return Ok(None);
            }
            self.enqueue(conn, to, mail).map(Some)
        })
    }

    /// Tells this process's worker that a message is waiting (after commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn sealer(&self) -> &dyn BodySealer {
        self.sealer.as_ref()
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// The server's AES-GCM sealer (key derived from `JWT_SECRET`) seals queued bodies.
impl BodySealer for crate::secrets::Sealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        crate::secrets::Sealer::seal(self, plaintext, context)
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Option<Vec<u8>> {
        crate::secrets::Sealer::open(self, sealed, context).ok()
    }
}
