//! The `tasks` table. Every function takes the owner's `UserId` and filters
//! by it: there is no way to read or change a task without naming its owner.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

use super::connection::{MultiBackend, MultiRawValue};
use super::schema::tasks;
use super::AnyConnection;
use crate::domain::{TaskId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
}

/// A `TIMESTAMP` column read the way Diesel reads it, only faster on SQLite.
///
/// SQLite keeps timestamps as text. Diesel parses it by trying chrono format
/// strings, which re-reads the format on every value: a page of 20 tasks spent
/// ~6 % of its CPU there. Text in the shape we write (`YYYY-MM-DD HH:MM:SS`
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
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let shape = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    let nanos = match b.len() {
        19 => 0,
        21..=29 if b[19] == b'.' => digits(20..b.len())? * 10u32.pow(29 - b.len() as u32),
        _ => return None,
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let (second, minute, hour) = (digits(17..19)?, digits(14..16)?, digits(11..13)?);
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)?
        .and_hms_nano_opt(hour, minute, second, nanos)
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tasks)]
struct NewTaskRow {
    id: String,
    user_id: String,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a caller may change; `None` leaves a field as it is, and
/// `description: Some(None)` clears the description.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = tasks)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

impl TaskChanges {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.completed.is_none()
    }
}

/// Which page of the owner's tasks to return.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    pub completed: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

/// The owner's tasks in creation order, and how many match the filter in all.
///
/// When the page is the last one (fewer rows than `limit`, and not an empty
/// page past the end), the total follows from it: `offset` + its rows. Only
/// otherwise is there a second query to count.
pub fn list(
    conn: &mut AnyConnection,
    owner: UserId,
    q: ListQuery,
) -> QueryResult<(Vec<Task>, i64)> {
    let owner = owner.to_string();
    let filtered = || {
        let mut query = tasks::table
            .filter(tasks::user_id.eq(owner.clone()))
            .into_boxed();
        if let Some(done) = q.completed {
            query = query.filter(tasks::completed.eq(done));
        }
        query
    };
    let page = filtered()
        .order((tasks::created_at.asc(), tasks::id.asc()))
        .limit(q.limit)
        .offset(q.offset)
        .select(Task::as_select())
        .load(conn)?;
    let shown = i64::try_from(page.len()).unwrap_or(i64::MAX);
    let total = if shown < q.limit && (shown > 0 || q.offset == 0) {
        q.offset.saturating_add(shown)
    } else {
        filtered().count().get_result(conn)?
    };
    Ok((page, total))
}

/// Creates a task for `owner` and returns it as stored.
pub fn create(
    conn: &mut AnyConnection,
    owner: UserId,
    title: String,
    description: Option<String>,
) -> QueryResult<Task> {
    let now = super::now();
    let row = NewTaskRow {
        id: TaskId::new().to_string(),
        user_id: owner.to_string(),
        title,
        description,
        completed: false,
        created_at: now,
        updated_at: now,
    };
    super::queued_write(conn, |conn| {
        diesel::insert_into(tasks::table).values(&row).execute(conn)
    })?;
    Ok(Task {
        id: row.id,
        user_id: row.user_id,
        title: row.title,
        description: row.description,
        completed: row.completed,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The task, if it exists and belongs to `owner`.
pub fn find(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<Option<Task>> {
    tasks::table
        .filter(tasks::id.eq(id.to_string()))
        .filter(tasks::user_id.eq(owner.to_string()))
        .select(Task::as_select())
        .get_result(conn)
        .optional()
}

/// Applies `changes` to the owner's task; `None` when it is not theirs or absent.
pub fn update(
    conn: &mut AnyConnection,
    owner: UserId,
    id: TaskId,
    mut changes: TaskChanges,
) -> QueryResult<Option<Task>> {
    super::queued_write(conn, |conn| {
        conn.transaction(|conn| {
            if !changes.is_empty() {
                changes.updated_at = Some(super::now());
                diesel::update(
                    tasks::table
                        .filter(tasks::id.eq(id.to_string()))
                        .filter(tasks::user_id.eq(owner.to_string())),
                )
                .set(&changes)
                .execute(conn)?;
            }
            find(conn, owner, id)
        })
    })
}

/// Flips `completed` on the owner's task; `None` when it is not theirs or absent.
/// One UPDATE, so the write lock is taken first (no read-then-write race on SQLite).
pub fn toggle(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<Option<Task>> {
    super::queued_write(conn, |conn| {
        conn.transaction(|conn| {
            diesel::update(
                tasks::table
                    .filter(tasks::id.eq(id.to_string()))
                    .filter(tasks::user_id.eq(owner.to_string())),
            )
            .set((
                tasks::completed.eq(diesel::dsl::not(tasks::completed)),
                tasks::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
            find(conn, owner, id)
        })
    })
}

/// Deletes the owner's task; false when it is not theirs or absent.
pub fn delete(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<bool> {
    super::queued_write(conn, |conn| {
        diesel::delete(
            tasks::table
                .filter(tasks::id.eq(id.to_string()))
                .filter(tasks::user_id.eq(owner.to_string())),
        )
        .execute(conn)
    })
    .map(|n| n > 0)
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
