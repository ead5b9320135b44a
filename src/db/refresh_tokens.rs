//! The `refresh_tokens` table: every session's chain of refresh tokens, by
//! SHA-256 hash only, and the rotation that decides races and detects reuse.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{refresh_tokens, sessions};
use super::sessions::{self as session_rows, Session};
use super::AnyConnection;
use crate::domain::SessionId;

/// Used tokens kept per session for reuse detection; older ones are pruned
/// at each rotation so a busy client cannot grow the table without bound.
/// A replay of the last few tokens (the ones a thief could have raced the
/// owner for) still revokes the session; an older one is simply unknown.
pub const KEEP_USED: i64 = 8;

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshToken<'a> {
    token_hash: &'a str,
    session_id: SessionId,
    created_at: NaiveDateTime,
}

/// Stores a new current token for `session_id`.
pub fn insert(
    conn: &mut AnyConnection,
    session_id: SessionId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            token_hash: hash,
            session_id,
            created_at: now,
        })
        .execute(conn)
        .map(drop)
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current; it is now used and `new_hash` is the session's current one.
    Rotated(Session),
    /// The token had been used before: the whole session is now revoked.
    Reused(Session),
    /// Unknown token, or its session is revoked or expired.
    Refused,
}

/// Rotates a refresh token: marks `presented` used and stores `new_hash`.
///
/// The conditional UPDATE comes first, so it both takes SQLite's write lock
/// before any read and decides races: of two concurrent uses of one token,
/// exactly one wins and the other is treated as reuse.
pub fn rotate(
    conn: &mut AnyConnection,
    presented: &str,
    new_hash: &str,
    now: NaiveDateTime,
    idle: Duration,
) -> QueryResult<Rotation> {
    conn.transaction(|conn| {
        let won = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(presented))
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?
            == 1;
        let session: Option<Session> = refresh_tokens::table
            .inner_join(sessions::table)
            .filter(refresh_tokens::token_hash.eq(presented))
            .select(Session::as_select())
            .first(conn)
            .optional()?;
        let Some(session) = session else {
            return Ok(Rotation::Refused);
        };
        if !won {
            session_rows::revoke_for_reuse(conn, session.id, now)?;
            return Ok(Rotation::Reused(session));
        }
        if !session.is_live(now, idle) {
            return Ok(Rotation::Refused);
        }
        insert(conn, session.id, new_hash, now)?;
        session_rows::touch(conn, session.id, now)?;
        prune_used(conn, session.id)?;
        Ok(Rotation::Rotated(session))
    })
}

/// Deletes a session's used tokens beyond the newest [`KEEP_USED`].
fn prune_used(conn: &mut AnyConnection, session_id: SessionId) -> QueryResult<usize> {
    let keep: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::session_id.eq(session_id))
        .filter(refresh_tokens::used_at.is_not_null())
        .order(refresh_tokens::used_at.desc())
        .limit(KEEP_USED)
        .select(refresh_tokens::token_hash)
        .load(conn)?;
    if (keep.len() as i64) < KEEP_USED {
        return Ok(0);
    }
    diesel::delete(
        refresh_tokens::table
            .filter(refresh_tokens::session_id.eq(session_id))
            .filter(refresh_tokens::used_at.is_not_null())
            .filter(refresh_tokens::token_hash.ne_all(keep)),
    )
    .execute(conn)
}

/// How many tokens a session has stored (tests and the CLI).
pub fn count_for(conn: &mut AnyConnection, session_id: SessionId) -> QueryResult<i64> {
    refresh_tokens::table
        .filter(refresh_tokens::session_id.eq(session_id))
        .count()
        .get_result(conn)
}
