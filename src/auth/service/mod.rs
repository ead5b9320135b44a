//! Account flows shared by the HTML pages and the JSON API: sign-up, login,
//! refresh, logout, password change, account deletion. Each emits its audit event.

mod account;
mod login;
mod refresh;

pub use account::{change_password, current_user, delete_account, logout, revoke_session};
pub use login::{create_account, login, signup, Signup};
pub use refresh::refresh;

use crate::db::users::User;
use crate::domain::{SessionId, UserId};

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
