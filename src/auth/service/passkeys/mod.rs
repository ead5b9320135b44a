//! Passkey flows: adding one while signed in, the
//! usernameless sign-in, listing and deleting. The WebAuthn checks are
//! `auth::passkeys`' (webauthn-rs); this module owns storage and single use.
//!
//! A ceremony's state lives in `webauthn_ceremonies` for 5 minutes and is
//! deleted by the transaction that finishes it, whatever the outcome, so an
//! answer can never be finished twice. A sign-in also updates the passkey's
//! counter in that transaction, only if nobody else updated it meanwhile.

mod login;
mod register;

pub use login::{finish_login, start_login};
pub use register::{finish_registration, start_registration};

use chrono::NaiveDateTime;
use diesel::Connection;
use uuid::Uuid;

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::passkeys::{Passkeys, CEREMONY_TTL};
use crate::db::passkeys::PasskeyListing;
use crate::db::{self, passkeys as rows, AnyConnection};
use crate::domain::{PasskeyId, UserId};
use crate::error::Fault;
use crate::state::AppState;

/// Longest passkey name, in characters.
pub const NAME_MAX: usize = 100;

/// Why a passkey flow did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyFlowError {
    /// `PUBLIC_URL` rules passkeys out (an IP address, plain http on a real host).
    #[error("passkeys are unavailable on this server: {0}")]
    Unavailable(String),
    /// Unknown, used, expired or another user's ceremony: start again.
    #[error("this passkey request has expired or was already used; try again")]
    CeremonyGone,
    #[error("{0}")]
    InvalidName(&'static str),
    /// The browser's answer to a registration did not verify.
    #[error("the passkey was not accepted")]
    NotAccepted,
    /// A sign-in that did not verify, or an unknown passkey.
    #[error("the passkey was not accepted")]
    SignInRefused,
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    /// `REQUIRE_VERIFIED_EMAIL=true` and the passkey's owner has not proved
    /// the address: no session, as for a correct password.
    #[error("the email address is not verified yet")]
    EmailNotVerified,
    #[error("not found")]
    NotFound,
    /// The account is gone (deleted by another request).
    #[error("the account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// What a start answers: the ceremony to name at finish, and the options for
/// `navigator.credentials.create/get` (`{"publicKey": {…}}`).
#[derive(Debug)]
pub struct Started<T> {
    pub ceremony_id: String,
    pub options: T,
}

/// The relying party, or why there is none.
fn relying_party(state: &AppState) -> Result<&Passkeys, PasskeyFlowError> {
    state
        .passkeys
        .as_ref()
        .map_err(|why| PasskeyFlowError::Unavailable(why.to_string()))
}

/// A passkey name: trimmed, 1–100 characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String, PasskeyFlowError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(PasskeyFlowError::InvalidName("is required"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(PasskeyFlowError::InvalidName(
            "must be at most 100 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(PasskeyFlowError::InvalidName(
            "may not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// The WebAuthn user handle of a user: the 16 bytes of their id.
fn user_handle(user: UserId) -> Result<Uuid, Fault> {
    Uuid::parse_str(&user.to_string()).map_err(Fault::internal)
}

/// When a ceremony started now expires.
fn expiry(state: &AppState) -> Result<NaiveDateTime, Fault> {
    let ttl = chrono::Duration::from_std(CEREMONY_TTL).map_err(Fault::internal)?;
    Ok(state.clock.now() + ttl)
}

/// Runs `f` in one transaction that commits whatever `f` decided (`Ok(Err)`
/// is a refusal whose ceremony delete must stick); only a database error
/// rolls back.
async fn in_transaction<T, F>(state: &AppState, f: F) -> Result<Result<T, PasskeyFlowError>, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<Result<T, PasskeyFlowError>, diesel::result::Error>
        + Send
        + 'static,
    T: Send + 'static,
{
    db::write(&state.pool, move |conn| conn.transaction(f)).await
}

/// The caller's passkeys, oldest first.
pub async fn list(state: &AppState, auth: &Authenticated) -> Result<Vec<PasskeyListing>, Fault> {
    let uid = auth.user_id();
    db::run(&state.pool, move |conn| rows::list(conn, uid)).await
}

/// Deletes one of the caller's passkeys; another user's (or none): `NotFound`.
pub async fn delete(
    state: &AppState,
    auth: &Authenticated,
    id: Option<PasskeyId>,
    client: &ClientInfo,
) -> Result<(), PasskeyFlowError> {
    let id = id.ok_or(PasskeyFlowError::NotFound)?;
    let uid = auth.user_id();
    if !db::write(&state.pool, move |conn| rows::delete(conn, id, uid)).await? {
        return Err(PasskeyFlowError::NotFound);
    }
    tracing::info!(target: "audit", event = "passkey_deleted", user_id = %uid, passkey_id = %id, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_one_to_a_hundred_characters_without_control_characters() {
        assert_eq!(parse_name("  Laptop ").unwrap(), "Laptop");
        assert_eq!(parse_name(&"é".repeat(100)).unwrap().chars().count(), 100);
        for bad in ["", "  ", "a\u{0}b", "tab\there", "line\nbreak", "\u{7f}"] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
        assert!(parse_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn the_stored_counter_is_read_from_the_passkey_json() {
        assert_eq!(register::counter_of(r#"{"cred":{"counter":7}}"#), 7);
        assert_eq!(register::counter_of(r#"{"cred":{}}"#), 0);
        assert_eq!(register::counter_of("not json"), 0);
    }
}
