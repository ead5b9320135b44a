//! Timestamps as stored: chrono `NaiveDateTime` in UTC (`db::now()`), with a
//! fast reader for SQLite's text form (`stored`), and one that reads it
//! straight into the RFC 3339 text a response prints (`rfc3339`). Both check
//! the stored text's shape with `shape`.

mod rfc3339;
mod shape;
mod stored;

pub use rfc3339::Rfc3339Text;
pub use stored::StoredTime;
