//! Password reset through a mailed link: sets the password (sign-up's
//! rules), proves the address, signs everything out, mails a notice.
//!
//! It opens no session and leaves any second factor as it is: the next
//! sign-in goes through the login flow like any other. Revoking every
//! session and personal access token also means that an account squatted
//! before its owner proved the address keeps nothing (pre-hijacking).

use diesel::Connection;

use super::email_link::presented_hash;
use crate::auth::client::ClientInfo;
use crate::db::email_tokens::{self, Purpose};
use crate::db::{self, pats, sessions, users};
use crate::domain::{Password, PasswordError};
use crate::error::Fault;
use crate::mail::{compose, Mail};
use crate::state::AppState;

/// Why a reset did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ResetPasswordError {
    /// Used, expired, superseded, unknown, or meant for another page.
    #[error("this link is no longer valid")]
    InvalidToken,
    /// The new password breaks the rules; the link still works.
    #[error("{0}")]
    Weak(PasswordError),
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Sets a new password with a reset link. The link is used up only when the
/// password is set: a weak password (or the link shown to another page)
/// leaves it valid.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_raw: String,
    client: &ClientInfo,
) -> Result<(), ResetPasswordError> {
    let hash = presented_hash(token).ok_or(ResetPasswordError::InvalidToken)?;
    let lookup = hash.clone();
    let found = db::run(&state.pool, move |conn| {
        let Some(token) = email_tokens::find_valid(conn, &lookup, Purpose::Reset, db::now())?
        else {
            return Ok::<_, Fault>(None);
        };
        Ok(users::find(conn, token.user_id)?)
    })
    .await?;
    let Some(user) = found else {
        tracing::info!(target: "audit", event = "email_link_refused", purpose = "reset", client_ip = %client.ip);
        return Err(ResetPasswordError::InvalidToken);
    };
    let new = Password::new_checked(new_raw, &user.email).map_err(ResetPasswordError::Weak)?;
    let password_hash = state.hasher.hash(new).await?;
    let notice = compose(&Mail::PasswordResetDone, &state.mail_context());
    let (uid, to, outbox) = (user.id, user.email.clone(), state.outbox.clone());
    let revoked = db::write(&state.pool, move |conn| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let now = db::now();
            // The one statement that decides: of concurrent uses, one wins.
            if !email_tokens::consume(conn, &hash, Purpose::Reset, now)? {
                return Ok(None);
            }
            users::set_password_hash(conn, uid, &password_hash)?;
            users::mark_email_verified(conn, uid)?;
            let sessions = sessions::revoke_others(conn, uid, None)?;
            let tokens = pats::revoke_all_for_user(conn, uid)?;
            email_tokens::void_all(conn, uid, now)?;
            outbox.enqueue(conn, &to, &notice)?;
            Ok(Some((sessions, tokens)))
        })
    })
    .await?;
    let Some((sessions, tokens)) = revoked else {
        tracing::info!(target: "audit", event = "email_link_refused", purpose = "reset", client_ip = %client.ip);
        return Err(ResetPasswordError::InvalidToken);
    };
    state.outbox.wake();
    tracing::info!(target: "audit", event = "password_reset", user_id = %uid, sessions_revoked = sessions, tokens_revoked = tokens, client_ip = %client.ip);
    Ok(())
}
