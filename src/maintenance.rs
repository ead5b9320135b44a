//! Background housekeeping, once a minute: forget idle rate-limit buckets,
//! delete dead sessions and personal access tokens, delivered or given-up mail
//! after [`KEEP_MAIL`], mailed-link tokens once expired, expired mfa tokens and
//! unfinished WebAuthn ceremonies, so neither memory nor the tables grow forever.

use std::time::Duration;

use actix_web::web;

use crate::db::{
    self, email_tokens, mfa_challenges, outbox, pats, rate_limits, refresh_tokens, sessions,
    webauthn_ceremonies,
};
use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(60);
/// How long sent and failed mail stays visible to `taskgate mail list`
/// (well beyond the hour the per-address limit counts).
const KEEP_MAIL: chrono::Duration = chrono::Duration::days(7);

/// Starts the housekeeping loop on the current Tokio runtime.
pub fn spawn(state: web::Data<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            run_once(&state).await;
        }
    });
}

/// One round of housekeeping; failures are logged and retried next round.
pub async fn run_once(state: &AppState) {
    state.limits.forget_idle();
    let (idle, second_factor_now) = (state.session_idle, state.clock.now());
    let grace = chrono::Duration::from_std(state.config.refresh_reuse_grace).unwrap_or_default();
    let result = db::write(&state.pool, move |conn| {
        let now = db::now();
        let sessions = sessions::delete_dead(conn, now, idle, chrono::Duration::days(1))?;
        let buckets = rate_limits::delete_expired(conn, now)?;
        refresh_tokens::forget_expired_successors(conn, now, grace)?;
        pats::delete_dead(conn, now, pats::KEEP_ENDED)?;
        let mail = outbox::delete_finished_before(conn, now - KEEP_MAIL)?;
        let links = email_tokens::delete_expired_before(conn, now)?;
        mfa_challenges::delete_expired(conn, second_factor_now)?;
        webauthn_ceremonies::delete_expired(conn, second_factor_now)?;
        Ok::<_, diesel::result::Error>((sessions, buckets, mail, links))
    })
    .await;
    match result {
        Ok((sessions, _, mail, links)) => {
            if sessions > 0 {
                tracing::info!(deleted = sessions, "deleted dead sessions");
            }
            if mail + links > 0 {
                tracing::info!(mail, links, "deleted finished mail and expired links");
            }
        }
        Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
    }
}
