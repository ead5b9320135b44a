//! Stored timestamps read into chrono's `NaiveDateTime`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

use super::shape::StoredFields;
use crate::db::connection::{MultiBackend, MultiRawValue};

/// A `TIMESTAMP` column read the way Diesel reads it, only faster on SQLite.
///
/// SQLite keeps timestamps as text. Diesel parses it by trying chrono format
/// strings, which re-reads the format on every value: a visible share of a
/// task page's CPU (BENCHMARKS.md). Text in the shape we write (`YYYY-MM-DD HH:MM:SS`
/// with an optional fraction) is parsed directly; anything else goes to
/// Diesel's own parser, so every value reads exactly as before.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(t: StoredTime) -> Self {
        t.0
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(t) = parse_stored_time(value.read_text()) {
            return Ok(Self(t));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS` plus an optional `.` and 1–9 digits, exactly what
/// chrono's `%F %T%.f` reads for such text; `None` for any other shape.
pub(super) fn parse_stored_time(text: &str) -> Option<NaiveDateTime> {
    let f = StoredFields::split(text.as_bytes())?;
    NaiveDate::from_ymd_opt(i32::try_from(f.year).ok()?, f.month, f.day)?.and_hms_nano_opt(
        f.hour,
        f.minute,
        f.second,
        f.nanos(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_parse_as_chrono_reads_them() {
        for text in [
            "2026-11-25 16:38:52.626366",
            "2026-11-25 16:38:52",
            "2026-11-25 16:38:52.5",
            "2026-11-25 16:38:52.123456789",
            "1999-01-01 00:00:00.000001",
            "2024-02-29 23:59:59.999999",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse_stored_time(text), Some(chrono), "{text}");
        }
        let written = crate::db::now().format("%F %T%.f").to_string();
        assert_eq!(
            parse_stored_time(&written),
            NaiveDateTime::parse_from_str(&written, "%F %T%.f").ok()
        );
        for other in [
            "2026-11-25T16:38:52.626366",
            "2026-11-25 16:38:52.",
            "2026-11-25 16:38:52.1234567890",
            "2026-11-25 16:38:52Z",
            "2026-02-30 16:38:52",
            "2026-11-25 24:00:00",
            "2026-11-25 23:59:60",
            "+2026-11-25 16:38:52",
            "2460999.5",
            "",
        ] {
            assert_eq!(parse_stored_time(other), None, "{other}");
        }
    }
}
