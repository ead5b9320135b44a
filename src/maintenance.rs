//! Background housekeeping, once a minute: forget idle rate-limit buckets and
//! delete dead sessions, expired mfa tokens and unfinished WebAuthn
//! ceremonies, so neither memory nor the tables grow forever.

use std::time::Duration;

use actix_web::web;

use crate::db::{self, mfa_challenges, rate_limits, refresh_tokens, sessions, webauthn_ceremonies};
use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(60);

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
        mfa_challenges::delete_expired(conn, second_factor_now)?;
        webauthn_ceremonies::delete_expired(conn, second_factor_now)?;
        Ok::<_, diesel::result::Error>((sessions, buckets))
    })
    .await;
    match result {
        Ok((0, _)) => {}
        Ok((n, _)) => tracing::info!(deleted = n, "deleted dead sessions"),
        Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
    }
}
