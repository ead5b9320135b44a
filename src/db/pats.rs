//! The `personal_access_tokens` table: scoped tokens for scripts, stored by
//! SHA-256 only. Every function that reads or changes one user's tokens takes
//! that user's `UserId`, as `db::tasks` does.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{personal_access_tokens as pats, users};
use super::AnyConnection;
use crate::domain::{PatId, Scopes, UserId};

/// How stale `last_used_at` may get before a request writes it again.
pub const TOUCH_EVERY: Duration = Duration::seconds(60);
/// How long a revoked or expired token's row is kept (so presenting it is
/// logged as use after revocation, and the owner sees it expired).
pub const KEEP_ENDED: Duration = Duration::days(30);

/// A token as stored (its hash is not selected: nothing outside the lookup needs it).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pats)]
pub struct Pat {
    pub id: PatId,
    pub user_id: UserId,
    pub name: String,
    /// Space-separated scope names; read them with [`Pat::scopes`].
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl Pat {
    /// The granted scopes; `None` for a corrupt row (which then grants nothing).
    pub fn scopes(&self) -> Option<Scopes> {
        Scopes::from_stored(&self.scopes)
    }

    /// Usable now: not revoked and not expired.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// True when this use should be recorded (at most once a minute).
    pub fn needs_touch(&self, now: NaiveDateTime) -> bool {
        self.last_used_at.is_none_or(|t| t + TOUCH_EVERY <= now)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = pats)]
pub struct NewPat<'a> {
    pub id: PatId,
    pub user_id: UserId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scopes: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, new: &NewPat<'_>) -> QueryResult<()> {
    diesel::insert_into(pats::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// The token with this hash, whatever its state (the guard tells revoked from unknown).
pub fn find_by_hash(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<Pat>> {
    pats::table
        .filter(pats::token_hash.eq(token_hash))
        .select(Pat::as_select())
        .get_result(conn)
        .optional()
}

/// Records a use; a no-op when another request recorded one within the last minute.
pub fn touch(conn: &mut AnyConnection, id: PatId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        pats::table.filter(pats::id.eq(id)).filter(
            pats::last_used_at
                .is_null()
                .or(pats::last_used_at.le(now - TOUCH_EVERY)),
        ),
    )
    .set(pats::last_used_at.eq(now))
    .execute(conn)
    .map(drop)
}

/// The user's tokens that are not revoked (expired ones included, so the
/// owner sees that they expired), newest first.
pub fn list_for_user(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<Pat>> {
    pats::table
        .filter(pats::user_id.eq(user))
        .filter(pats::revoked_at.is_null())
        .order((pats::created_at.desc(), pats::id.asc()))
        .select(Pat::as_select())
        .load(conn)
}

/// How many of the user's tokens are live (not revoked, not expired).
pub fn count_live(conn: &mut AnyConnection, user: UserId, now: NaiveDateTime) -> QueryResult<i64> {
    pats::table
        .filter(pats::user_id.eq(user))
        .filter(pats::revoked_at.is_null())
        .filter(pats::expires_at.gt(now))
        .count()
        .get_result(conn)
}

/// Revokes one of `user`'s tokens; false when it is not theirs, absent, or already revoked.
pub fn revoke(conn: &mut AnyConnection, id: PatId, user: UserId) -> QueryResult<bool> {
    diesel::update(
        pats::table
            .filter(pats::id.eq(id))
            .filter(pats::user_id.eq(user))
            .filter(pats::revoked_at.is_null()),
    )
    .set(pats::revoked_at.eq(super::now()))
    .execute(conn)
    .map(|n| n > 0)
}

/// Revokes every token of `user` (a password reset, the admin CLI); returns how many.
pub fn revoke_all_for_user(conn: &mut AnyConnection, user: UserId) -> QueryResult<usize> {
    diesel::update(
        pats::table
            .filter(pats::user_id.eq(user))
            .filter(pats::revoked_at.is_null()),
    )
    .set(pats::revoked_at.eq(super::now()))
    .execute(conn)
}

/// Revokes a token whoever owns it (admin CLI); its owner, or `None` when
/// there is no such unrevoked token.
pub fn revoke_any(conn: &mut AnyConnection, id: PatId) -> QueryResult<Option<UserId>> {
    conn.transaction(|conn| {
        let owner = pats::table
            .filter(pats::id.eq(id))
            .filter(pats::revoked_at.is_null())
            .select(pats::user_id)
            .get_result::<UserId>(conn)
            .optional()?;
        if owner.is_some() {
            diesel::update(pats::table.filter(pats::id.eq(id)))
                .set(pats::revoked_at.eq(super::now()))
                .execute(conn)?;
        }
        Ok(owner)
    })
}

/// Unrevoked tokens of everyone, or of one user, with the owner's email; newest first (admin CLI).
pub fn list_all(conn: &mut AnyConnection, user: Option<UserId>) -> QueryResult<Vec<(Pat, String)>> {
    let mut query = pats::table
        .inner_join(users::table)
        .filter(pats::revoked_at.is_null())
        .order((pats::created_at.desc(), pats::id.asc()))
        .select((Pat::as_select(), users::email))
        .into_boxed();
    if let Some(user) = user {
        query = query.filter(pats::user_id.eq(user));
    }
    query.load(conn)
}

/// Deletes tokens that ended (expired or revoked) more than `keep` ago. Until
/// then a revoked token's row stays, so presenting it is logged as use after
/// revocation.
pub fn delete_dead(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    keep: Duration,
) -> QueryResult<usize> {
    let before = now - keep;
    diesel::delete(pats::table.filter(pats::expires_at.le(before).or(pats::revoked_at.le(before))))
        .execute(conn)
}
