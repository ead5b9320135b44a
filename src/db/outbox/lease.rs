//! The worker's side of the outbox: claiming a due message under a lease,
//! recording what became of the attempt, and giving up on attempts that were
//! interrupted. Every write repeats the condition it relies on, so two
//! processes that race for one row cannot both win.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{FAILED, PENDING, SENT};
use crate::db::schema::outbox;
use crate::db::AnyConnection;

/// How often `claim_next` looks for another candidate after losing a race.
const CLAIM_TRIES: usize = 8;

/// A message this worker now holds the lease on. `attempts` already counts
/// the attempt about to be made, so a process that dies mid-delivery still
/// uses one up (a message that crashes the sender cannot loop forever).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Claimed {
    pub id: String,
    pub to_addr: String,
    pub kind: String,
    pub subject: String,
    pub body_sealed: Option<String>,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

/// Claims the oldest due message for `holder` until `now + lease`, or `None`
/// when nothing is due. The UPDATE repeats the "due" condition, so of two
/// processes that saw the same row only the first to write wins; on
/// PostgreSQL the loser's UPDATE waits for the winner's row lock and then
/// re-checks the condition against the moved `next_attempt_at`.
pub fn claim_next(
    conn: &mut AnyConnection,
    holder: &str,
    now: NaiveDateTime,
    lease: Duration,
    max_attempts: i32,
) -> QueryResult<Option<Claimed>> {
    for _ in 0..CLAIM_TRIES {
        let candidate: Option<String> = outbox::table
            .filter(outbox::status.eq(PENDING))
            .filter(outbox::next_attempt_at.le(now))
            .filter(outbox::attempts.lt(max_attempts))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .select(outbox::id)
            .first(conn)
            .optional()?;
        let Some(id) = candidate else {
            return Ok(None);
        };
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::status.eq(PENDING))
                .filter(outbox::next_attempt_at.le(now))
                .filter(outbox::attempts.lt(max_attempts)),
        )
        .set((
            outbox::next_attempt_at.eq(now + lease),
            outbox::claimed_by.eq(holder),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?
            == 1;
        if won {
            return outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::claimed_by.eq(holder))
                .select(Claimed::as_select())
                .get_result(conn)
                .optional();
        }
    }
    Ok(None)
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Accepted: `sent`, body dropped.
    Sent { at: NaiveDateTime },
    /// Failed, but another attempt may succeed: due again at `at`.
    Retry { error: &'a str, at: NaiveDateTime },
    /// Given up: `failed`, body dropped (its link must not outlive delivery).
    Failed { error: &'a str },
}

/// Rows that `holder` still holds under its claim.
macro_rules! held {
    ($id:expr, $holder:expr) => {
        outbox::table
            .filter(outbox::id.eq($id))
            .filter(outbox::claimed_by.eq($holder))
            .filter(outbox::status.eq(PENDING))
    };
}

/// Records the outcome of `holder`'s attempt. False when `holder` no longer
/// held the message (its lease ran out and another process took it over).
pub fn finish(
    conn: &mut AnyConnection,
    id: &str,
    holder: &str,
    outcome: Outcome<'_>,
) -> QueryResult<bool> {
    let no_text = None::<String>;
    match outcome {
        Outcome::Sent { at } => diesel::update(held!(id, holder))
            .set((
                outbox::status.eq(SENT),
                outbox::body_sealed.eq(&no_text),
                outbox::claimed_by.eq(&no_text),
                outbox::last_error.eq(&no_text),
                outbox::sent_at.eq(Some(at)),
            ))
            .execute(conn),
        Outcome::Retry { error, at } => diesel::update(held!(id, holder))
            .set((
                outbox::next_attempt_at.eq(at),
                outbox::claimed_by.eq(&no_text),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn),
        Outcome::Failed { error } => diesel::update(held!(id, holder))
            .set((
                outbox::status.eq(FAILED),
                outbox::body_sealed.eq(&no_text),
                outbox::claimed_by.eq(&no_text),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn),
    }
    .map(|n| n == 1)
}

/// Gives up messages whose last attempt's lease ran out without an outcome
/// (the process stopped mid-delivery): they have no attempt left to retry.
pub fn give_up_exhausted(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    max_attempts: i32,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::status.eq(PENDING))
            .filter(outbox::attempts.ge(max_attempts))
            .filter(outbox::next_attempt_at.le(now)),
    )
    .set((
        outbox::status.eq(FAILED),
        outbox::body_sealed.eq(None::<String>),
        outbox::claimed_by.eq(None::<String>),
        outbox::last_error.eq(Some("the last attempt was interrupted")),
    ))
    .execute(conn)
}
