//! The `recovery_codes` table: one row per code of a user's current set, by
//! hash. A code is spent by a conditional UPDATE (`used_at IS NULL`), so it
//! is accepted once even when two requests race with it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::recovery_codes;
use super::AnyConnection;
use crate::domain::UserId;

/// An unused code of a user: its row id and the hash to compare with.
#[derive(Debug, Clone, Queryable)]
pub struct UnusedCode {
    pub id: String,
    pub code_hash: String,
}

/// Replaces the user's whole set with `hashes` (the old codes stop working).
/// Call inside a transaction with whatever made the new set necessary.
pub fn replace_set(
    conn: &mut AnyConnection,
    user: UserId,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    delete_all(conn, user)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::id.eq(uuid::Uuid::new_v4().to_string()),
                recovery_codes::user_id.eq(user),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes every code of the user (two-factor turned off).
pub fn delete_all(conn: &mut AnyConnection, user: UserId) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user))).execute(conn)
}

/// The user's codes that are still usable.
pub fn unused(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<UnusedCode>> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user))
        .filter(recovery_codes::used_at.is_null())
        .order(recovery_codes::id)
        .select((recovery_codes::id, recovery_codes::code_hash))
        .load(conn)
}

/// How many of the user's codes are still usable.
pub fn count_unused(conn: &mut AnyConnection, user: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks code `id` of `user` used. `false`: it was used already (a replay, or
/// a concurrent request won) or is gone (a new set replaced it).
pub fn spend(
    conn: &mut AnyConnection,
    user: UserId,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        recovery_codes::table
            .find(id)
            .filter(recovery_codes::user_id.eq(user))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}
