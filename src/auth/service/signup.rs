//! Sign-up: a validated new account, a verification mail, and its first
//! session (unless `REQUIRE_VERIFIED_EMAIL` asks for the address first).

use crate::auth::client::ClientInfo;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, is_unique_violation};
use crate::domain::{DisplayName, Email, Password, UserId};
use crate::error::{Fault, FieldErrors};
use crate::state::AppState;

use super::{session, Issued};

/// Input of a sign-up, already validated.
pub struct Signup {
    pub email: Email,
    pub name: Option<DisplayName>,
    pub password: Password,
}

/// A created account.
#[derive(Debug)]
pub enum SignupOutcome {
    /// Signed in at once.
    Signed(Issued),
    /// `REQUIRE_VERIFIED_EMAIL`: no session until the address is proven.
    VerifyFirst(User),
}

/// Why a valid sign-up did not create an account.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl Signup {
    /// Validates a sign-up, collecting every field's problem at once.
    pub fn parse(email: &str, password: String, name: &str) -> Result<Self, FieldErrors> {
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
            _ => Err(fields),
        }
    }
}

/// Creates the account, mails a verification link, and opens the first
/// session unless the address must be proven first.
pub async fn signup(
    state: &AppState,
    input: Signup,
    client: &ClientInfo,
) -> Result<SignupOutcome, SignupError> {
    let user = create_account(state, input).await?;
    let user_id = user.id;
    // The account exists now: a mail that cannot be queued is logged, and
    // the user can ask for another.
    if let Err(e) = super::send_verification(state, &user).await {
        tracing::warn!(error = %e, user_id = %user_id, "verification mail not queued");
    }
    if state.config.require_verified_email {
        tracing::info!(target: "audit", event = "signup", user_id = %user_id, client_ip = %client.ip);
        return Ok(SignupOutcome::VerifyFirst(user));
    }
    let issued = session::start(state, user, client).await?;
    tracing::info!(target: "audit", event = "signup", user_id = %user_id, session_id = %issued.session_id, client_ip = %client.ip);
    crate::metrics::get().signups.inc();
    Ok(SignupOutcome::Signed(issued))
}

/// Creates the account only (no session): sign-up and the admin CLI share it.
pub async fn create_account(state: &AppState, input: Signup) -> Result<User, SignupError> {
    let hash = state.hasher.hash(input.password).await?;
    let now = db::now();
    let user = User {
        id: UserId::new(),
        email: input.email.as_ref().to_owned(),
        name: input.name.map(DisplayName::into_inner),
        password_hash: hash,
        created_at: now,
        updated_at: now,
        email_verified: false,
        totp_enabled: false,
        totp_secret_sealed: None,
        totp_last_step: None,
    };
    let row = user.clone();
    let inserted = db::write(&state.pool, move |conn| {
        let new = NewUser {
            id: row.id,
            email: &row.email,
            name: row.name.as_deref(),
            password_hash: &row.password_hash,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        match users::insert(conn, &new) {
            Err(e) if is_unique_violation(&e, users::EMAIL_UNIQUE) => Ok(false),
            other => other.map(|()| true),
        }
    })
    .await?;
    if inserted {
        Ok(user)
    } else {
        Err(SignupError::EmailTaken)
    }
}
