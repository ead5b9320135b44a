//! Confirming an email change with the link sent to the new address: the
//! address changes and counts as proven, every session except the one that
//! asked for the change is signed out (personal access tokens stay), and the
//! account's other links (sent to the old address) stop working.

use diesel::Connection;

use super::email_link::presented_hash;
use crate::auth::client::ClientInfo;
use crate::db::email_tokens::{self, Purpose};
use crate::db::{self, is_unique_violation, sessions, users};
use crate::error::Fault;

use crate::state::AppState;

/// Why a confirmation did not change the address.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmEmailError {
    /// Used, expired, superseded, unknown, or meant for another page.
    #[error("this link is no longer valid")]
    InvalidToken,
    /// Another account took the address since the change was asked for; the
    /// link stays unused.
    #[error("an account with this email already exists")]
    Taken,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Why the transaction stopped (it rolls back on `Err`).
enum Abort {
    Taken,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// Uses an email-change link.
pub async fn confirm_email_change(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> Result<(), ConfirmEmailError> {
    let hash = presented_hash(token).ok_or(ConfirmEmailError::InvalidToken)?;
    let outcome = db::write(&state.pool, move |conn| {
        let done = conn.transaction::<_, Abort, _>(|conn| {
            let now = db::now();
            let found = email_tokens::find_valid(conn, &hash, Purpose::Change, now)?;
            let Some((token, new_email)) = found.and_then(|t| t.new_email.clone().map(|e| (t, e)))
            else {
                return Ok(None);
            };
            if !email_tokens::consume(conn, &hash, Purpose::Change, now)? {
                return Ok(None);
            }
            let uid = token.user_id;
            match users::set_verified_email(conn, uid, &new_email) {
                Err(e) if is_unique_violation(&e, users::EMAIL_UNIQUE) => return Err(Abort::Taken),
                other => other?,
            }
            let revoked = sessions::revoke_others(conn, uid, token.requesting_session())?;
            email_tokens::void_all(conn, uid, now)?;
            Ok(Some((uid, revoked)))
        });
        match done {
            Ok(changed) => Ok(Ok(changed)),
            Err(Abort::Taken) => Ok(Err(ConfirmEmailError::Taken)),
            Err(Abort::Db(e)) => Err(Fault::from(e)),
        }
    })
    .await??;
    let Some((uid, revoked)) = outcome else {
        tracing::info!(target: "audit", event = "email_link_refused", purpose = "change", client_ip = %client.ip);
        return Err(ConfirmEmailError::InvalidToken);
    };
    tracing::info!(target: "audit", event = "email_changed", user_id = %uid, other_sessions_revoked = revoked, client_ip = %client.ip);
    Ok(())
}
