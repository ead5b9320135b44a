//! The `sessions` table: one row per login, and its revocation.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::sessions;
use super::AnyConnection;
use crate::domain::{SessionId, UserId};

/// How stale `last_used_at` may get before a request writes it again. Keeps
/// the hot path read-only while idle expiry stays accurate to a minute.
const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
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

    /// When this session dies if it is not used again.
    pub fn ends_at(&self, idle: Duration) -> NaiveDateTime {
        self.expires_at.min(self.last_used_at + idle)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: SessionId,
    pub user_id: UserId,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Creates a session together with its first refresh token (by hash).
pub fn create(
    conn: &mut AnyConnection,
    new: &NewSession<'_>,
    refresh_hash: &str,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(sessions::table)
            .values(new)
            .execute(conn)?;
        super::refresh_tokens::insert(conn, new.id, refresh_hash, new.created_at)
    })
}

/// The session if it belongs to `user`, whatever its state.
///
/// A primary-key lookup: no `LIMIT` (a re-bound `LIMIT ?` can make SQLite
/// re-compile the statement; see `db::connection::configure_sqlite_once`).
pub fn find(conn: &mut AnyConnection, id: SessionId, user: UserId) -> QueryResult<Option<Session>> {
    super::per_engine!(conn, |c| sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::user_id.eq(user))
        .select(Session::as_select())
        .get_result(c)
        .optional())
}

/// Records use of a session (idle expiry counts from here).
pub fn touch(conn: &mut AnyConnection, id: SessionId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_used_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// The user's live sessions, newest first.
pub fn list_live(
    conn: &mut AnyConnection,
    user: UserId,
    now: NaiveDateTime,
    idle: Duration,
) -> QueryResult<Vec<Session>> {
    list_all_live(conn, Some(user), now, idle)
}

/// Revokes one of `user`'s sessions; false when it is not theirs, absent, or already revoked.
pub fn revoke(conn: &mut AnyConnection, id: SessionId, user: UserId) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(super::now()))
    .execute(conn)
    .map(|n| n > 0)
}

/// Revokes every session of `user` except `keep` (all of them with `None`); returns how many.
pub fn revoke_others(
    conn: &mut AnyConnection,
    user: UserId,
    keep: Option<SessionId>,
) -> QueryResult<usize> {
    let live = sessions::table
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null());
    let now = super::now();
    match keep {
        Some(keep) => diesel::update(live.filter(sessions::id.ne(keep)))
            .set(sessions::revoked_at.eq(now))
            .execute(conn),
        None => diesel::update(live)
            .set(sessions::revoked_at.eq(now))
            .execute(conn),
    }
}

/// Revokes a session found through a replayed refresh token.
pub fn revoke_for_reuse(
    conn: &mut AnyConnection,
    id: SessionId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
    .map(drop)
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
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::last_used_at.le(now - idle))
                .or(sessions::revoked_at.le(now - keep_revoked)),
        ),
    )
    .execute(conn)
}

/// Live sessions of everyone, or of one user, newest first.
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
        query = query.filter(sessions::user_id.eq(user));
    }
    query.load(conn)
}

/// Revokes every live session of everyone; returns how many.
pub fn revoke_everyone(conn: &mut AnyConnection) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(super::now()))
        .execute(conn)
}
