//! Living with two-factor on: its status, a new set of recovery codes, and
//! turning it off. Both changes need the password and a current code (TOTP
//! or recovery), and each mails a notice.

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::recovery_codes;
use crate::db::users::User;
use crate::db::{self, mfa_challenges, recovery_codes as code_rows, totp as totp_rows};
use crate::domain::Password;
use crate::error::Fault;
use crate::mail::{compose, Composed, Mail};
use crate::state::AppState;

use super::super::{account::current_user, reauth::confirm_password};
use super::{check, spend, write_or_refuse, Abort, Presented, TwoFactorError};

/// Where a user's two-factor sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    /// A secret was issued; a code must confirm it.
    Pending,
    /// On, with this many unused recovery codes.
    On {
        recovery_codes_left: i64,
    },
}

/// The user's two-factor status.
pub async fn status(state: &AppState, user: &User) -> Result<Status, Fault> {
    if !user.totp_enabled {
        return Ok(match user.totp_secret_sealed {
            Some(_) => Status::Pending,
            None => Status::Off,
        });
    }
    let uid = user.id;
    let left = db::run(&state.pool, move |conn| code_rows::count_unused(conn, uid)).await?;
    Ok(Status::On {
        recovery_codes_left: left,
    })
}

/// Checks the password, then the code, for a change to an account with
/// two-factor on. Returns the user, the code (checked, not yet spent) and the
/// account slot to refund once the change commits.
async fn reconfirm(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    code: &Presented,
    client: &ClientInfo,
) -> Result<(User, super::Checked, crate::auth::limits::AccountSlot), TwoFactorError> {
    let user = current_user(state, auth)
        .await?
        .ok_or(TwoFactorError::Gone)?;
    if !user.totp_enabled {
        return Err(TwoFactorError::NotOn);
    }
    confirm_password(state, &user, password, client).await?;
    let slot = state
        .limits
        .reserve_account(&state.pool, &user.email)
        .await?
        .map_err(|t| {
            crate::metrics::get()
                .rate_limited
                .with_label_values(&["account"])
                .inc();
            TwoFactorError::Throttled(t)
        })?;
    match check(state, &user, code).await? {
        Some(checked) => Ok((user, checked, slot)),
        None => {
            tracing::info!(target: "audit", event = "second_factor_failed", method = code.method(), user_id = %user.id, client_ip = %client.ip);
            crate::metrics::get().second_factor_failures.inc();
            Err(TwoFactorError::WrongCode)
        }
    }
}

/// Replaces the recovery codes with a new set of ten (returned, shown once);
/// the old set stops working. Needs the password and a current code.
pub async fn regenerate_codes(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    code: Presented,
    client: &ClientInfo,
) -> Result<Vec<String>, TwoFactorError> {
    let (user, checked, slot) = reconfirm(state, auth, password, &code, client).await?;
    let set = recovery_codes::generate_set();
    let hashes = set.hashes.clone();
    let notice = compose(&Mail::RecoveryCodesRegenerated, &state.mail_context());
    let now = state.clock.now();
    change(state, &user, notice, move |conn, uid| {
        if !spend(conn, uid, &checked, now)? {
            return Err(Abort::Refused(TwoFactorError::WrongCode));
        }
        code_rows::replace_set(conn, uid, &hashes, now)?;
        Ok(())
    })
    .await?;
    state.limits.refund_account(&state.pool, slot).await?;
    tracing::info!(target: "audit", event = "recovery_codes_regenerated", method = code.method(), user_id = %user.id, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(set.codes)
}

/// Turns two-factor off: the secret, the recovery codes and any pending login
/// challenge are gone. Needs the password and a current code.
pub async fn disable(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    code: Presented,
    client: &ClientInfo,
) -> Result<(), TwoFactorError> {
    let (user, checked, slot) = reconfirm(state, auth, password, &code, client).await?;
    let notice = compose(&Mail::TwoFactorDisabled, &state.mail_context());
    let now = state.clock.now();
    change(state, &user, notice, move |conn, uid| {
        if !spend(conn, uid, &checked, now)? || !totp_rows::disable(conn, uid)? {
            return Err(Abort::Refused(TwoFactorError::WrongCode));
        }
        code_rows::delete_all(conn, uid)?;
        mfa_challenges::delete_for_user(conn, uid)?;
        Ok(())
    })
    .await?;
    state.limits.refund_account(&state.pool, slot).await?;
    tracing::info!(target: "audit", event = "two_factor_disabled", method = code.method(), user_id = %user.id, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(())
}

/// Runs `f` and queues `notice` for the user in one transaction, then wakes
/// the mail worker: the notice goes out only if the change commits.
async fn change<F>(
    state: &AppState,
    user: &User,
    notice: Composed,
    f: F,
) -> Result<(), TwoFactorError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            crate::domain::UserId,
        ) -> Result<(), Abort<TwoFactorError>>
        + Send
        + 'static,
{
    let (uid, email, outbox) = (user.id, user.email.clone(), state.outbox.clone());
    write_or_refuse(state, move |conn| {
        f(conn, uid)?;
        outbox.enqueue(conn, &email, &notice)?;
        Ok(())
    })
    .await??;
    state.outbox.wake();
    Ok(())
}
