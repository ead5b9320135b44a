//! Account flows shared by the HTML pages and the JSON API: sign-up, login,
//! refresh, logout, password change, account deletion, the email flows
//! (verification, forgot/reset, email change), personal access tokens, second
//! factors and passkeys. Each emits its audit event and answers in its own
//! outcome type; the HTTP layer picks statuses.

mod account;
mod login;
pub mod passkeys;
mod pats;
mod reauth;
mod refresh;
mod session;
mod signup;
pub mod two_factor;

use std::fmt;

pub use account::{
    change_password, current_user, delete_account, find_user, logout, revoke_session,
};
pub use account::{ChangePasswordError, RevokeError};
pub use login::{login, LoginError, LoginOutcome};
pub use pats::{create_pat, list_pats, revoke_pat, CreatePatError, CreatedPat};
pub use reauth::ReauthError;
pub use refresh::{refresh, RefreshError};
pub use signup::{create_account, signup, Signup, SignupError, SignupOutcome};

// Email: verification, forgot/reset, email change.
mod confirm_email;
mod detached;
mod email_change;
mod email_link;
mod forgot;
mod reset;
mod verify_email;

pub use confirm_email::{confirm_email_change, ConfirmEmailError};
pub use email_change::{request_email_change, EmailChangeError};
pub use email_link::link_is_valid;
pub use forgot::forgot_password;
pub use reset::{reset_password, ResetPasswordError};
pub use verify_email::{
    resend_verification, resend_verification_to, send_verification, verify_email, VerifyEmailError,
};

use crate::db::users::User;
use crate::domain::SessionId;

/// The one message for every login failure, so it does not tell which part was wrong.
pub const LOGIN_FAILED: &str = "invalid email or password";

/// A signed-in session: what the client receives after sign-up, login or refresh.
pub struct Issued {
    pub user: User,
    pub session_id: SessionId,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the session's absolute end (the refresh cookie's Max-Age).
    pub refresh_ttl_secs: i64,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("user", &self.user)
            .field("session_id", &self.session_id)
            .field("access_token", &"***")
            .field("refresh_token", &"***")
            .finish_non_exhaustive()
    }
}
