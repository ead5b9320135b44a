//! SQLite text columns selected as blobs, for the hottest read of the API (a
//! page of tasks: 20 rows, 80 text values).
//!
//! Diesel's `SqliteValue::read_text` asks SQLite for the text three times and
//! checks it is UTF-8 twice. Selected as `CAST(column AS BLOB)`, the same
//! bytes come through `read_blob` unchecked: an id's or a timestamp's reader
//! checks its ASCII shape anyway, and [`Utf8Text`] checks user text once.
//! SQLite's cast costs about half of what it saves: a page read from the rows
//! went from 154,891 to 148,737 instructions (−4 %, BENCHMARKS.md).
//! SQLite only: PostgreSQL's text-to-`bytea` cast would interpret
//! backslashes, and its timestamps are not text.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Binary, Nullable, Text, Timestamp};
use diesel::sqlite::{Sqlite, SqliteValue};
use diesel::QueryResult;

/// `CAST(<column> AS BLOB)`: the column's stored text as a blob. A typed
/// expression (not SQL text), so Diesel still keeps the query's prepared
/// statement by its type.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct AsBlob<E>(pub E);

/// The blob type of a text-stored SQL type.
pub trait BlobOf {
    type Blob: TypedExpressionType;
}

impl BlobOf for Text {
    type Blob = Binary;
}

/// SQLite keeps `TIMESTAMP` as text.
impl BlobOf for Timestamp {
    type Blob = Binary;
}

impl BlobOf for Nullable<Text> {
    type Blob = Nullable<Binary>;
}

impl<E> Expression for AsBlob<E>
where
    E: Expression,
    E::SqlType: BlobOf,
{
    type SqlType = <E::SqlType as BlobOf>::Blob;
}

impl<E: QueryFragment<Sqlite>> QueryFragment<Sqlite> for AsBlob<E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("CAST(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" AS BLOB)");
        Ok(())
    }
}

impl<E, QS> AppearsOnTable<QS> for AsBlob<E>
where
    E: AppearsOnTable<QS>,
    Self: Expression,
{
}

impl<E, QS> SelectableExpression<QS> for AsBlob<E>
where
    E: SelectableExpression<QS>,
    Self: AppearsOnTable<QS>,
{
}

impl<E: ValidGrouping<GB>, GB> ValidGrouping<GB> for AsBlob<E> {
    type IsAggregate = E::IsAggregate;
}

/// User text (a title, a description) read as Diesel reads a `String`, and
/// from a blob on SQLite: checked as UTF-8 once, as Diesel checks a `String`
/// (bytes that are not UTF-8 are an error, not replaced).
#[derive(Debug, Clone, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Utf8Text(pub String);

impl Utf8Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromSql<Binary, Sqlite> for Utf8Text {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(Self(std::str::from_utf8(value.read_blob())?.to_owned()))
    }
}

impl<DB: Backend> FromSql<Text, DB> for Utf8Text
where
    String: FromSql<Text, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(value).map(Self)
    }
}
