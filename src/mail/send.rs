//! The one call a flow makes to send mail after its own change has committed
//! (or, with [`Outbox::enqueue`] inside its transaction, as part of it).

use super::{compose, Mail, MailContext, Outbox};
use crate::db;
use crate::error::Fault;
use crate::state::AppState;

impl AppState {
    /// Queues `mail` for `to` and wakes this process's worker. A
    /// token-carrying mail beyond the per-address hourly limit is silently
    /// not queued: the caller answers exactly as if it had been.
    pub async fn send_mail(&self, to: &str, mail: &Mail<'_>) -> Result<(), Fault> {
        let composed = compose(mail, &self.mail_context());
        let (outbox, to) = (self.outbox.clone(), to.to_owned());
        db::write(&self.pool, move |conn| {
            outbox.enqueue_limited(conn, &to, &composed)
        })
        .await?;
        self.outbox.wake();
        Ok(())
    }

    /// What every message is composed with: links from `PUBLIC_URL`, and now.
    pub fn mail_context(&self) -> MailContext<'_> {
        MailContext {
            public_url: self.public_url.as_str(),
            at: db::now(),
        }
    }
}

/// Starts this process's mail worker and says where mail goes.
pub fn start_worker(
    state: &AppState,
    settings: super::WorkerSettings,
) -> anyhow::Result<super::WorkerHandle> {
    let mailer = super::Mailer::new(&state.mail.transport)?;
    tracing::info!(to = %mailer.describe(), "mail delivery");
    Ok(super::spawn_worker(super::Worker {
        pool: state.pool.clone(),
        outbox: state.outbox.clone(),
        mailer: std::sync::Arc::new(mailer),
        from: state.mail.from.clone(),
        settings,
    }))
}

/// The outbox of a process, sealing bodies with the server's key.
pub fn outbox_for(keys: &crate::secrets::ServerKeys) -> Outbox {
    Outbox::new(std::sync::Arc::new(
        keys.sealer(crate::secrets::Purpose::MailLinks),
    ))
}
