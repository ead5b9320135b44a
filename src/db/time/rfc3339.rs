//! Stored timestamps read straight into the RFC 3339 text a response prints.

use chrono::NaiveDateTime;
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Binary, Timestamp};
use diesel::sqlite::{Sqlite, SqliteValue};

use super::shape::{is_real, StoredFields, Template};
use super::stored::StoredTime;
use crate::domain::time::{rfc3339, rfc3339_digits};

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
        <StoredTime as FromSql<Timestamp, Sqlite>>::from_sql(value)
            .map(|t| NaiveDateTime::from(t).into())
    }
}

impl FromSql<Timestamp, Pg> for Rfc3339Text {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self::from)
    }
}

/// Stored text of `stored::parse_stored_time`'s shape, for a real date and time
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::time::stored::parse_stored_time;

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
