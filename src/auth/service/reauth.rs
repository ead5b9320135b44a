//! Re-confirming the password before a sensitive change. A wrong password
//! here counts like a failed sign-in against the account's budget (the
//! routes also count against the per-IP limit), so a stolen access token
//! cannot be used to guess the password.

use crate::auth::client::ClientInfo;
use crate::auth::limits::Throttled;
use crate::db::users::User;
use crate::domain::Password;
use crate::error::Fault;
use crate::state::AppState;

/// Why a password re-check failed.
#[derive(Debug, thiserror::Error)]
pub enum ReauthError {
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("too many failed attempts for this account")]
    Throttled(Throttled),
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Checks `password` against `user`'s hash, within the account's budget.
pub async fn confirm_password(
    state: &AppState,
    user: &User,
    password: Password,
    client: &ClientInfo,
) -> Result<(), ReauthError> {
    let slot = state
        .limits
        .reserve_account(&state.pool, &user.email)
        .await?
        .map_err(|t| {
            tracing::warn!(target: "audit", event = "reauth_throttled", user_id = %user.id, client_ip = %client.ip);
            crate::metrics::get()
                .rate_limited
                .with_label_values(&["account"])
                .inc();
            ReauthError::Throttled(t)
        })?;
    let verdict = state
        .hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if verdict.matches {
        state.limits.refund_account(&state.pool, slot).await?;
        Ok(())
    } else {
        tracing::info!(target: "audit", event = "reauth_failed", user_id = %user.id, client_ip = %client.ip);
        Err(ReauthError::WrongPassword)
    }
}
