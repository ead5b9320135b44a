//! Work whose duration must not show in the answer: the requests that accept
//! any address (forgot password, resend a verification while signed out)
//! hand their lookup and mail to a background task and answer at once, so a
//! known and an unknown address cost the request exactly the same.
//!
//! The tasks are bounded: at most [`MAX_RUNNING`] per process. When all are
//! busy the next request waits for one to finish before it answers (for
//! every address alike), so a flood slows down instead of piling up work.
//! A task still running when its worker stops is lost with it; the client
//! asks again (the answer promised nothing).

use std::future::Future;

use tokio::sync::Semaphore;

use crate::error::Fault;

/// Background tasks that may run at once in one process.
const MAX_RUNNING: usize = 64;

static RUNNING: Semaphore = Semaphore::const_new(MAX_RUNNING);

/// Runs `work` in the background (on this worker's runtime); a failure is
/// logged as `what`, never shown to the client, who was already answered.
pub(super) async fn detach<F>(what: &'static str, work: F)
where
    F: Future<Output = Result<(), Fault>> + 'static,
{
    let Ok(permit) = RUNNING.acquire().await else {
        // Never closed; if it were, do the work in line rather than drop it.
        log_failure(what, work.await);
        return;
    };
    actix_web::rt::spawn(async move {
        let _permit = permit;
        log_failure(what, work.await);
    });
}

fn log_failure(what: &'static str, result: Result<(), Fault>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, task = what, "background mail task failed");
    }
}
