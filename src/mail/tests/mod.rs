//! The mail path end to end: lettre against the in-memory SMTP sink, `.eml`
//! files (`transport`), and the outbox worker on a real database (`worker`;
//! SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set). This file is the
//! harness they share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/api/smtp_sink.rs"]
mod smtp_sink;

mod shared_outbox;
mod transport;
mod worker;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use smtp_sink::{Mode, SmtpSink};
use tempfile::TempDir;

use super::*;
use crate::config::Config;
use crate::db::{self, outbox as rows, schema::outbox, Pool};

const WAIT: Duration = Duration::from_secs(20);

/// Reversible and bound to its context, like the real sealer; not encryption.
struct TestSealer(&'static str);

impl BodySealer for TestSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let tag = URL_SAFE_NO_PAD.encode([self.0.as_bytes(), context].concat());
        format!("test.{tag}.{}", URL_SAFE_NO_PAD.encode(plaintext))
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Option<Vec<u8>> {
        let (tag, body) = sealed.strip_prefix("test.")?.split_once('.')?;
        let expected = URL_SAFE_NO_PAD.encode([self.0.as_bytes(), context].concat());
        (tag == expected).then(|| URL_SAFE_NO_PAD.decode(body).ok())?
    }
}

/// A fresh database for one test (dropped at its end on PostgreSQL).
fn database_url(dir: &TempDir) -> String {
    crate::db::test_database::fresh_database_in(dir.path(), "mail.db")
}

fn pool_for(url: &str) -> Pool {
    let config = Config::from_lookup(|key| match key {
        "DATABASE_URL" => Some(url.to_owned()),
        "JWT_SECRET" => Some("mail-test-secret-mail-test-secret-0123".to_owned()),
        _ => None,
    })
    .unwrap();
    let pool = db::build_pool(&config).unwrap();
    db::run_migrations(&pool).unwrap();
    pool
}

fn from() -> Mailbox {
    settings::DEFAULT_FROM.parse().unwrap()
}

fn quick() -> WorkerSettings {
    WorkerSettings {
        retry: RetryPolicy {
            first_delay: Duration::from_millis(300),
            factor: 2,
            max_delay: Duration::from_secs(1),
            max_attempts: 4,
        },
        lease: Duration::from_secs(2),
        idle_poll: Duration::from_millis(200),
    }
}

struct Env {
    dir: TempDir,
    url: String,
    pool: Pool,
    outbox: Outbox,
    sink: SmtpSink,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let pool = pool_for(&url);
    Env {
        dir,
        url,
        pool,
        outbox: Outbox::new(Arc::new(TestSealer("k1"))),
        sink: SmtpSink::start().await,
    }
}

impl Env {
    fn worker(&self, pool: Pool, outbox: Outbox, settings: WorkerSettings) -> WorkerHandle {
        let config = SmtpConfig::parse(&self.sink.url()).unwrap();
        spawn_worker(Worker {
            pool,
            outbox,
            mailer: Arc::new(Mailer::new(&TransportConfig::Smtp(config)).unwrap()),
            from: from(),
            settings,
        })
    }

    async fn enqueue(&self, to: &str, mail: Mail<'static>) -> String {
        let composed = compose(
            &mail,
            &MailContext {
                public_url: "http://localhost:8080",
                at: db::now(),
            },
        );
        let outbox = self.outbox.clone();
        let to = to.to_owned();
        let id = db::run(&self.pool, move |c| outbox.enqueue(c, &to, &composed))
            .await
            .unwrap();
        self.outbox.wake();
        id
    }

    async fn row(&self, id: &str) -> (rows::OutboxEntry, Option<String>) {
        let id = id.to_owned();
        db::run(&self.pool, move |c| {
            let entry = rows::list(c, 1000)?
                .into_iter()
                .find(|e| e.id == id)
                .unwrap();
            let body = outbox::table
                .find(&id)
                .select(outbox::body_sealed)
                .get_result::<Option<String>>(c)?;
            Ok::<_, diesel::result::Error>((entry, body))
        })
        .await
        .unwrap()
    }

    async fn wait_row(
        &self,
        id: &str,
        done: impl Fn(&rows::OutboxEntry) -> bool,
    ) -> (rows::OutboxEntry, Option<String>) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let row = self.row(id).await;
            if done(&row.0) {
                return row;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "row never got there: {:?}",
                row.0
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
