//! The `outbox` table: mail waiting to be delivered, being delivered, or done.
//!
//! Requests only insert rows; `mail::worker` claims due rows with a lease (a
//! conditional UPDATE that moves `next_attempt_at` forward and names the
//! claimer), so several processes on one database never send one message twice
//! while its lease holds (`lease`). The body is stored sealed and cleared once
//! the message is sent or given up.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::AnyConnection;

mod lease;

pub use lease::{claim_next, finish, give_up_exhausted, Claimed, Outcome};

/// Waiting for its (next) delivery attempt, or being delivered under a lease.
pub const PENDING: &str = "pending";
/// Accepted by the relay (or written to `MAIL_DIR`).
pub const SENT: &str = "sent";
/// Given up: out of attempts, or refused permanently.
pub const FAILED: &str = "failed";

/// A row as a request inserts it.
#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow<'a> {
    pub id: &'a str,
    pub to_addr: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body_sealed: Option<&'a str>,
    pub carries_token: bool,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// What the operator sees (`taskgate mail list`): never the body.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxEntry {
    pub id: String,
    pub to_addr: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues one message (it is due at once).
pub fn insert(conn: &mut AnyConnection, row: &NewOutboxRow<'_>) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// When the earliest pending message is due (or its lease runs out).
pub fn next_due(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    outbox::table
        .filter(outbox::status.eq(PENDING))
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .get_result(conn)
}

/// Token-carrying messages queued for `to_addr` since `since`, whatever their
/// status: the contract allows at most 3 per address per hour.
pub fn count_recent_token_mails(
    conn: &mut AnyConnection,
    to_addr: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::to_addr.eq(to_addr))
        .filter(outbox::carries_token.eq(true))
        .filter(outbox::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// The newest `limit` messages, newest first, for the operator.
pub fn list(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<OutboxEntry>> {
    outbox::table
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit)
        .select(OutboxEntry::as_select())
        .load(conn)
}

/// Deletes sent and failed messages created before `cutoff` (housekeeping;
/// keep at least the rate limit's hour).
pub fn delete_finished_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::status.ne(PENDING))
            .filter(outbox::created_at.lt(cutoff)),
    )
    .execute(conn)
}
