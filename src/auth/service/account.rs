//! The signed-in user's own account: logout, sessions, password, deletion.

use diesel::Connection;

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::db::users::User;
use crate::db::{self, sessions, users};
use crate::domain::{Password, PasswordError, SessionId, UserId};
use crate::error::Fault;
use crate::mail::{compose, Mail};
use crate::state::AppState;

use super::reauth::{confirm_password, ReauthError};

/// Revokes the caller's current session.
pub async fn logout(
    state: &AppState,
    auth: &Authenticated,
    client: &ClientInfo,
) -> Result<(), Fault> {
    let (sid, uid) = (auth.session_id(), auth.user_id());
    db::write(&state.pool, move |conn| sessions::revoke(conn, sid, uid)).await?;
    tracing::info!(target: "audit", event = "logout", user_id = %uid, session_id = %sid, client_ip = %client.ip);
    Ok(())
}

/// Why a session could not be revoked.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// Not one of the caller's live sessions (another user's, or none).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Revokes one of the caller's sessions.
pub async fn revoke_session(
    state: &AppState,
    auth: &Authenticated,
    target: Option<SessionId>,
    client: &ClientInfo,
) -> Result<(), RevokeError> {
    let target = target.ok_or(RevokeError::NotFound)?;
    let uid = auth.user_id();
    if !db::write(&state.pool, move |conn| sessions::revoke(conn, target, uid)).await? {
        return Err(RevokeError::NotFound);
    }
    tracing::info!(target: "audit", event = "session_revoked", user_id = %uid, session_id = %auth.session_id(), revoked_session_id = %target, client_ip = %client.ip);
    Ok(())
}

/// The caller's account; `None` when it has just been deleted.
pub async fn current_user(state: &AppState, auth: &Authenticated) -> Result<Option<User>, Fault> {
    find_user(state, auth.user_id()).await
}

/// The account of a verified caller (a session or a personal access token).
/// A primary-key lookup: a `db::read`.
pub async fn find_user(state: &AppState, uid: UserId) -> Result<Option<User>, Fault> {
    db::read(&state.pool, move |conn| users::find(conn, uid)).await
}

/// Why a password change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    #[error("{0}")]
    Weak(PasswordError),
    /// The account is gone (deleted by another request).
    #[error("the account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Changes the password after checking the current one; revokes every other
/// session and mails a notice.
pub async fn change_password(
    state: &AppState,
    auth: &Authenticated,
    current: Password,
    new_raw: String,
    client: &ClientInfo,
) -> Result<(), ChangePasswordError> {
    let user = current_user(state, auth)
        .await?
        .ok_or(ChangePasswordError::Gone)?;
    confirm_password(state, &user, current, client).await?;
    let new = Password::new_checked(new_raw, &user.email).map_err(ChangePasswordError::Weak)?;
    let hash = state.hasher.hash(new).await?;
    let (uid, sid) = (auth.user_id(), auth.session_id());
    // The notice is queued in the same transaction: it goes out if and only if the change commits.
    let notice = compose(&Mail::PasswordChanged, &state.mail_context());
    let (outbox, to) = (state.outbox.clone(), user.email.clone());
    let revoked = db::write(&state.pool, move |conn| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            users::set_password_hash(conn, uid, &hash)?;
            let revoked = sessions::revoke_others(conn, uid, Some(sid))?;
            outbox.enqueue(conn, &to, &notice)?;
            Ok(revoked)
        })
    })
    .await?;
    state.outbox.wake();
    tracing::info!(target: "audit", event = "password_changed", user_id = %uid, session_id = %sid, other_sessions_revoked = revoked, client_ip = %client.ip);
    Ok(())
}

/// Deletes the account after checking the password: sessions and tasks go with it.
pub async fn delete_account(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    client: &ClientInfo,
) -> Result<(), ReauthError> {
    let Some(user) = current_user(state, auth).await? else {
        return Ok(());
    };
    confirm_password(state, &user, password, client).await?;
    let uid = user.id;
    db::write(&state.pool, move |conn| users::delete(conn, uid)).await?;
    tracing::info!(target: "audit", event = "account_deleted", user_id = %uid, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(())
}
