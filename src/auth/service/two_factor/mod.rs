//! Two-factor sign-in: enrolling a TOTP authenticator,
//! recovery codes, turning it off, and the second step of a login.
//!
//! Every code check follows one pattern: reserve a slot of the account's
//! failed-attempt budget, check the code outside the database (TOTP window,
//! or the recovery-code hashes), then *spend* it with a conditional UPDATE in
//! the same transaction as the change it allows, and refund the slot only
//! when that transaction committed. Two requests with the same code cannot
//! both pass: the second UPDATE finds the step taken or the code used.

mod challenge;
mod enrol;
mod manage;

pub use challenge::{complete_login, issue_challenge, MfaChallenge, SecondStepError, METHODS};
pub use enrol::{confirm_enrolment, pending_enrolment, start_enrolment, Enrolment};
pub use manage::{disable, regenerate_codes, status, Status};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::auth::limits::Throttled;
use crate::auth::recovery_codes;
use crate::auth::totp::{self, TotpSecret};
use crate::db::users::User;
use crate::db::{self, recovery_codes as code_rows, totp as totp_rows, AnyConnection};
use crate::domain::UserId;
use crate::error::Fault;
use crate::secrets::Purpose;
use crate::state::AppState;

use super::ReauthError;

/// Why a signed-in two-factor change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    /// Wrong password (counted), or the account's budget is spent.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// The TOTP or recovery code is wrong, or was used already (counted).
    #[error("the code is not correct")]
    WrongCode,
    #[error("two-factor sign-in is already on; turn it off first")]
    AlreadyOn,
    #[error("two-factor sign-in is not on")]
    NotOn,
    #[error("no two-factor enrolment is pending; start one with your password")]
    NoPendingEnrolment,
    #[error("too many failed attempts for this account")]
    Throttled(Throttled),
    /// The account is gone (deleted by another request).
    #[error("the account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// A second-factor code as presented.
#[derive(Clone)]
pub enum Presented {
    /// Six digits from the authenticator app.
    Totp(String),
    /// One of the recovery codes.
    Recovery(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(***)",
            Self::Recovery(_) => "Recovery(***)",
        })
    }
}

impl Presented {
    /// A `code` field that may hold either kind: six digits (spaces ignored)
    /// are a TOTP code, anything else is tried as a recovery code.
    pub fn either(code: String) -> Self {
        let digits = code.chars().filter(|c| !c.is_whitespace()).count() == totp::DIGITS
            && code
                .chars()
                .filter(|c| !c.is_whitespace())
                .all(|c| c.is_ascii_digit());
        if digits {
            Self::Totp(code)
        } else {
            Self::Recovery(code)
        }
    }

    /// For logs and metrics: which method was used.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Totp(_) => "totp",
            Self::Recovery(_) => "recovery_code",
        }
    }
}

/// A code that matched, not yet spent: what [`spend`] must use up.
#[derive(Debug, Clone)]
pub(crate) enum Checked {
    /// This time step of the secret sealed as `sealed`.
    Step { sealed: String, step: i64 },
    /// This recovery-code row.
    Recovery { id: String },
}

/// The sealing context of a user's TOTP secret, so a sealed secret copied
/// onto another account does not open there.
fn seal_context(user: UserId) -> Vec<u8> {
    format!("totp:{user}").into_bytes()
}

/// Opens a sealed TOTP secret; `None` (logged) when it was sealed under
/// another `JWT_SECRET` or is damaged: no code can match it then.
fn open_secret(state: &AppState, user: UserId, sealed: &str) -> Option<TotpSecret> {
    let opened = state
        .sealer(Purpose::TotpSecrets)
        .open(sealed, &seal_context(user));
    match opened.map(|bytes| TotpSecret::from_bytes(&bytes)) {
        Ok(Ok(secret)) => Some(secret),
        Ok(Err(e)) => {
            tracing::error!(user_id = %user, error = %e, "stored TOTP secret is unusable");
            None
        }
        Err(e) => {
            tracing::warn!(user_id = %user, error = %e, "TOTP secret cannot be opened (JWT_SECRET changed?); only recovery codes work");
            None
        }
    }
}

/// Checks `code` against the user's active second factor at the clock's
/// time, without using it up. `None`: wrong, malformed or replayed.
pub(crate) async fn check(
    state: &AppState,
    user: &User,
    code: &Presented,
) -> Result<Option<Checked>, Fault> {
    match code {
        Presented::Totp(code) => {
            let Some(sealed) = user
                .totp_secret_sealed
                .clone()
                .filter(|_| user.totp_enabled)
            else {
                return Ok(None);
            };
            let Some(secret) = open_secret(state, user.id, &sealed) else {
                return Ok(None);
            };
            let verdict = totp::verify(&secret, code, state.clock.unix(), user.totp_last_step);
            Ok(verdict.ok().map(|step| Checked::Step { sealed, step }))
        }
        Presented::Recovery(code) => {
            let uid = user.id;
            let unused = db::run(&state.pool, move |conn| code_rows::unused(conn, uid)).await?;
            let hashes: Vec<&str> = unused.iter().map(|c| c.code_hash.as_str()).collect();
            Ok(recovery_codes::find_match(code, &hashes)
                .and_then(|i| unused.get(i))
                .map(|c| Checked::Recovery { id: c.id.clone() }))
        }
    }
}

/// Uses a checked code up, inside the caller's transaction. `false`: someone
/// used it (or a later step) first, so it must be refused now.
pub(crate) fn spend(
    conn: &mut AnyConnection,
    user: UserId,
    checked: &Checked,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    match checked {
        Checked::Step { sealed, step } => totp_rows::accept_step(conn, user, sealed, *step),
        Checked::Recovery { id } => code_rows::spend(conn, user, id, now),
    }
}

/// Ends a transaction early: a refusal (rolled back) or a database error.
#[derive(Debug)]
enum Abort<R> {
    Refused(R),
    Db(diesel::result::Error),
}

impl<R> From<diesel::result::Error> for Abort<R> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// A write whose transaction may be refused: `Ok(Err(r))` after rollback.
async fn write_or_refuse<T, R, F>(state: &AppState, f: F) -> Result<Result<T, R>, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, Abort<R>> + Send + 'static,
    T: Send + 'static,
    R: Send + 'static,
{
    use diesel::Connection;
    db::write(&state.pool, move |conn| {
        match conn.transaction::<T, Abort<R>, _>(f) {
            Ok(v) => Ok(Ok(v)),
            Err(Abort::Refused(r)) => Ok(Err(r)),
            Err(Abort::Db(e)) => Err(Fault::from(e)),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_a_totp_code_and_anything_else_a_recovery_code() {
        for totp in ["123456", " 123 456 ", "000000"] {
            assert_eq!(Presented::either(totp.into()).method(), "totp", "{totp:?}");
        }
        for other in [
            "12345",
            "1234567",
            "12345a",
            "7k2m-q9xa-d4tr-b8ne-3hwz-p0cj",
            "",
        ] {
            assert_eq!(
                Presented::either(other.into()).method(),
                "recovery_code",
                "{other:?}"
            );
        }
    }

    #[test]
    fn presented_codes_never_print() {
        let code = Presented::either("123456".into());
        assert_eq!(format!("{code:?}"), "Totp(***)");
        let code = Presented::Recovery("secret-code".into());
        assert!(!format!("{code:?}").contains("secret"));
    }
}
