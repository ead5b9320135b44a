//! The `sessions` and `refresh_tokens` tables: logins, their refresh-token
//! chains, and revocation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{refresh_tokens, sessions};
use super::AnyConnection;
use crate::domain::{SessionId, UserId};

/// How stale `last_used_at` may get before a request writes it again. Keeps
/// the hot path read-only while idle expiry stays accurate to a minute.
const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl Session {
    /// True when this use should be recorded: `last_used_at` is older than a
    /// minute, or than a quarter of the idle limit when that is shorter (so a
    /// session in steady use never idles out between two writes).
    pub fn needs_touch(&self, now: NaiveDateTime, idle: Duration) -> bool {
        self.last_used_at + TOUCH_EVERY.min(idle / 4) < now
    }

    /// Alive: not revoked, before its absolute end, and used within `idle`.
    pub fn is_live(&self, now: NaiveDateTime, idle: Duration) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.last_used_at + idle > now
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: String,
    pub user_id: String,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshToken<'a> {
    token_hash: &'a str,
    session_id: &'a str,
    created_at: NaiveDateTime,
}

/// Creates a session together with its first refresh token (by hash).
pub fn create(
    conn: &mut AnyConnection,
    new: &NewSession<'_>,
    refresh_hash: &str,
) -> QueryResult<()> {
    super::queued_write(conn, |conn| {
        conn.transaction(|conn| {
            diesel::insert_into(sessions::table)
                .values(new)
                .execute(conn)?;
            insert_refresh(conn, &new.id, refresh_hash, new.created_at)
        })
    })
}

fn insert_refresh(
    conn: &mut AnyConnection,
    session_id: &str,
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

/// The session if it belongs to `user`, whatever its state.
///
/// A primary-key lookup: no `LIMIT` (a re-bound `LIMIT ?` can make SQLite
/// re-compile the statement; see `db::connection::configure_sqlite_once`).
pub fn find(conn: &mut AnyConnection, id: SessionId, user: UserId) -> QueryResult<Option<Session>> {
    sessions::table
        .filter(sessions::id.eq(id.to_string()))
        .filter(sessions::user_id.eq(user.to_string()))
        .select(Session::as_select())
        .get_result(conn)
        .optional()
}

/// Records use of a session (idle expiry counts from here).
pub fn touch(conn: &mut AnyConnection, id: SessionId, now: NaiveDateTime) -> QueryResult<()> {
    super::queued_write(conn, |conn| {
        diesel::update(sessions::table.find(id.to_string()))
            .set(sessions::last_used_at.eq(now))
            .execute(conn)
            .map(drop)
    })
}

/// The user's live sessions, newest first.
pub fn list_live(
    conn: &mut AnyConnection,
    user: UserId,
    now: NaiveDateTime,
    idle: Duration,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user.to_string()))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_used_at.gt(now - idle))
        .order(sessions::created_at.desc())
        .select(Session::as_select())
        .load(conn)
}

/// Revokes one of `user`'s sessions; false when it is not theirs, absent, or already revoked.
pub fn revoke(conn: &mut AnyConnection, id: SessionId, user: UserId) -> QueryResult<bool> {
    super::queued_write(conn, |conn| {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq(id.to_string()))
                .filter(sessions::user_id.eq(user.to_string()))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(super::now()))
        .execute(conn)
        .inspect(|_| note_local_change())
        .map(|n| n > 0)
    })
}

/// Revokes every session of `user` except `keep`; returns how many.
pub fn revoke_others(
    conn: &mut AnyConnection,
    user: UserId,
    keep: SessionId,
) -> QueryResult<usize> {
    super::queued_write(conn, |conn| {
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user.to_string()))
                .filter(sessions::id.ne(keep.to_string()))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(super::now()))
        .execute(conn)
        .inspect(|_| note_local_change())
    })
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
pub fn rotate_refresh(
    conn: &mut AnyConnection,
    presented: &str,
    new_hash: &str,
    now: NaiveDateTime,
    idle: Duration,
) -> QueryResult<Rotation> {
    super::queued_write(conn, |conn| {
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
                diesel::update(
                    sessions::table
                        .find(&session.id)
                        .filter(sessions::revoked_at.is_null()),
                )
                .set(sessions::revoked_at.eq(now))
                .execute(conn)?;
                note_local_change();
                return Ok(Rotation::Reused(session));
            }
            if !session.is_live(now, idle) {
                return Ok(Rotation::Refused);
            }
            insert_refresh(conn, &session.id, new_hash, now)?;
            diesel::update(sessions::table.find(&session.id))
                .set(sessions::last_used_at.eq(now))
                .execute(conn)?;
            Ok(Rotation::Rotated(session))
        })
    })
}

/// Deletes sessions that can never be used again: past their absolute end,
/// idle too long, or revoked more than `keep_revoked` ago (kept that long so a
/// replayed refresh token is still logged as reuse). Refresh tokens go with them.
pub fn delete_dead(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    idle: Duration,
    keep_revoked: Duration,
) -> QueryResult<usize> {
    super::queued_write(conn, |conn| {
        diesel::delete(
            sessions::table.filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::last_used_at.le(now - idle))
                    .or(sessions::revoked_at.le(now - keep_revoked)),
            ),
        )
        .execute(conn)
        .inspect(|_| note_local_change())
    })
}

/// Live sessions of everyone, or of one user, newest first (admin CLI).
pub fn list_all_live(
    conn: &mut AnyConnection,
    user: Option<UserId>,
    now: NaiveDateTime,
    idle: Duration,
) -> QueryResult<Vec<Session>> {
    let mut query = sessions::table
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_used_at.gt(now - idle))
        .order(sessions::created_at.desc())
        .select(Session::as_select())
        .into_boxed();
    if let Some(user) = user {
        query = query.filter(sessions::user_id.eq(user.to_string()));
    }
    query.load(conn)
}

/// Revokes every live session of one user, or of everyone; returns how many.
pub fn revoke_all(conn: &mut AnyConnection, user: Option<UserId>) -> QueryResult<usize> {
    super::queued_write(conn, |conn| {
        let now = super::now();
        let revoked = match user {
            Some(user) => diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(user.to_string()))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(now))
            .execute(conn),
            None => diesel::update(sessions::table.filter(sessions::revoked_at.is_null()))
                .set(sessions::revoked_at.eq(now))
                .execute(conn),
        };
        revoked.inspect(|_| note_local_change())
    })
}

// ---------------------------------------------------------------------------
// Local change notices, for the guard's session cache (`auth::guard`).

/// Microseconds on a monotonic clock private to this process; never 0.
pub fn clock_us() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let elapsed = BASE.get_or_init(Instant::now).elapsed().as_micros();
    u64::try_from(elapsed).unwrap_or(u64::MAX - 1) + 1
}

static LAST_LOCAL_CHANGE_US: AtomicU64 = AtomicU64::new(0);

/// Records that this process has just revoked or deleted sessions (or is about
/// to commit doing so). The revoking functions above call it, and on SQLite a
/// per-connection trigger calls it for every revoked or deleted `sessions` row,
/// whatever the statement (an account deletion's cascade included): see
/// `db::connection`.
pub fn note_local_change() {
    LAST_LOCAL_CHANGE_US.fetch_max(clock_us(), Ordering::AcqRel);
}

/// When this process last revoked or deleted a session (`clock_us`), 0 if never.
pub fn last_local_change_us() -> u64 {
    LAST_LOCAL_CHANGE_US.load(Ordering::Acquire)
}

/// Serialises the unit tests that move or depend on the local change clock.
#[cfg(test)]
pub static CHANGE_CLOCK_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
