//! The `webauthn_ceremonies` table: the server-side state of a started
//! passkey registration or sign-in. [`take`] deletes the row and hands back
//! its state in one statement, inside the caller's transaction: webauthn-rs
//! would accept the same answer twice, so single use is this delete.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::webauthn_ceremonies;
use super::AnyConnection;
use crate::domain::UserId;

/// A registration (bound to the signed-in user who started it).
pub const REGISTER: &str = "register";
/// A usernameless sign-in (no user yet).
pub const LOGIN: &str = "login";

pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    kind: &str,
    user: Option<UserId>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(webauthn_ceremonies::table)
        .values((
            webauthn_ceremonies::id.eq(id),
            webauthn_ceremonies::user_id.eq(user),
            webauthn_ceremonies::kind.eq(kind),
            webauthn_ceremonies::state.eq(state),
            webauthn_ceremonies::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes ceremony `id` of `kind` (for `user`, or for nobody) if it has not
/// expired at `now`, and returns its state. `None`: unknown, used already,
/// expired, of another kind, or another user's.
pub fn take(
    conn: &mut AnyConnection,
    id: &str,
    kind: &str,
    user: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let row = webauthn_ceremonies::table
        .find(id)
        .filter(webauthn_ceremonies::kind.eq(kind))
        .filter(webauthn_ceremonies::expires_at.gt(now));
    let deleted = match user {
        Some(user) => diesel::delete(row.filter(webauthn_ceremonies::user_id.eq(user)))
            .returning(webauthn_ceremonies::state)
            .get_result(conn),
        None => diesel::delete(row.filter(webauthn_ceremonies::user_id.is_null()))
            .returning(webauthn_ceremonies::state)
            .get_result(conn),
    };
    deleted.optional()
}

/// Housekeeping: ceremonies nobody finished in time.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(webauthn_ceremonies::table.filter(webauthn_ceremonies::expires_at.le(now)))
        .execute(conn)
}
