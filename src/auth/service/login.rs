//! Login: checking credentials against the account and the brute-force limits.

use crate::auth::client::ClientInfo;
use crate::auth::limits::{note_ip_refusal, LoginLimit, Throttled};
use crate::db::{self, users};
use crate::domain::{Email, Password};
use crate::error::Fault;
use crate::metrics;
use crate::state::AppState;

use super::two_factor::{issue_challenge, MfaChallenge};
use super::{session, Issued};

/// A successful password check.
#[derive(Debug)]
pub enum LoginOutcome {
    /// A session was opened.
    Signed(Issued),
    /// Two-factor is on: no session yet; `two_factor::complete_login` with
    /// this challenge's token and a code opens one.
    NeedsSecondFactor(MfaChallenge),
}

/// Why a login did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: the same answer for both.
    #[error("{}", super::LOGIN_FAILED)]
    InvalidCredentials,
    #[error("too many failed attempts for this account")]
    Throttled(Throttled),
    #[error(transparent)]
    Fault(#[from] Fault),
    /// The right password, but `REQUIRE_VERIFIED_EMAIL` is on and the address is not proven yet.
    #[error("the email address is not verified yet")]
    EmailNotVerified,
}

/// The longest text that can be an address (the contract's 254 characters).
const MAX_EMAIL_CHARS: usize = 254;

/// Checks the credentials and opens a session. Unknown email and wrong password
/// fail identically (same error, same Argon2 work). A failure counts against
/// the account's budget whether or not the account exists.
pub async fn login(
    state: &AppState,
    email: &str,
    password: Password,
    client: &ClientInfo,
) -> Result<LoginOutcome, LoginError> {
    let account_key = email.trim().to_lowercase();
    if account_key.chars().count() > MAX_EMAIL_CHARS {
        // No account can have this address: nothing to protect or to count.
        tracing::info!(target: "audit", event = "login_failed", reason = "email_too_long", client_ip = %client.ip);
        return Err(LoginError::InvalidCredentials);
    }
    let slot = match state
        .limits
        .reserve_login(&state.pool, client, &account_key)
        .await?
    {
        Ok(slot) => slot,
        Err(LoginLimit::Ip(t)) => {
            note_ip_refusal(client.ip, "login");
            return Err(LoginError::Throttled(t));
        }
        Err(LoginLimit::Account(t)) => {
            tracing::warn!(target: "audit", event = "login_throttled", account = %state.audit.fingerprint(&account_key), client_ip = %client.ip);
            count("throttled");
            metrics::get()
                .rate_limited
                .with_label_values(&["account"])
                .inc();
            return Err(LoginError::Throttled(t));
        }
    };
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
    let known_id = found.as_ref().map(|u| u.id);
    let Some(user) = found.filter(|_| verdict.matches) else {
        // Never the typed text (it may be a password typed into the wrong
        // field): a known account by id, an unknown one by a keyed hash.
        match known_id {
            Some(id) => {
                tracing::info!(target: "audit", event = "login_failed", user_id = %id, client_ip = %client.ip)
            }
            None => {
                tracing::info!(target: "audit", event = "login_failed", account = %state.audit.fingerprint(&account_key), client_ip = %client.ip)
            }
        }
        count("failure");
        return Err(LoginError::InvalidCredentials);
    };
    // The password was right, so the reserved slot goes back: in the
    // session's own write on the plain path, on its own otherwise.
    let refund = state.limits.refund(slot);
    let user_id = user.id;
    if verdict.needs_rehash {
        let hash = state.hasher.hash(password).await?;
        db::write(&state.pool, move |conn| {
            users::set_password_hash(conn, user_id, &hash)
        })
        .await?;
        tracing::info!(target: "audit", event = "password_rehashed", user_id = %user_id);
    }
    if state.config.require_verified_email && !user.email_verified {
        refund.write(&state.pool).await?;
        tracing::info!(target: "audit", event = "login_refused_unverified", user_id = %user_id, client_ip = %client.ip);
        return Err(LoginError::EmailNotVerified);
    }
    if user.totp_enabled {
        // The password was right, so its slot goes back here; each wrong
        // code at the second step counts on its own.
        refund.write(&state.pool).await?;
        let challenge = issue_challenge(state, &user).await?;
        tracing::info!(target: "audit", event = "login_needs_second_factor", user_id = %user_id, client_ip = %client.ip);
        count("second_factor");
        return Ok(LoginOutcome::NeedsSecondFactor(challenge));
    }
    let issued = session::start_refunding(state, user, client, Some(refund)).await?;
    tracing::info!(target: "audit", event = "login", user_id = %user_id, session_id = %issued.session_id, client_ip = %client.ip);
    count("success");
    Ok(LoginOutcome::Signed(issued))
}

/// Counts a sign-in by outcome (`taskgate_logins_total`).
fn count(outcome: &str) {
    metrics::get().logins.with_label_values(&[outcome]).inc();
}
