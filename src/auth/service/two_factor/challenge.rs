//! The second step of a two-factor login. A correct password for an account
//! with two-factor on yields an mfa token instead of a session; only
//! [`complete_login`] turns that token plus a valid code into a session, so
//! no other path (a password reset, a refresh) can skip the second factor.
//!
//! The token: 256 random bits, stored as SHA-256, lives 5 minutes, is used up
//! by the first success, and dies after 5 wrong codes. Each wrong code also
//! counts against the account's failed sign-in budget.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::client::ClientInfo;
use crate::auth::limits::Throttled;
use crate::db::users::User;
use crate::db::{self, mfa_challenges, users};
use crate::error::Fault;
use crate::metrics;
use crate::state::AppState;

use super::super::{session, Issued};
use super::{check, spend, write_or_refuse, Abort, Presented};

/// How long an mfa token may be used.
pub const CHALLENGE_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// The second factors a login can continue with.
pub const METHODS: [&str; 2] = ["totp", "recovery_code"];

/// An issued mfa token (shown once to the client; only its hash is stored).
pub struct MfaChallenge {
    pub token: String,
    pub methods: &'static [&'static str],
}

impl fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaChallenge")
            .field("token", &"***")
            .field("methods", &self.methods)
            .finish()
    }
}

/// Why the second step did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// Unknown, used, expired or dead (5 wrong codes) token: sign in again.
    #[error("this sign-in has expired or was already used; sign in again")]
    ChallengeGone,
    /// A wrong, malformed, used or replayed code (counted).
    #[error("the code is not correct")]
    WrongCode,
    #[error("too many failed attempts for this account")]
    Throttled(Throttled),
    #[error(transparent)]
    Fault(#[from] Fault),
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues an mfa token for `user`, whose password was just verified. The
/// token is bound to that password: a change or reset before the second
/// step kills it.
pub async fn issue_challenge(state: &AppState, user: &User) -> Result<MfaChallenge, Fault> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let token_hash = hash(&token);
    let (uid, stamp) = (user.id, hash(&user.password_hash));
    let now = state.clock.now();
    db::write(&state.pool, move |conn| {
        mfa_challenges::insert(conn, &token_hash, uid, &stamp, now, now + CHALLENGE_TTL)
    })
    .await?;
    Ok(MfaChallenge {
        token,
        methods: &METHODS,
    })
}

/// Finishes a two-factor login: a live mfa token and a valid code open a
/// session. The token is used up in the same transaction as the code.
pub async fn complete_login(
    state: &AppState,
    token: &str,
    code: Presented,
    client: &ClientInfo,
) -> Result<Issued, SecondStepError> {
    let token_hash = hash(token);
    let now = state.clock.now();
    let key = token_hash.clone();
    let Some(challenge) = db::run(&state.pool, move |conn| {
        mfa_challenges::find_live(conn, &key, now)
    })
    .await?
    else {
        tracing::info!(target: "audit", event = "mfa_token_refused", client_ip = %client.ip);
        return Err(SecondStepError::ChallengeGone);
    };
    let uid = challenge.user_id;
    let stamp = challenge.password_stamp;
    let user = db::run(&state.pool, move |conn| users::find(conn, uid))
        .await?
        .filter(|u| u.totp_enabled && hash(&u.password_hash) == stamp)
        .ok_or(SecondStepError::ChallengeGone)?;
    let slot = state
        .limits
        .reserve_account(&state.pool, &user.email)
        .await?
        .map_err(|t| {
            tracing::warn!(target: "audit", event = "login_throttled", user_id = %uid, client_ip = %client.ip);
            let m = metrics::get();
            m.logins.with_label_values(&["throttled"]).inc();
            m.rate_limited.with_label_values(&["account"]).inc();
            SecondStepError::Throttled(t)
        })?;
    let outcome = match check(state, &user, &code).await? {
        None => Err(SecondStepError::WrongCode),
        Some(checked) => {
            let key = token_hash.clone();
            write_or_refuse(state, move |conn| {
                if mfa_challenges::consume(conn, &key, now)? != Some(uid) {
                    return Err(Abort::Refused(SecondStepError::ChallengeGone));
                }
                if !spend(conn, uid, &checked, now)? {
                    return Err(Abort::Refused(SecondStepError::WrongCode));
                }
                Ok(())
            })
            .await?
        }
    };
    match outcome {
        Ok(()) => {}
        Err(SecondStepError::WrongCode) => {
            let failures = db::write(&state.pool, move |conn| {
                mfa_challenges::add_failure(conn, &token_hash)
            })
            .await?;
            tracing::info!(target: "audit", event = "second_factor_failed", method = code.method(), user_id = %uid, failures, client_ip = %client.ip);
            metrics::get().second_factor_failures.inc();
            return Err(SecondStepError::WrongCode);
        }
        Err(other) => return Err(other),
    }
    state.limits.refund_account(&state.pool, slot).await?;
    let issued = session::start(state, user, client).await?;
    tracing::info!(target: "audit", event = "login", method = code.method(), user_id = %uid, session_id = %issued.session_id, client_ip = %client.ip);
    metrics::get().logins.with_label_values(&["success"]).inc();
    Ok(issued)
}
