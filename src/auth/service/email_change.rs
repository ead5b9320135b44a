//! Asking to change the account's address: after the password is re-checked,
//! a confirmation link (1 h) goes to the new address and a notice to the old
//! one. Nothing changes until the link is used (`confirm_email`).

use super::email_link::{self, Link};
use super::reauth::{confirm_password, ReauthError};
use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::db::email_tokens::Purpose;
use crate::db::{self, users};
use crate::domain::{Email, Password};
use crate::error::Fault;
use crate::mail::{compose, Mail};
use crate::state::AppState;

/// Why an email change was not started.
#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    #[error("this is already your address")]
    SameAddress,
    #[error("an account with this email already exists")]
    Taken,
    /// The account is gone (deleted by another request).
    #[error("the account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Starts a change to `new_email` for the caller's account. The session that
/// asks is recorded with the link: confirming signs out every other one.
pub async fn request_email_change(
    state: &AppState,
    auth: &Authenticated,
    new_email: Email,
    password: Password,
    client: &ClientInfo,
) -> Result<(), EmailChangeError> {
    let user = super::current_user(state, auth)
        .await?
        .ok_or(EmailChangeError::Gone)?;
    if user.email == new_email.as_ref() {
        return Err(EmailChangeError::SameAddress);
    }
    // The password first: whether an address is taken is told only to
    // someone who knows the account's password.
    confirm_password(state, &user, password, client).await?;
    let wanted = new_email.clone();
    if db::run(&state.pool, move |conn| users::find_by_email(conn, &wanted))
        .await?
        .is_some()
    {
        return Err(EmailChangeError::Taken);
    }
    let (token, hash) = email_link::mint();
    let ctx = state.mail_context();
    let new = new_email.as_ref();
    let confirm = compose(
        &Mail::EmailChangeConfirm {
            token: &token,
            new_email: new,
        },
        &ctx,
    );
    let notice = compose(&Mail::EmailChangeNotice { new_email: new }, &ctx);
    let link = Link {
        user: user.id,
        purpose: Purpose::Change,
        to: new,
        new_email: Some(new),
        session: Some(auth.session_id()),
    };
    let queued = email_link::issue(
        state,
        link,
        hash,
        confirm,
        Some((user.email.clone(), notice)),
    )
    .await?;
    tracing::info!(target: "audit", event = "email_change_requested", user_id = %user.id, session_id = %auth.session_id(), queued, client_ip = %client.ip);
    Ok(())
}
