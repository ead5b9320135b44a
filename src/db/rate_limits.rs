//! The `rate_limits` table: one GCRA bucket per hashed key, shared by every
//! process on the database, each attempt decided by one atomic statement.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::schema::rate_limits;
use crate::db::AnyConnection;

/// Takes one slot, in one statement, the same SQL on SQLite (>= 3.35, for
/// `RETURNING`) and PostgreSQL:
/// - no row yet: the bucket is full; the attempt is allowed, tat = now + T;
/// - a row: allowed when `tat - now <= tolerance`; then tat = max(tat, now) + T
///   (`CASE`, because SQLite's `MAX` and PostgreSQL's `GREATEST` differ);
/// - refused: the `WHERE` of `DO UPDATE` leaves the row alone and `RETURNING`
///   gives no row.
///
/// PostgreSQL locks the conflicting row and re-checks the `WHERE` on its
/// latest version; SQLite runs one writer at a time. Either way concurrent
/// attempts, from any process, are decided one after the other.
///
/// SQLite reads `$1` as a parameter *named* "$1" and numbers named parameters
/// by first appearance: they must first appear in the order `$1, $2, $3, $4`.
const TAKE: &str = "INSERT INTO rate_limits (bucket, tat) VALUES ($1, $2 + $3) \
     ON CONFLICT (bucket) DO UPDATE \
     SET tat = CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END + $3 \
     WHERE rate_limits.tat - $2 <= $4 \
     RETURNING tat";

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    tat: i64,
}

/// Takes one slot from `bucket` at `now_us` for a limit that refills one slot
/// every `interval_us` and allows a burst of `tolerance_us / interval_us + 1`.
/// Returns the bucket's new tat, or `None` when refused (nothing changed).
pub fn take(
    conn: &mut AnyConnection,
    bucket: &str,
    now_us: i64,
    interval_us: i64,
    tolerance_us: i64,
) -> QueryResult<Option<i64>> {
    diesel::sql_query(TAKE)
        .bind::<Text, _>(bucket)
        .bind::<BigInt, _>(now_us)
        .bind::<BigInt, _>(interval_us)
        .bind::<BigInt, _>(tolerance_us)
        .get_result::<Tat>(conn)
        .optional()
        .map(|row| row.map(|r| r.tat))
}

/// The bucket's tat, to tell a refused client how long to wait (`None`: no
/// row, the bucket is full).
pub fn tat(conn: &mut AnyConnection, bucket: &str) -> QueryResult<Option<i64>> {
    rate_limits::table
        .find(bucket)
        .select(rate_limits::tat)
        .first(conn)
        .optional()
}

/// Gives back one slot taken earlier (a sign-in that turned out right). A
/// bucket that refilled or was deleted meanwhile is left as it is: a tat in
/// the past already means full, and `take` starts from `max(tat, now)`.
pub fn give_back(conn: &mut AnyConnection, bucket: &str, interval_us: i64) -> QueryResult<usize> {
    diesel::update(rate_limits::table.find(bucket))
        .set(rate_limits::tat.eq(rate_limits::tat - interval_us))
        .execute(conn)
}

/// Housekeeping: deletes buckets that are full again (tat passed), which is
/// the same as their having no row, so the table holds only recent keys.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let now_us = now.and_utc().timestamp_micros();
    diesel::delete(rate_limits::table.filter(rate_limits::tat.le(now_us))).execute(conn)
}
