//! The `email_tokens` table: single-use links sent by mail (verify an
//! address, reset a password, confirm an email change), by SHA-256 hash only.
//!
//! A token is valid while `used_at IS NULL` and `expires_at > now`. Using one
//! is a conditional UPDATE on exactly that condition ([`consume`]), so of two
//! concurrent uses exactly one sees a row change: on SQLite writers take turns,
//! on PostgreSQL the second UPDATE waits for the first one's row lock and then
//! re-checks `used_at`. Issuing a token marks the user's earlier unused tokens
//! of the same purpose as used ([`supersede`]), so only the newest link works.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::email_tokens;
use super::AnyConnection;
use crate::domain::{SessionId, UserId};

/// What a token may be used for; a token presented for another purpose is
/// refused and stays unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Proves the account's address (`/verify-email`).
    Verify,
    /// Sets a new password (`/reset-password`).
    Reset,
    /// Makes `new_email` the account's address (`/confirm-email`).
    Change,
}

impl Purpose {
    /// The name stored in `purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::Change => "change",
        }
    }
}

/// A token row as stored (the hash is its id).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub token_hash: String,
    pub user_id: UserId,
    pub purpose: String,
    /// For a change: the address the link was sent to.
    pub new_email: Option<String>,
    /// For a change: the session that asked for it (it survives the change).
    pub session_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl EmailToken {
    /// The session that asked for an email change, if it was recorded.
    pub fn requesting_session(&self) -> Option<SessionId> {
        self.session_id.as_deref().and_then(SessionId::parse)
    }
}

/// A token to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = email_tokens)]
pub struct NewEmailToken<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub purpose: &'a str,
    pub new_email: Option<&'a str>,
    pub session_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, new: &NewEmailToken<'_>) -> QueryResult<()> {
    diesel::insert_into(email_tokens::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// Marks `user`'s unused tokens of `purpose` as used (a newer one replaces
/// them); returns how many.
pub fn supersede(
    conn: &mut AnyConnection,
    user: UserId,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
}

/// Marks every unused token of `user`, whatever its purpose, as used (after a
/// reset or an address change, links sent earlier must stop working).
pub fn void_all(conn: &mut AnyConnection, user: UserId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
}

/// The token with this hash if it is valid for `purpose` right now. Reading
/// does not use it up (see [`consume`]).
pub fn find_valid(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailToken>> {
    email_tokens::table
        .filter(email_tokens::token_hash.eq(hash))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select(EmailToken::as_select())
        .get_result(conn)
        .optional()
}

/// Uses the token up if it is still valid for `purpose`: true for exactly one
/// caller, however many present it at once.
pub fn consume(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(hash))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(now)),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes tokens that expired before `cutoff` (housekeeping): used,
/// superseded or not, none of them can be accepted again.
pub fn delete_expired_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(email_tokens::table.filter(email_tokens::expires_at.lt(cutoff))).execute(conn)
}
