//! Account flows shared by the HTML pages and the JSON API: sign-up, login,
//! refresh, logout, password change, account deletion. Each emits its audit event.

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::db::sessions::{NewSession, Rotation};
use crate::db::users::{NewUser, User};
use crate::db::{self, sessions, users};
use crate::domain::{DisplayName, Email, Password, SessionId, UserId};
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;

/// The one message for every login failure, so it does not tell which part was wrong.
pub const LOGIN_FAILED: &str = "invalid email or password";

/// A signed-in session: what the client receives after sign-up, login or refresh.
#[derive(Debug)]
pub struct Issued {
    pub user: User,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the session's absolute end (the refresh cookie's Max-Age).
    pub refresh_ttl_secs: i64,
}

/// Input of a sign-up, already validated.
pub struct Signup {
    pub email: Email,
    pub name: Option<DisplayName>,
    pub password: Password,
}

impl Signup {
    /// Validates a sign-up, collecting every field's problem at once (422).
    pub fn parse(email: &str, password: String, name: &str) -> Result<Self, AppError> {
        let mut fields = FieldErrors::new();
        let email = Email::parse(email)
            .map_err(|e| fields.insert("email".into(), e.to_string()))
            .ok();
        let name = DisplayName::parse(name)
            .map_err(|e| fields.insert("name".into(), e.to_string()))
            .ok();
        let password = Password::new_checked(password, email.as_ref().map_or("", AsRef::as_ref))
            .map_err(|e| fields.insert("password".into(), e.to_string()))
            .ok();
        match (email, name, password) {
            (Some(email), Some(name), Some(password)) if fields.is_empty() => Ok(Self {
                email,
                name,
                password,
            }),
            _ => Err(AppError::Validation(fields)),
        }
    }
}

/// Creates the account and its first session. A taken email is `Conflict`.
pub async fn signup(
    state: &AppState,
    input: Signup,
    client: &ClientInfo,
) -> Result<Issued, AppError> {
    let (user, user_id) = create_account(state, input).await?;
    let issued = start_session(state, user, user_id, client).await?;
    tracing::info!(target: "audit", event = "signup", user_id = %user_id, session_id = %issued.session_id, client_ip = %client.ip);
    Ok(issued)
}

/// Creates the account only (no session): sign-up and the admin CLI share it.
pub async fn create_account(state: &AppState, input: Signup) -> Result<(User, UserId), AppError> {
    let hash = state.hasher.hash(input.password).await?;
    let user_id = UserId::new();
    let now = db::now();
    let user = User {
        id: user_id.to_string(),
        email: input.email.as_ref().to_owned(),
        name: input.name.map(DisplayName::into_inner),
        password_hash: hash,
        created_at: now,
        updated_at: now,
    };
    let row = user.clone();
    db::run(&state.pool, move |conn| {
        users::insert(
            conn,
            &NewUser {
                id: row.id.clone(),
                email: &row.email,
                name: row.name.as_deref(),
                password_hash: &row.password_hash,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
        )
    })
    .await
    .map_err(|e| match e {
        AppError::Conflict(_) => {
            AppError::Conflict("an account with this email already exists".into())
        }
        other => other,
    })?;
    Ok((user, user_id))
}

/// Checks the credentials and opens a session. Unknown email and wrong password
/// fail identically (same error, same Argon2 work).
pub async fn login(
    state: &AppState,
    email: &str,
    password: Password,
    client: &ClientInfo,
) -> Result<Issued, AppError> {
    state.limits.check_account(email).inspect_err(|_| {
        tracing::warn!(target: "audit", event = "login_throttled", client_ip = %client.ip);
    })?;
    let found = match Email::parse(email) {
        Ok(email) => db::run(&state.pool, move |conn| users::find_by_email(conn, &email)).await?,
        Err(_) => None,
    };
    let verdict = state
        .hasher
        .verify(
            password.clone(),
            found.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let Some((user, user_id)) = found
        .filter(|_| verdict.matches)
        .and_then(|u| u.user_id().map(|id| (u, id)))
    else {
        // The attempted email (normalised, bounded) says which account is under attack.
        let attempted: String = email.trim().to_lowercase().chars().take(254).collect();
        tracing::info!(target: "audit", event = "login_failed", email = %attempted, client_ip = %client.ip);
        return Err(AppError::Unauthorized {
            token_refused: false,
        });
    };
    if verdict.needs_rehash {
        let hash = state.hasher.hash(password).await?;
        db::run(&state.pool, move |conn| {
            users::set_password_hash(conn, user_id, &hash)
        })
        .await?;
        tracing::info!(target: "audit", event = "password_rehashed", user_id = %user_id);
    }
    let issued = start_session(state, user, user_id, client).await?;
    tracing::info!(target: "audit", event = "login", user_id = %user_id, session_id = %issued.session_id, client_ip = %client.ip);
    Ok(issued)
}

async fn start_session(
    state: &AppState,
    user: User,
    user_id: UserId,
    client: &ClientInfo,
) -> Result<Issued, AppError> {
    let session_id = SessionId::new();
    let (refresh_token, refresh_hash) = new_refresh_token();
    let now = db::now();
    let expires_at = now + state.session_ttl;
    let ua = client.user_agent.clone();
    let ip = client.ip.to_string();
    db::run(&state.pool, move |conn| {
        sessions::create(
            conn,
            &NewSession {
                id: session_id.to_string(),
                user_id: user_id.to_string(),
                user_agent: ua.as_deref(),
                ip: Some(&ip),
                created_at: now,
                last_used_at: now,
                expires_at,
            },
            &refresh_hash,
        )
    })
    .await?;
    Ok(Issued {
        access_token: state.tokens.issue(user_id, session_id)?,
        refresh_token,
        refresh_ttl_secs: state.session_ttl.num_seconds(),
        user,
        user_id,
        session_id,
    })
}

/// Rotates a refresh token. A token used before revokes its whole session.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    client: &ClientInfo,
) -> Result<Issued, AppError> {
    let refused = AppError::Unauthorized {
        token_refused: true,
    };
    if presented.is_empty() || presented.len() > 128 {
        return Err(refused);
    }
    let presented_hash = hash_refresh_token(presented);
    let (refresh_token, new_hash) = new_refresh_token();
    let idle = state.session_idle;
    let outcome = db::run(&state.pool, move |conn| {
        let now = db::now();
        let rotation = sessions::rotate_refresh(conn, &presented_hash, &new_hash, now, idle)?;
        let user = match &rotation {
            Rotation::Rotated(s) => UserId::parse(&s.user_id)
                .map(|id| users::find(conn, id))
                .transpose()?
                .flatten(),
            _ => None,
        };
        Ok::<_, AppError>((rotation, user, now))
    })
    .await?;
    match outcome {
        (Rotation::Rotated(session), Some(user), now) => {
            let (Some(user_id), Some(session_id)) = (user.user_id(), SessionId::parse(&session.id))
            else {
                return Err(refused);
            };
            Ok(Issued {
                access_token: state.tokens.issue(user_id, session_id)?,
                refresh_token,
                refresh_ttl_secs: (session.expires_at - now).num_seconds().max(0),
                user,
                user_id,
                session_id,
            })
        }
        (Rotation::Reused(session), _, _) => {
            tracing::warn!(target: "audit", event = "refresh_token_reuse", user_id = %session.user_id, session_id = %session.id, client_ip = %client.ip);
            Err(refused)
        }
        _ => Err(refused),
    }
}

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
        conn_transaction(conn, |conn| {
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

fn conn_transaction<T>(
    conn: &mut db::AnyConnection,
    f: impl FnOnce(&mut db::AnyConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    use diesel::Connection;
    conn.transaction(f)
}
