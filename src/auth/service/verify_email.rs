//! Proving an address: the verification mail (at sign-up, or resent on
//! request) and the link's use, which sets `email_verified`.

use std::sync::Arc;

use diesel::Connection;

use super::detached::detach;
use super::email_link::{self, presented_hash, Link};
use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::db::email_tokens::{self, Purpose};
use crate::db::users::{self, User};
use crate::db::{self};
use crate::domain::Email;
use crate::error::Fault;
use crate::mail::{compose, Mail};
use crate::state::AppState;

/// Why a verification link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum VerifyEmailError {
    /// Used, expired, superseded, unknown, or meant for another page.
    #[error("this link is no longer valid")]
    InvalidToken,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Mails `user` a verification link (24 h), unless the address is already
/// proven or has had its 3 link mails this hour. True when one was queued.
pub async fn send_verification(state: &AppState, user: &User) -> Result<bool, Fault> {
    if user.email_verified {
        return Ok(false);
    }
    let (token, hash) = email_link::mint();
    let mail = compose(&Mail::VerifyEmail { token: &token }, &state.mail_context());
    let link = Link {
        user: user.id,
        purpose: Purpose::Verify,
        to: &user.email,
        new_email: None,
        session: None,
    };
    let queued = email_link::issue(state, link, hash, mail, None).await?;
    tracing::info!(target: "audit", event = "verification_sent", user_id = %user.id, queued);
    Ok(queued)
}

/// Uses a verification link: the account's address is proven.
pub async fn verify_email(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> Result<(), VerifyEmailError> {
    let hash = presented_hash(token).ok_or(VerifyEmailError::InvalidToken)?;
    let verified = db::write(&state.pool, move |conn| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let now = db::now();
            let Some(found) = email_tokens::find_valid(conn, &hash, Purpose::Verify, now)? else {
                return Ok(None);
            };
            if !email_tokens::consume(conn, &hash, Purpose::Verify, now)? {
                return Ok(None);
            }
            users::mark_email_verified(conn, found.user_id)?;
            Ok(Some(found.user_id))
        })
    })
    .await?;
    let Some(user_id) = verified else {
        tracing::info!(target: "audit", event = "email_link_refused", purpose = "verify", client_ip = %client.ip);
        return Err(VerifyEmailError::InvalidToken);
    };
    tracing::info!(target: "audit", event = "email_verified", user_id = %user_id, client_ip = %client.ip);
    Ok(())
}

/// A signed-in user asks for a new verification mail (nothing happens when
/// the address is already proven).
pub async fn resend_verification(state: &AppState, auth: &Authenticated) -> Result<(), Fault> {
    let uid = auth.user_id();
    if let Some(user) = db::run(&state.pool, move |conn| users::find(conn, uid)).await? {
        send_verification(state, &user).await?;
    }
    Ok(())
}

/// Someone signed out asks for a new verification mail for `email`. It is
/// sent only if the address belongs to an unverified account, in the
/// background, so the answer is the same in content and timing either way.
pub async fn resend_verification_to(state: Arc<AppState>, email: Email, client: ClientInfo) {
    detach("resend verification", async move {
        let key = email.clone();
        let found = db::run(&state.pool, move |conn| users::find_by_email(conn, &key)).await?;
        match found {
            Some(user) => {
                send_verification(&state, &user).await?;
            }
            None => {
                tracing::info!(target: "audit", event = "verification_resend_unknown", account = %state.audit.fingerprint(email.as_ref()), client_ip = %client.ip);
            }
        }
        Ok(())
    })
    .await;
}
