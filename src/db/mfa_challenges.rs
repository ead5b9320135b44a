//! The `mfa_challenges` table: the pending second step of a two-factor
//! login, by the SHA-256 of its token. Using one is a DELETE (single use);
//! a wrong code increments `failures`, and at [`MAX_FAILURES`] it is dead.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::mfa_challenges;
use super::AnyConnection;
use crate::domain::UserId;

/// Wrong codes an mfa token survives; the fifth kills it.
pub const MAX_FAILURES: i32 = 5;

/// A live challenge: whose, for which password, and how many wrong codes it has seen.
#[derive(Debug, Clone, Queryable)]
pub struct Challenge {
    pub user_id: UserId,
    /// SHA-256 of the password hash checked at the first step.
    pub password_stamp: String,
    pub failures: i32,
}

pub fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: UserId,
    password_stamp: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(mfa_challenges::table)
        .values((
            mfa_challenges::token_hash.eq(token_hash),
            mfa_challenges::user_id.eq(user),
            mfa_challenges::password_stamp.eq(password_stamp),
            mfa_challenges::created_at.eq(now),
            mfa_challenges::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The challenge if it is still usable at `now`: not expired, fewer than
/// [`MAX_FAILURES`] wrong codes.
pub fn find_live(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Challenge>> {
    mfa_challenges::table
        .find(token_hash)
        .filter(mfa_challenges::expires_at.gt(now))
        .filter(mfa_challenges::failures.lt(MAX_FAILURES))
        .select((
            mfa_challenges::user_id,
            mfa_challenges::password_stamp,
            mfa_challenges::failures,
        ))
        .first(conn)
        .optional()
}

/// Uses the challenge up: deletes it if it is still live, and says whose it
/// was. `None`: already used, expired or dead (the caller refuses).
pub fn consume(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    diesel::delete(
        mfa_challenges::table
            .find(token_hash)
            .filter(mfa_challenges::expires_at.gt(now))
            .filter(mfa_challenges::failures.lt(MAX_FAILURES)),
    )
    .returning(mfa_challenges::user_id)
    .get_result(conn)
    .optional()
}

/// Counts a wrong code; deletes the challenge when that was the last one it
/// allowed. Returns the number of wrong codes it has now seen.
pub fn add_failure(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<i32> {
    conn.transaction(|conn| {
        let failures: Option<i32> = diesel::update(mfa_challenges::table.find(token_hash))
            .set(mfa_challenges::failures.eq(mfa_challenges::failures + 1))
            .returning(mfa_challenges::failures)
            .get_result(conn)
            .optional()?;
        let failures = failures.unwrap_or(MAX_FAILURES);
        if failures >= MAX_FAILURES {
            diesel::delete(mfa_challenges::table.find(token_hash)).execute(conn)?;
        }
        Ok(failures)
    })
}

/// Deletes every pending challenge of a user (two-factor turned off).
pub fn delete_for_user(conn: &mut AnyConnection, user: UserId) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::user_id.eq(user))).execute(conn)
}

/// Housekeeping: challenges past their lifetime.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::expires_at.le(now))).execute(conn)
}
