//! The TOTP columns of `users`: a pending secret, turning two-factor on and
//! off, and the last accepted time step. Every change that accepts a code is
//! one conditional UPDATE, so two requests racing with the same code cannot
//! both pass: the second finds the step already taken and changes nothing.

use diesel::prelude::*;

use super::schema::users;
use super::AnyConnection;
use crate::domain::UserId;

/// Stores a new pending secret (sealed) while two-factor is off; forgets any
/// step accepted before. `false`: two-factor is already on (or no such user).
pub fn set_pending(conn: &mut AnyConnection, user: UserId, sealed: &str) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled.eq(false)),
    )
    .set((
        users::totp_secret_sealed.eq(sealed),
        users::totp_last_step.eq(None::<i64>),
        users::updated_at.eq(super::now()),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Turns two-factor on with the pending secret `sealed` (the one the code was
/// checked against) and records `step` as used. `false`: it is already on,
/// or the pending secret was replaced meanwhile.
pub fn enable(
    conn: &mut AnyConnection,
    user: UserId,
    sealed: &str,
    step: i64,
) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled.eq(false))
            .filter(users::totp_secret_sealed.eq(sealed)),
    )
    .set((
        users::totp_enabled.eq(true),
        users::totp_last_step.eq(step),
        users::updated_at.eq(super::now()),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records `step` as accepted if it is later than the last accepted one, for
/// the active secret `sealed`. `false`: a replay (this step or a later one was
/// accepted already, perhaps by a concurrent request), or two-factor changed.
pub fn accept_step(
    conn: &mut AnyConnection,
    user: UserId,
    sealed: &str,
    step: i64,
) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled.eq(true))
            .filter(users::totp_secret_sealed.eq(sealed))
            .filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)
    .map(|n| n == 1)
}

/// Turns two-factor off and forgets the secret. `false`: it was not on.
pub fn disable(conn: &mut AnyConnection, user: UserId) -> QueryResult<bool> {
    diesel::update(users::table.find(user).filter(users::totp_enabled.eq(true)))
        .set((
            users::totp_enabled.eq(false),
            users::totp_secret_sealed.eq(None::<String>),
            users::totp_last_step.eq(None::<i64>),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|n| n == 1)
}
