//! The background worker: delivers due outbox rows, retries with exponential
//! backoff, gives up after `max_attempts`, and clears each body once its
//! message is sent or given up.
//!
//! It wakes when this process queues mail ([`Outbox::wake`]), when the next
//! retry is due, and at least every `idle_poll` (for mail queued by another
//! process, or left pending by one that stopped). Rows are claimed with a
//! lease (`db::outbox::claim_next`), so any number of workers on one
//! database deliver each message once.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use lettre::message::Mailbox;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::message::build_message;
use super::queue::seal_context;
use super::transport::{Mailer, SendError};
use super::Outbox;
use crate::db::{self, outbox, Pool};

/// When to try again after a failed attempt, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure (short, so a relay blip costs seconds).
    pub first_delay: Duration,
    /// Each further wait is this many times the previous one…
    pub factor: u32,
    /// …up to this.
    pub max_delay: Duration,
    /// Attempts in all, the first included; then the message is `failed`.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 8 attempts; waits of 2 s, 8 s, 32 s, ~2 min, ~8.5 min, ~34 min, 1 h:
    /// about 1 h 45 min from the first attempt to giving up, by which time a
    /// reset link (1 h) would have expired anyway.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(2),
            factor: 4,
            max_delay: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed attempts (1 = after the first).
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0);
        let factor = self.factor.max(1).saturating_pow(exponent);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// How one worker runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    pub retry: RetryPolicy,
    /// How long a claim holds. Longer than one delivery can take (SMTP's
    /// per-command timeout is 30 s); a process that dies mid-delivery delays
    /// that message by this much.
    pub lease: Duration,
    /// Longest sleep between looks at the table.
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(300),
            idle_poll: Duration::from_secs(10),
        }
    }
}

/// Everything a worker needs.
pub struct Worker {
    pub pool: Pool,
    pub outbox: Outbox,
    pub mailer: Arc<Mailer>,
    pub from: Mailbox,
    pub settings: WorkerSettings,
}

/// The running worker. Dropping it stops the worker at once (as a crash
/// would); [`WorkerHandle::shutdown`] lets the current delivery finish.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Stops after the message in hand (if any) is delivered and recorded.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts `worker` on the current Tokio runtime.
pub fn spawn(worker: Worker) -> WorkerHandle {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(worker.run(stopped));
    WorkerHandle {
        stop,
        task: Some(task),
    }
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let holder = uuid::Uuid::new_v4().to_string();
        while !*stopped.borrow() {
            let next_due = self.drain(&holder, &stopped).await;
            let wait = next_due.map_or(self.settings.idle_poll, |due| {
                (due - db::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(self.settings.idle_poll)
            });
            tokio::select! {
                () = self.outbox.woken() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Delivers every due message, one at a time; returns when the earliest
    /// pending one will be due (`None`: nothing pending, or the database failed).
    async fn drain(&self, holder: &str, stopped: &watch::Receiver<bool>) -> Option<NaiveDateTime> {
        let max = self.settings.retry.max_attempts;
        let lease =
            chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::days(1));
        let gave_up = db::write(&self.pool, move |c| {
            outbox::give_up_exhausted(c, db::now(), max)
        })
        .await;
        if let Ok(n @ 1..) = gave_up {
            tracing::warn!(
                messages = n,
                "mail given up: the last attempt was interrupted"
            );
        }
        while !*stopped.borrow() {
            let holder_owned = holder.to_owned();
            let claimed = db::write(&self.pool, move |c| {
                outbox::claim_next(c, &holder_owned, db::now(), lease, max)
            })
            .await;
            match claimed {
                Ok(Some(message)) => self.deliver(holder, message).await,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "mail worker cannot read the outbox");
                    return None;
                }
            }
        }
        db::run(&self.pool, outbox::next_due).await.ok().flatten()
    }

    async fn deliver(&self, holder: &str, message: outbox::Claimed) {
        let body = message
            .body_sealed
            .as_deref()
            .and_then(|s| self.outbox.sealer().open(s, &seal_context(&message.id)))
            .and_then(|b| String::from_utf8(b).ok());
        let outcome = match body {
            None => Err(SendError::permanent("the stored body cannot be opened")),
            Some(body) => match build_message(
                &self.from,
                &message.to_addr,
                &message.subject,
                &body,
                &message.id,
                message.created_at,
            ) {
                // Well inside the lease, so no other worker takes over a
                // delivery that is still under way.
                Ok(built) => {
                    let limit = self.settings.lease / 2;
                    tokio::time::timeout(limit, self.mailer.send(&message.id, &built))
                        .await
                        .unwrap_or_else(|_| {
                            Err(SendError::transient(format!(
                                "no answer within {} s",
                                limit.as_secs()
                            )))
                        })
                }
                Err(e) => Err(SendError::permanent(e)),
            },
        };
        self.record(holder, &message, outcome).await;
    }

    async fn record(
        &self,
        holder: &str,
        message: &outbox::Claimed,
        outcome: Result<(), SendError>,
    ) {
        let (id, kind, attempts) = (message.id.clone(), message.kind.as_str(), message.attempts);
        let holder = holder.to_owned();
        let retry = self.settings.retry;
        let give_up = matches!(&outcome, Err(e) if e.permanent || attempts >= retry.max_attempts);
        let wait = retry.delay_after(attempts);
        let status = match &outcome {
            Ok(()) => "sent",
            Err(_) if give_up => "failed",
            Err(_) => "retry",
        };
        crate::metrics::get()
            .mails
            .with_label_values(&[status])
            .inc();
        let outcome_db = outcome.clone();
        let id_db = id.clone();
        let held = db::write(&self.pool, move |c| {
            let now = db::now();
            let done = match &outcome_db {
                Ok(()) => outbox::Outcome::Sent { at: now },
                Err(e) if give_up => outbox::Outcome::Failed { error: &e.reason },
                Err(e) => outbox::Outcome::Retry {
                    error: &e.reason,
                    at: now + chrono::Duration::from_std(wait).unwrap_or_default(),
                },
            };
            outbox::finish(c, &id_db, &holder, done)
        })
        .await;
        match (&outcome, held) {
            (_, Err(e)) => tracing::warn!(%id, error = %e, "mail outcome not recorded"),
            (_, Ok(false)) => {
                tracing::warn!(%id, "mail lease ran out before the outcome was recorded")
            }
            (Ok(()), Ok(true)) => tracing::info!(%id, kind, attempts, "mail delivered"),
            (Err(e), Ok(true)) if give_up => {
                tracing::warn!(%id, kind, attempts, error = %e.reason, "mail given up")
            }
            (Err(e), Ok(true)) => tracing::info!(
                %id, kind, attempts, retry_in_secs = wait.as_secs_f64(), error = %e.reason,
                "mail delivery failed; will retry"
            ),
        }
    }
}
