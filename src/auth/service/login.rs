//! Sign-up and login: checking credentials and opening a session.

use crate::auth::client::ClientInfo;
use crate::auth::tokens::new_refresh_token;
use crate::db::sessions::NewSession;
use crate::db::users::{NewUser, User};
use crate::db::{self, sessions, users};
use crate::domain::{DisplayName, Email, Password, SessionId, UserId};
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;

use super::Issued;

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
    let slot = state
        .limits
        .reserve_account(&state.pool, email)
        .await?
        .inspect_err(|_| {
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
    state.limits.refund_account(&state.pool, slot).await?;
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
