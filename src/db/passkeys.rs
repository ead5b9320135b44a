//! The `passkeys` table: a user's registered passkeys, each webauthn-rs's
//! `Passkey` as JSON beside its unique credential id and signature counter.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::passkeys;
use super::{AnyConnection, UniqueIndex};
use crate::domain::{PasskeyId, UserId};

/// The unique index on `passkeys.credential_id`: one credential, one account.
pub const CREDENTIAL_UNIQUE: UniqueIndex = UniqueIndex {
    name: "passkeys_credential_id_key",
    columns: "passkeys.credential_id",
};

/// A passkey as listed: never its key material.
#[derive(Debug, Clone, Queryable)]
pub struct PasskeyListing {
    pub id: PasskeyId,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// What a sign-in needs: the owner, the stored passkey JSON and its counter.
#[derive(Debug, Clone, Queryable)]
pub struct StoredRow {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub passkey: String,
    pub counter: i64,
}

/// A row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = passkeys)]
pub struct NewPasskey<'a> {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub name: &'a str,
    pub credential_id: &'a str,
    pub passkey: &'a str,
    pub counter: i64,
    pub created_at: NaiveDateTime,
}

/// Inserts a passkey; a credential registered before (to anyone) comes back
/// as a unique violation of [`CREDENTIAL_UNIQUE`].
pub fn insert(conn: &mut AnyConnection, new: &NewPasskey<'_>) -> QueryResult<()> {
    diesel::insert_into(passkeys::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// True when some account already holds this credential.
pub fn credential_taken(conn: &mut AnyConnection, credential_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        passkeys::table.filter(passkeys::credential_id.eq(credential_id)),
    ))
    .get_result(conn)
}

/// The user's passkeys, oldest first.
pub fn list(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<PasskeyListing>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user))
        .order((passkeys::created_at.asc(), passkeys::id.asc()))
        .select((
            passkeys::id,
            passkeys::name,
            passkeys::created_at,
            passkeys::last_used_at,
        ))
        .load(conn)
}

/// The stored JSON of every passkey of the user (to exclude at registration).
pub fn stored_for_user(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<String>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user))
        .select(passkeys::passkey)
        .load(conn)
}

/// The passkey holding `credential_id`, whoever owns it.
pub fn find_by_credential(
    conn: &mut AnyConnection,
    credential_id: &str,
) -> QueryResult<Option<StoredRow>> {
    passkeys::table
        .filter(passkeys::credential_id.eq(credential_id))
        .select((
            passkeys::id,
            passkeys::user_id,
            passkeys::passkey,
            passkeys::counter,
        ))
        .first(conn)
        .optional()
}

/// Records a sign-in: the updated JSON and counter, if the row still has the
/// counter the verification started from. `false`: a concurrent sign-in with
/// the same passkey got there first (the caller refuses this one).
pub fn record_use(
    conn: &mut AnyConnection,
    row: &StoredRow,
    passkey: &str,
    counter: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        passkeys::table
            .find(row.id)
            .filter(passkeys::counter.eq(row.counter)),
    )
    .set((
        passkeys::passkey.eq(passkey),
        passkeys::counter.eq(counter),
        passkeys::last_used_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes one of the user's passkeys. `false`: not theirs, or no such passkey.
pub fn delete(conn: &mut AnyConnection, id: PasskeyId, user: UserId) -> QueryResult<bool> {
    diesel::delete(passkeys::table.find(id).filter(passkeys::user_id.eq(user)))
        .execute(conn)
        .map(|n| n == 1)
}
