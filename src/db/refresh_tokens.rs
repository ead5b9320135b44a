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
    /// The token was used moments ago (within the grace) and its successor is
    /// still unused: the caller hands out that same successor, sealed here.
    Repeated {
        session: Session,
        successor_sealed: String,
    },
    /// The token had been used before: the whole session is now revoked.
    Reused(Session),
    /// Unknown token, or its session is revoked or expired.
    Refused,
}

/// The new token a rotation installs: its hash, and itself sealed (kept on
/// the used row for the grace window only).
#[derive(Debug, Clone, Copy)]
pub struct Successor<'a> {
    pub hash: &'a str,
    pub sealed: &'a str,
}

/// Rotates a refresh token: marks `presented` used and stores the successor.
///
/// The conditional UPDATE comes first, so it both takes SQLite's write lock
/// before any read and decides races: of two concurrent uses of one token,
/// exactly one wins. The other is a repeat when it comes within `grace` of
/// the first use and the successor is still unused; otherwise it is reuse,
/// and the session is revoked.
pub fn rotate(
    conn: &mut AnyConnection,
    presented: &str,
    successor: Successor<'_>,
    now: NaiveDateTime,
    idle: Duration,
    grace: Duration,
) -> QueryResult<Rotation> {
    conn.transaction(|conn| {
        let won = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(presented))
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set((
            refresh_tokens::used_at.eq(now),
            refresh_tokens::successor_hash.eq(successor.hash),
            refresh_tokens::successor_sealed.eq(successor.sealed),
        ))
        .execute(conn)?
            == 1;
        let found: Option<(Session, UsedToken)> = refresh_tokens::table
            .inner_join(sessions::table)
            .filter(refresh_tokens::token_hash.eq(presented))
            .select((Session::as_select(), UsedToken::as_select()))
            .first(conn)
            .optional()?;
        let Some((session, token)) = found else {
            return Ok(Rotation::Refused);
        };
        if !won {
            if let Some(successor_sealed) = repeatable(conn, &token, now, grace)? {
                return Ok(if session.is_live(now, idle) {
                    Rotation::Repeated {
                        session,
                        successor_sealed,
                    }
                } else {
                    Rotation::Refused
                });
            }
            session_rows::revoke_for_reuse(conn, session.id, now)?;
            return Ok(Rotation::Reused(session));
        }
        if !session.is_live(now, idle) {
            return Ok(Rotation::Refused);
        }
        insert(conn, session.id, successor.hash, now)?;
        session_rows::touch(conn, session.id, now)?;
        forget_sealed_successors(conn, session.id, presented)?;
        prune_used(conn, session.id)?;
        Ok(Rotation::Rotated(session))
    })
}

/// The used side of a presented token.
#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct UsedToken {
    used_at: Option<NaiveDateTime>,
    successor_hash: Option<String>,
    successor_sealed: Option<String>,
}

/// The sealed successor to hand out again, when `token` was used within
/// `grace` and its successor has not been used since.
fn repeatable(
    conn: &mut AnyConnection,
    token: &UsedToken,
    now: NaiveDateTime,
    grace: Duration,
) -> QueryResult<Option<String>> {
    let (Some(used_at), Some(hash), Some(sealed)) = (
        token.used_at,
        token.successor_hash.as_deref(),
        token.successor_sealed.as_ref(),
    ) else {
        return Ok(None);
    };
    if grace <= Duration::zero() || now - used_at > grace {
        return Ok(None);
    }
    let successor_unused = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .filter(refresh_tokens::used_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1;
    Ok(successor_unused.then(|| sealed.clone()))
}

/// Once a token is used, the sealed copies of it (on its predecessor) have
/// no purpose left: a repeat of the predecessor now counts as reuse.
fn forget_sealed_successors(
    conn: &mut AnyConnection,
    session_id: SessionId,
    except: &str,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::session_id.eq(session_id))
            .filter(refresh_tokens::token_hash.ne(except))
            .filter(refresh_tokens::successor_sealed.is_not_null()),
    )
    .set(refresh_tokens::successor_sealed.eq(None::<String>))
    .execute(conn)
}

/// Housekeeping: drops sealed successors older than the grace window, so a
/// refresh token never rests encrypted in the database for long.
pub fn forget_expired_successors(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    grace: Duration,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::successor_sealed.is_not_null())
            .filter(refresh_tokens::used_at.lt(now - grace)),
    )
    .set(refresh_tokens::successor_sealed.eq(None::<String>))
    .execute(conn)
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
