//! The `users` table: accounts and their password hashes.

use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::time::StoredTime;
use super::{AnyConnection, UniqueIndex};
use crate::domain::{Email, UserId};

/// The unique index on `users.email` (the migration names it).
pub const EMAIL_UNIQUE: UniqueIndex = UniqueIndex {
    name: "users_email_key",
    columns: "users.email",
};

/// An account as stored. The hash never leaves the server: response DTOs are
/// built field by field, and `Debug` leaves the hash out.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub password_hash: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    /// The owner proved the address (a verification or reset link).
    pub email_verified: bool,
    /// Sign-in asks for a TOTP code after the password.
    pub totp_enabled: bool,
    /// The TOTP secret, sealed (`secrets::Purpose::TotpSecrets`); pending
    /// while `totp_enabled` is false.
    pub totp_secret_sealed: Option<String>,
    /// The last TOTP time step accepted, so no code is accepted twice.
    pub totp_last_step: Option<i64>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("email_verified", &self.email_verified)
            .field("totp_enabled", &self.totp_enabled)
            .field("password_hash", &"***")
            .finish_non_exhaustive()
    }
}

/// A row to insert; it has no database-made fields, so it cannot be confused with `User`.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts an account; a taken email comes back as a unique violation of [`EMAIL_UNIQUE`].
pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn find_by_email(conn: &mut AnyConnection, email: &Email) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_ref()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, id: UserId) -> QueryResult<Option<User>> {
    super::per_engine!(conn, |c| users::table
        .find(id)
        .select(User::as_select())
        .get_result(c)
        .optional())
}

/// Replaces the stored hash (password change, or a re-hash with stronger parameters).
pub fn set_password_hash(conn: &mut AnyConnection, id: UserId, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes the account; sessions, refresh tokens and tasks go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut AnyConnection, id: UserId) -> QueryResult<bool> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// Every account, oldest first (admin CLI).
pub fn list_all(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table
        .order((users::created_at.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

// Email links.

/// Records that the owner proved the address (a verification or reset link).
pub fn mark_email_verified(conn: &mut AnyConnection, id: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::email_verified.eq(true),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// Makes `email` (already normalised) the account's address, proven; a taken
/// address comes back as a unique violation of [`EMAIL_UNIQUE`].
pub fn set_verified_email(conn: &mut AnyConnection, id: UserId, email: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(email),
            users::email_verified.eq(true),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// Takes the user's row lock until the transaction ends (a no-op UPDATE), so
/// that one user's mailed links are issued one at a time: on PostgreSQL the
/// next transaction's count of recent mails then sees this one's row.
pub fn lock_row(conn: &mut AnyConnection, id: UserId) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set(users::updated_at.eq(users::updated_at))
        .execute(conn)
        .map(|n| n == 1)
}
