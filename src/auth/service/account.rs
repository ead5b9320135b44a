//! The signed-in user's own account: logout, sessions, password, deletion.

use diesel::Connection;

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::db::users::User;
use crate::db::{self, sessions, users};
use crate::domain::{Password, SessionId};
use crate::error::AppError;
use crate::state::AppState;

/// Revokes the caller's current session.
pub async fn logout(
    state: &AppState,
    auth: &Authenticated,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let (sid, uid) = (auth.session_id, auth.user_id);
    db::run(&state.pool, move |conn| sessions::revoke(conn, sid, uid)).await?;
    tracing::info!(target: "audit", event = "logout", user_id = %uid, session_id = %sid, client_ip = %client.ip);
    Ok(())
}

/// Revokes one of the caller's sessions; another user's (or a missing) one is `NotFound`.
pub async fn revoke_session(
    state: &AppState,
    auth: &Authenticated,
    target: Option<SessionId>,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let target = target.ok_or(AppError::NotFound)?;
    let uid = auth.user_id;
    if !db::run(&state.pool, move |conn| sessions::revoke(conn, target, uid)).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(target: "audit", event = "session_revoked", user_id = %uid, session_id = %auth.session_id, revoked_session_id = %target, client_ip = %client.ip);
    Ok(())
}

/// Loads the caller's account.
pub async fn current_user(state: &AppState, auth: &Authenticated) -> Result<User, AppError> {
    let uid = auth.user_id;
    db::run(&state.pool, move |conn| users::find(conn, uid))
        .await?
        .ok_or(AppError::Unauthorized {
            token_refused: true,
        })
}

/// Checks the caller's password (403 when wrong); used before sensitive changes.
async fn confirm_password(
    state: &AppState,
    user: &User,
    password: Password,
) -> Result<(), AppError> {
    let verdict = state
        .hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if verdict.matches {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the current password is not correct".into(),
        ))
    }
}

/// Changes the password after checking the current one; revokes every other session.
pub async fn change_password(
    state: &AppState,
    auth: &Authenticated,
    current: Password,
    new_raw: String,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let user = current_user(state, auth).await?;
    confirm_password(state, &user, current).await?;
    let new = Password::new_checked(new_raw, &user.email)
        .map_err(|e| AppError::field("new_password", e))?;
    let hash = state.hasher.hash(new).await?;
    let (uid, sid) = (auth.user_id, auth.session_id);
    let revoked = db::run(&state.pool, move |conn| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            users::set_password_hash(conn, uid, &hash)?;
            sessions::revoke_others(conn, uid, sid)
        })
    })
    .await?;
    tracing::info!(target: "audit", event = "password_changed", user_id = %uid, session_id = %sid, other_sessions_revoked = revoked, client_ip = %client.ip);
    Ok(())
}

/// Deletes the account after checking the password: sessions and tasks go with it.
pub async fn delete_account(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let user = current_user(state, auth).await?;
    confirm_password(state, &user, password).await?;
    let uid = auth.user_id;
    db::run(&state.pool, move |conn| users::delete(conn, uid)).await?;
    tracing::info!(target: "audit", event = "account_deleted", user_id = %uid, session_id = %auth.session_id, client_ip = %client.ip);
    Ok(())
}
