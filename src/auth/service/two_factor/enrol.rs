//! Turning two-factor on: the password starts a pending enrolment (a new
//! secret, sealed at rest), and a code from the app confirms it, which turns
//! two-factor on and hands out the first set of recovery codes.

use std::fmt;

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::recovery_codes;
use crate::auth::totp::{self, TotpSecret};
use crate::db::users::User;
use crate::db::{self, recovery_codes as code_rows, totp as totp_rows};
use crate::domain::Password;
use crate::mail::{compose, Mail};
use crate::secrets::Purpose;
use crate::state::AppState;

use super::super::{account::current_user, reauth::confirm_password};
use super::{open_secret, seal_context, write_or_refuse, Abort, TwoFactorError};

/// A pending enrolment as the user sees it: the secret to type or scan.
#[derive(Clone)]
pub struct Enrolment {
    /// RFC 4648 base32, no padding (32 characters for 160 bits).
    pub secret: String,
    /// `otpauth://totp/…` for the QR code.
    pub otpauth_uri: String,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrolment(***)")
    }
}

impl Enrolment {
    fn of(secret: &TotpSecret, email: &str) -> Self {
        Self {
            secret: secret.to_base32(),
            otpauth_uri: secret.otpauth_uri(email),
        }
    }
}

async fn user_of(state: &AppState, auth: &Authenticated) -> Result<User, TwoFactorError> {
    current_user(state, auth).await?.ok_or(TwoFactorError::Gone)
}

/// Starts (or restarts) an enrolment after checking the password: a new
/// secret replaces any pending one. Two-factor stays off until confirmed.
pub async fn start_enrolment(
    state: &AppState,
    auth: &Authenticated,
    password: Password,
    client: &ClientInfo,
) -> Result<Enrolment, TwoFactorError> {
    let user = user_of(state, auth).await?;
    if user.totp_enabled {
        return Err(TwoFactorError::AlreadyOn);
    }
    confirm_password(state, &user, password, client).await?;
    let secret = TotpSecret::generate();
    let sealed = state
        .sealer(Purpose::TotpSecrets)
        .seal(secret.expose_bytes(), &seal_context(user.id));
    let uid = user.id;
    if !db::write(&state.pool, move |conn| {
        totp_rows::set_pending(conn, uid, &sealed)
    })
    .await?
    {
        return Err(TwoFactorError::AlreadyOn);
    }
    tracing::info!(target: "audit", event = "totp_enrolment_started", user_id = %uid, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(Enrolment::of(&secret, &user.email))
}

/// The pending enrolment of `user`, to show again (the page after a reload).
pub fn pending_enrolment(state: &AppState, user: &User) -> Option<Enrolment> {
    let sealed = user
        .totp_secret_sealed
        .as_deref()
        .filter(|_| !user.totp_enabled)?;
    open_secret(state, user.id, sealed).map(|secret| Enrolment::of(&secret, &user.email))
}

/// Confirms the pending enrolment with a code from the app: two-factor is on,
/// the code's step is used, and the first ten recovery codes are returned
/// (the only time they are shown). A notice is mailed.
pub async fn confirm_enrolment(
    state: &AppState,
    auth: &Authenticated,
    code: &str,
    client: &ClientInfo,
) -> Result<Vec<String>, TwoFactorError> {
    let user = user_of(state, auth).await?;
    if user.totp_enabled {
        return Err(TwoFactorError::AlreadyOn);
    }
    let sealed = user
        .totp_secret_sealed
        .clone()
        .ok_or(TwoFactorError::NoPendingEnrolment)?;
    let secret = open_secret(state, user.id, &sealed).ok_or(TwoFactorError::NoPendingEnrolment)?;
    let slot = state
        .limits
        .reserve_account(&state.pool, &user.email)
        .await?
        .map_err(|t| {
            crate::metrics::get()
                .rate_limited
                .with_label_values(&["account"])
                .inc();
            TwoFactorError::Throttled(t)
        })?;
    let Ok(step) = totp::verify(&secret, code, state.clock.unix(), None) else {
        tracing::info!(target: "audit", event = "totp_enrolment_failed", user_id = %user.id, client_ip = %client.ip);
        crate::metrics::get().second_factor_failures.inc();
        return Err(TwoFactorError::WrongCode);
    };
    let set = recovery_codes::generate_set();
    let notice = compose(&Mail::TwoFactorEnabled, &state.mail_context());
    let (uid, email, outbox, now) = (
        user.id,
        user.email.clone(),
        state.outbox.clone(),
        state.clock.now(),
    );
    let hashes = set.hashes.clone();
    write_or_refuse(state, move |conn| {
        if !totp_rows::enable(conn, uid, &sealed, step)? {
            return Err(Abort::Refused(TwoFactorError::NoPendingEnrolment));
        }
        code_rows::replace_set(conn, uid, &hashes, now)?;
        outbox.enqueue(conn, &email, &notice)?;
        Ok(())
    })
    .await??;
    state.outbox.wake();
    state.limits.refund_account(&state.pool, slot).await?;
    tracing::info!(target: "audit", event = "two_factor_enabled", user_id = %uid, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(set.codes)
}
