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
use diesel::sql_types::{Nullable, Text};
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
