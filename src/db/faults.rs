//! How database errors become faults, and how a unique violation is matched
//! to the index that raised it (so a second unique index can never be
//! reported as "email taken").

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::Fault;

impl From<DieselError> for Fault {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, ref info) if is_unavailable(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

/// Messages that mean "the database cannot answer right now" rather than
/// "this query is wrong": libpq's lost-connection errors, a server shutting
/// down, and SQLite's lock timeout. These become 503, and the connection is
/// dropped from the pool.
fn is_unavailable(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "no connection to the server",
        "server closed the connection",
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "could not receive data from server",
        "database is locked",
    ];
    SIGNS.iter().any(|s| message.contains(s))
}

/// A unique index, as each engine names it in its error: PostgreSQL by the
/// index name, SQLite by `table.column` in the message.
#[derive(Debug, Clone, Copy)]
pub struct UniqueIndex {
    pub name: &'static str,
    pub columns: &'static str,
}

/// True when `e` is a unique violation of exactly `index`.
pub fn is_unique_violation(e: &DieselError, index: UniqueIndex) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.constraint_name() == Some(index.name)
                || info
                    .message()
                    .strip_prefix("UNIQUE constraint failed: ")
                    .is_some_and(|cols| cols == index.columns)
        }
        _ => false,
    }
}
