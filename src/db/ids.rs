//! The domain's UUID ids as Diesel values: stored as `TEXT` (hyphenated,
//! lower case) on both engines, read back into the typed id. Rows and filters
//! then carry `UserId`/`SessionId`/`TaskId`/`PatId` instead of strings, so an id of
//! one kind can never be compared with a column of another.

use std::io::Write;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Binary, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteValue};

use super::connection::{MultiBackend, MultiRawValue};
use crate::domain::{PasskeyId, PatId, SessionId, TaskId, UserId};

/// Diesel's traits for one id type; each must offer `parse(&str) -> Option<Self>`
/// and a hyphenated `Display`.
macro_rules! text_id {
    ($($id:ident),*) => {$(
        impl AsExpression<Text> for $id {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'a> AsExpression<Text> for &'a $id {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl AsExpression<Nullable<Text>> for $id {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl ToSql<Text, Sqlite> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                write!(out, "{self}")?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, MultiBackend> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }

        impl ToSql<Nullable<Text>, MultiBackend> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                <Self as ToSql<Text, MultiBackend>>::to_sql(self, out)
            }
        }

        impl FromSql<Text, Sqlite> for $id {
            fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                parse_id(value.read_text())
            }
        }

        impl FromSql<Text, Pg> for $id {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                parse_id(std::str::from_utf8(value.as_bytes())?)
            }
        }

        impl FromSql<Text, MultiBackend> for $id {
            fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<Self, Text>()
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $id
        where
            Self: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl ParseId for $id {
            fn parse_id(s: &str) -> Option<Self> {
                $id::parse(s)
            }
        }
    )*};
}

trait ParseId: Sized {
    fn parse_id(s: &str) -> Option<Self>;
}

/// A stored id that is not a UUID is a corrupt row, reported as an error.
fn parse_id<T: ParseId>(text: &str) -> deserialize::Result<T> {
    T::parse_id(text).ok_or_else(|| format!("stored id is not a UUID: {text:?}").into())
}

text_id!(UserId, SessionId, TaskId, PatId, PasskeyId);

/// An id column read as the text an answer prints (hyphenated, lower case),
/// without building its typed id and formatting that through `Display`: a
/// page of tasks prints 20. The text is parsed as a UUID (a corrupt row is
/// refused, as the typed ids refuse it) and written back hyphenated and lower
/// case, so it is always what the id's `Display` makes of it.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct IdText([u8; 36]);

impl IdText {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text of an id in hand (tests build rows with it).
    #[cfg(test)]
    pub fn of(id: impl std::fmt::Display) -> Self {
        Self::read(id.to_string().as_bytes()).expect("an id's Display is a UUID")
    }

    /// The stored text's bytes (PostgreSQL's text, or a blob on SQLite: see
    /// `db::blob`); anything but a UUID's ASCII is refused.
    fn read(text: &[u8]) -> deserialize::Result<Self> {
        // What taskgate stores is already that text: copied as it is.
        if let Ok(stored) = <[u8; 36]>::try_from(text) {
            if is_hyphenated_lower(&stored) {
                return Ok(Self(stored));
            }
        }
        let id = uuid::Uuid::try_parse_ascii(text).map_err(|_| {
            format!(
                "stored id is not a UUID: {:?}",
                String::from_utf8_lossy(text)
            )
        })?;
        let mut out = [0u8; 36];
        id.hyphenated().encode_lower(&mut out);
        Ok(Self(out))
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower-case hex: any 128 bits
/// written so parse as a UUID and print back exactly so. One pass over all
/// 36 bytes (about 250 instructions fewer per id than parse and print).
fn is_hyphenated_lower(b: &[u8; 36]) -> bool {
    const HYPHEN: [bool; 36] = {
        let mut at = [false; 36];
        at[8] = true;
        at[13] = true;
        at[18] = true;
        at[23] = true;
        at
    };
    b.iter().zip(HYPHEN).fold(true, |ok, (&c, hyphen)| {
        let hex = (c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'a') < 6);
        ok & ((hyphen & (c == b'-')) | (!hyphen & hex))
    })
}

/// The id column selected as `CAST(id AS BLOB)` (`db::blob`).
impl FromSql<Binary, Sqlite> for IdText {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Self::read(value.read_blob())
    }
}

impl FromSql<Text, Pg> for IdText {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Self::read(value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_text_is_the_display_of_the_parsed_id() {
        let id = TaskId::new();
        let shown = id.to_string();
        for stored in [
            shown.clone(),
            shown.to_uppercase(),
            shown.replace('-', ""),
            format!("{{{shown}}}"),
            format!("urn:uuid:{shown}"),
        ] {
            let text = IdText::read(stored.as_bytes()).unwrap();
            assert_eq!(text.as_bytes(), shown.as_bytes(), "{stored}");
        }
        // The copied form: exactly what parsing and printing make of it.
        for stored in [
            shown.as_str(),
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "0123abcd-4567-89ef-fedc-ba9876543210",
        ] {
            let printed = uuid::Uuid::parse_str(stored)
                .unwrap()
                .hyphenated()
                .to_string();
            assert_eq!(
                IdText::read(stored.as_bytes()).unwrap().as_bytes(),
                printed.as_bytes()
            );
        }
        for not_uuid in [
            "0000000-00000-0000-0000-000000000000",
            "00000000-0000-0000-0000-00000000000g",
            "00000000_0000-0000-0000-000000000000",
        ] {
            assert!(IdText::read(not_uuid.as_bytes()).is_err(), "{not_uuid}");
        }
        for corrupt in [
            "",
            "not-a-uuid",
            &shown[..35],
            &format!("{shown}0"),
            &shown.replace('a', "g"),
        ] {
            if TaskId::parse(corrupt).is_none() {
                assert!(IdText::read(corrupt.as_bytes()).is_err(), "{corrupt}");
            }
        }
    }
}
