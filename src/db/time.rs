//! Timestamps as stored: chrono `NaiveDateTime` in UTC (`db::now()`), with a
//! fast reader for SQLite's text form, and one that reads it straight into
//! the RFC 3339 text a response prints.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Binary, Timestamp};
use diesel::sqlite::{Sqlite, SqliteValue};

use super::connection::{MultiBackend, MultiRawValue};
use crate::domain::time::{rfc3339, rfc3339_digits};

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
fn parse_stored_time(text: &str) -> Option<NaiveDateTime> {
    let f = StoredFields::split(text.as_bytes())?;
    NaiveDate::from_ymd_opt(i32::try_from(f.year).ok()?, f.month, f.day)?.and_hms_nano_opt(
        f.hour,
        f.minute,
        f.second,
        f.nanos(),
    )
}

/// Stored text of that shape split into its fields. Only the shape and the
/// digits are checked here; whether the date and time exist is the caller's.
struct StoredFields<'a> {
    /// `YYYY-MM-DD HH:MM:SS`.
    text: &'a [u8; 19],
    /// The digits after the `.`, none to nine.
    fraction: &'a [u8],
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl<'a> StoredFields<'a> {
    fn split(b: &'a [u8]) -> Option<Self> {
        let fraction = match b.len() {
            19 => &[][..],
            21..=29 if b[19] == b'.' => &b[20..],
            _ => return None,
        };
        let text: &[u8; 19] = b.get(..19)?.try_into().ok()?;
        let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
        let two = |at: usize| Some(digit(text[at])? * 10 + digit(text[at + 1])?);
        let shape = [text[4], text[7], text[10], text[13], text[16]] == *b"-- ::"
            && fraction.iter().all(u8::is_ascii_digit);
        shape.then_some(())?;
        Some(Self {
            text,
            fraction,
            year: two(0)? * 100 + two(2)?,
            month: two(5)?,
            day: two(8)?,
            hour: two(11)?,
            minute: two(14)?,
            second: two(17)?,
        })
    }

    /// The fraction as nanoseconds (digits past the ninth cannot occur).
    fn nanos(&self) -> u32 {
        (0..9).fold(0, |n, i| {
            n * 10 + self.fraction.get(i).map_or(0, |&c| u32::from(c - b'0'))
        })
    }
}

/// A `TIMESTAMP` column read straight into [`rfc3339`]'s text, for answers
/// that only print it: a page of 20 tasks prints 40, and parsing each into a
/// date only to write it out again was a fifth of the page's instructions
/// (BENCHMARKS.md). On SQLite the column is selected as a blob (`db::blob`):
/// text in the shape we write is checked (a real date and time) and its
/// digits copied; any other value takes the [`StoredTime`] path, so the text
/// is always what `rfc3339` makes of it.
#[derive(diesel::deserialize::FromSqlRow)]
pub enum Rfc3339Text {
    Digits([u8; 27]),
    Other(String),
}

impl Rfc3339Text {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Digits(digits) => digits,
            Self::Other(text) => text.as_bytes(),
        }
    }
}

impl From<NaiveDateTime> for Rfc3339Text {
    fn from(t: NaiveDateTime) -> Self {
        rfc3339_digits(t).map_or_else(|| Self::Other(rfc3339(t)), Self::Digits)
    }
}

/// The column selected as `CAST(column AS BLOB)` (`db::blob`): the same
/// bytes as its text. Any other shape is read as that text by [`StoredTime`]
/// (and so by Diesel's parser where ours does not apply).
impl FromSql<Binary, Sqlite> for Rfc3339Text {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(digits) = stored_as_rfc3339(value.read_blob()) {
            return Ok(Self::Digits(digits));
        }
        <StoredTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(|t| t.0.into())
    }
}

impl FromSql<Timestamp, Pg> for Rfc3339Text {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self::from)
    }
}

/// Stored text of [`parse_stored_time`]'s shape, for a real date and time
/// with a year of four digits, as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: exactly
/// `rfc3339_digits(parse_stored_time(text)?)`, without building the date.
fn stored_as_rfc3339(b: &[u8]) -> Option<[u8; 27]> {
    match <&[u8; 26]>::try_from(b) {
        Ok(micros) => micros_as_rfc3339(micros),
        Err(_) => fields_as_rfc3339(b),
    }
}

/// [`stored_as_rfc3339`] for any length, field by field.
fn fields_as_rfc3339(b: &[u8]) -> Option<[u8; 27]> {
    let f = StoredFields::split(b)?;
    if !is_real(f.year, f.month, f.day, f.hour, f.minute, f.second) {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    out[..10].copy_from_slice(&f.text[..10]);
    out[11..19].copy_from_slice(&f.text[11..19]);
    // Microseconds: the first six digits of the fraction, zeros after it.
    for (slot, &d) in out[20..26].iter_mut().zip(f.fraction) {
        *slot = d;
    }
    Some(out)
}

/// [`stored_as_rfc3339`] for the shape nearly every stored value has
/// (`db::now()` keeps microseconds: `YYYY-MM-DD HH:MM:SS.ffffff`): the shape
/// checked 16 bytes at a time ([`Template`]), then a handful of range checks.
/// The general path's field-by-field split was ~380 instructions per value,
/// 40 values per page of tasks. The RFC 3339 text is the stored text with a
/// `T` for the space and a `Z` after it.
fn micros_as_rfc3339(t: &[u8; 26]) -> Option<[u8; 27]> {
    const HEAD: Template = Template::new(b"0000-00-00 00:00");
    const TAIL: Template = Template::new(b" 00:00:00.000000");
    let (head, tail) = (t.first_chunk::<16>()?, t.last_chunk::<16>()?);
    if !(HEAD.matches(head) && TAIL.matches(tail)) {
        return None;
    }
    let two = |at: usize| u32::from(t[at] - b'0') * 10 + u32::from(t[at + 1] - b'0');
    if !is_real(
        two(0) * 100 + two(2),
        two(5),
        two(8),
        two(11),
        two(14),
        two(17),
    ) {
        return None;
    }
    let mut out = [b'Z'; 27];
    out[..26].copy_from_slice(t);
    out[10] = b'T';
    Some(out)
}

/// 16 bytes of text as a pattern: a digit where the pattern has `0`, exactly
/// the pattern's byte anywhere else. Checked on all 16 bytes in a few integer
/// operations: each byte XOR its pattern byte must be below 10 (a digit) or
/// below 1 (the same byte), i.e. adding `0x80 - limit` must not reach the
/// byte's top bit. A byte that passes is below 0x80 and sums below 0x100, so
/// no carry crosses into the next byte; only a byte that fails can carry.
struct Template {
    pattern: u128,
    add: u128,
}

impl Template {
    const HIGH_BITS: u128 = u128::from_ne_bytes([0x80; 16]);

    const fn new(pattern: &[u8; 16]) -> Self {
        let mut add = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            add[i] = if pattern[i] == b'0' {
                0x80 - 10
            } else {
                0x80 - 1
            };
            i += 1;
        }
        Self {
            pattern: u128::from_ne_bytes(*pattern),
            add: u128::from_ne_bytes(add),
        }
    }

    fn matches(&self, bytes: &[u8; 16]) -> bool {
        let diff = u128::from_ne_bytes(*bytes) ^ self.pattern;
        (diff.wrapping_add(self.add) | diff) & Self::HIGH_BITS == 0
    }
}

/// A date and time that exist (what chrono would build from the fields): a
/// month 1–12, a day of that month, a time of day without a leap second.
fn is_real(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> bool {
    (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
}

/// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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

    /// The 16-bytes-at-a-time check against the field-by-field one, on every
    /// byte value at every position of stored texts with microseconds.
    #[test]
    fn the_fast_shape_check_decides_as_the_field_by_field_one() {
        let mut agreed = 0;
        for valid in [
            "2024-02-29 23:59:59.999999",
            "0000-01-01 00:00:00.000000",
            "2026-11-30 09:07:05.123456",
        ] {
            let valid: &[u8; 26] = valid.as_bytes().try_into().unwrap();
            assert!(micros_as_rfc3339(valid).is_some());
            for at in 0..26 {
                for c in 0..=u8::MAX {
                    let mut t = *valid;
                    t[at] = c;
                    assert_eq!(micros_as_rfc3339(&t), fields_as_rfc3339(&t), "{t:?}");
                    agreed += usize::from(micros_as_rfc3339(&t).is_some());
                }
            }
        }
        assert!(agreed > 3 * 26, "valid variants were exercised: {agreed}");
    }

    /// The copying reader against the parsing one, on every month and
    /// boundary day of leap and common years, impossible times, every
    /// fraction length, and shapes that are not ours.
    #[test]
    fn stored_text_becomes_exactly_the_rfc3339_of_its_parsed_time() {
        let mut texts = Vec::new();
        for year in [
            "0000", "0001", "0004", "0100", "0400", "1900", "2000", "2024", "2026", "9999",
        ] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for time in ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"] {
                        texts.push(format!("{year}-{month:02}-{day:02} {time}"));
                    }
                }
            }
        }
        // The same grid in the stored shape with microseconds (the fast path).
        let whole = texts.clone();
        texts.extend(whole.iter().map(|t| format!("{t}.123456")));
        // Every position of a valid text with microseconds, changed.
        let valid = "2024-02-29 23:59:59.999999";
        for at in 0..valid.len() {
            for c in [b'0', b'9', b'-', b' ', b':', b'.', b'/', b'a', b'T', 0] {
                let mut bytes = valid.as_bytes().to_vec();
                bytes[at] = c;
                texts.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        for fraction in [
            "",
            ".",
            ".1",
            ".12345",
            ".123456",
            ".1234567",
            ".123456789",
            ".1234567890",
            ".12a",
        ] {
            texts.push(format!("2026-11-25 16:38:52{fraction}"));
        }
        texts.extend(
            [
                "2026-11-25T16:38:52",
                "2026-1-25 16:38:52",
                "+2026-11-25 16:38:5",
                "2026-11-25 16:38:52Z",
                "",
                "x",
            ]
            .map(String::from),
        );
        let mut fast = 0;
        for text in &texts {
            let expected = parse_stored_time(text).and_then(rfc3339_digits);
            assert_eq!(stored_as_rfc3339(text.as_bytes()), expected, "{text}");
            fast += usize::from(expected.is_some());
        }
        assert!(fast > 1500, "the valid cases were exercised: {fast}");
        let written = crate::db::now().format("%F %T%.f").to_string();
        assert_eq!(
            stored_as_rfc3339(written.as_bytes()).map(|d| String::from_utf8(d.to_vec()).unwrap()),
            Some(rfc3339(parse_stored_time(&written).unwrap()))
        );
    }
}
