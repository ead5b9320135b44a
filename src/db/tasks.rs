//! The `tasks` table. Every function takes the owner's `UserId` and filters
//! by it: there is no way to read or change a task without naming its owner.

use chrono::NaiveDateTime;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use super::blob::{AsBlob, Utf8Text};
use super::ids::IdText;
use super::schema::{tasks, users};
use super::time::{Rfc3339Text, StoredTime};
use super::AnyConnection;
use crate::domain::{TaskId, UserId};

/// A task as callers see it. The owner is not read back: every query names
/// it already, and each column read costs (a page reads 20 rows).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
}

/// A task as a page of the API prints it: the id and timestamps read
/// straight into their JSON text (`IdText`, `Rfc3339Text`), not parsed and
/// formatted again; the same columns as [`Task`]. On SQLite its text columns
/// are selected as blobs (`listed_as_blobs`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct ListedTask {
    pub id: IdText,
    pub title: Utf8Text,
    pub description: Option<Utf8Text>,
    pub completed: bool,
    pub created_at: Rfc3339Text,
    pub updated_at: Rfc3339Text,
}

/// [`ListedTask`]'s columns, in its order, with the text ones as blobs.
type ListedAsBlobs = (
    AsBlob<tasks::id>,
    AsBlob<tasks::title>,
    AsBlob<tasks::description>,
    tasks::completed,
    AsBlob<tasks::created_at>,
    AsBlob<tasks::updated_at>,
);

/// The select of [`ListedTask`] on SQLite: the same values through
/// `read_blob`, which skips Diesel's two UTF-8 checks per text value
/// (`db::blob`).
fn listed_as_blobs() -> ListedAsBlobs {
    (
        AsBlob(tasks::id),
        AsBlob(tasks::title),
        AsBlob(tasks::description),
        tasks::completed,
        AsBlob(tasks::created_at),
        AsBlob(tasks::updated_at),
    )
}

#[cfg(test)]
impl From<Task> for ListedTask {
    fn from(t: Task) -> Self {
        Self {
            id: IdText::of(t.id),
            title: Utf8Text(t.title),
            description: t.description.map(Utf8Text),
            completed: t.completed,
            created_at: t.created_at.into(),
            updated_at: t.updated_at.into(),
        }
    }
}

/// A row type a page of tasks can be read into: [`Task`] for the pages,
/// [`ListedTask`] for the API.
pub trait PageRow: Sized {
    #[doc(hidden)]
    fn load_page(conn: &mut AnyConnection, owner: UserId, q: ListQuery) -> QueryResult<Vec<Self>>;
}

/// The page's rows, into a vector of the page's size from the start (not
/// grown and copied four times on the way to 20 rows). The capacity is
/// capped so a caller's odd `limit` cannot reserve much ahead of the rows.
fn collect_page<R>(rows: impl Iterator<Item = QueryResult<R>>, limit: i64) -> QueryResult<Vec<R>> {
    let mut page = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(256));
    for row in rows {
        page.push(row?);
    }
    Ok(page)
}

/// The page query, written once for each engine's connection `$c` and the
/// row's select. Each filter is its own statically typed query rather than a
/// boxed one, so Diesel keeps each prepared statement by its type instead of
/// building its SQL text and hashing it on every page.
macro_rules! load_page {
    ($c:expr, $owner:expr, $q:expr, $row:ty, $select:expr) => {{
        let (owner, q): (UserId, ListQuery) = ($owner, $q);
        let mine = tasks::table.filter(tasks::user_id.eq(owner));
        let order = (tasks::created_at.asc(), tasks::id.asc());
        match q.completed {
            None => collect_page(
                mine.order(order)
                    .limit(q.limit)
                    .offset(q.offset)
                    .select($select)
                    .load_iter::<$row, DefaultLoadingMode>($c)?,
                q.limit,
            ),
            Some(done) => collect_page(
                mine.filter(tasks::completed.eq(done))
                    .order(order)
                    .limit(q.limit)
                    .offset(q.offset)
                    .select($select)
                    .load_iter::<$row, DefaultLoadingMode>($c)?,
                q.limit,
            ),
        }
    }};
}

impl PageRow for Task {
    fn load_page(conn: &mut AnyConnection, owner: UserId, q: ListQuery) -> QueryResult<Vec<Self>> {
        super::per_engine!(conn, |c| load_page!(c, owner, q, Task, Task::as_select()))
    }
}

impl PageRow for ListedTask {
    fn load_page(conn: &mut AnyConnection, owner: UserId, q: ListQuery) -> QueryResult<Vec<Self>> {
        match conn {
            AnyConnection::Sqlite(c) => load_page!(c, owner, q, ListedTask, listed_as_blobs()),
            AnyConnection::Postgres(c) => {
                load_page!(c, owner, q, ListedTask, ListedTask::as_select())
            }
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tasks)]
struct NewTaskRow {
    id: TaskId,
    user_id: UserId,
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

/// The one owner filter: the task `id`, only if `owner` owns it. Every
/// single-task query below starts from here.
#[diesel::dsl::auto_type]
fn owned(owner: UserId, id: TaskId) -> _ {
    tasks::table
        .filter(tasks::id.eq(id))
        .filter(tasks::user_id.eq(owner))
}

/// The owner's tasks in creation order, and how many match the filter in all.
pub fn list(
    conn: &mut AnyConnection,
    owner: UserId,
    q: ListQuery,
) -> QueryResult<(Vec<Task>, i64)> {
    let (page, total) = page(conn, owner, q)?;
    let total = match total {
        Some(total) => total,
        None => count(conn, owner, q.completed)?,
    };
    Ok((page, total))
}

/// Pages up to this far into the list are small enough for `db::read`: the
/// rows skipped are walked in the index, so the work grows with the offset.
pub const SMALL_OFFSET: i64 = 1000;

/// One page of the owner's tasks in creation order, and how many match the
/// filter in all when the page tells: when it is the last one (fewer rows
/// than `limit`, and not an empty page past the end), that is `offset` + its
/// rows. Otherwise `None`: ask [`count`].
pub fn page<R: PageRow>(
    conn: &mut AnyConnection,
    owner: UserId,
    q: ListQuery,
) -> QueryResult<(Vec<R>, Option<i64>)> {
    let page = R::load_page(conn, owner, q)?;
    let shown = i64::try_from(page.len()).unwrap_or(i64::MAX);
    let total =
        (shown < q.limit && (shown > 0 || q.offset == 0)).then(|| q.offset.saturating_add(shown));
    Ok((page, total))
}

/// What the caller already has of a page.
pub enum Known<K> {
    /// It keeps no pages: the page alone is read, without a version.
    Off,
    /// Nothing for this page: the page is read with the version, to keep.
    Nothing,
    /// This page, at this `tasks_version`.
    At(i64, K),
}

/// A page read against the version of it the caller already has.
pub enum SinceVersion<R, K> {
    /// The owner's tasks are still at the known version: here is what the
    /// caller had for it.
    Unchanged(K),
    /// The page as [`page`] reads it, and the owner's `tasks_version` read
    /// before it (so the rows are at least as new as the version says; a
    /// write in between makes the version stale, never the rows). No
    /// version with [`Known::Off`].
    Page {
        rows: Vec<R>,
        total: Option<i64>,
        version: Option<i64>,
    },
}

/// [`page`], unless the owner's tasks are still at the version `known` has
/// (what the caller remembered for it): then one small read instead of the
/// page's.
pub fn page_since<R: PageRow, K>(
    conn: &mut AnyConnection,
    owner: UserId,
    q: ListQuery,
    known: Known<K>,
) -> QueryResult<SinceVersion<R, K>> {
    let version = match known {
        Known::Off => None,
        Known::Nothing | Known::At(..) => version(conn, owner)?,
    };
    if let Known::At(known_version, remembered) = known {
        if version == Some(known_version) {
            return Ok(SinceVersion::Unchanged(remembered));
        }
    }
    let (rows, total) = page(conn, owner, q)?;
    Ok(SinceVersion::Page {
        rows,
        total,
        version,
    })
}

/// How many of the owner's tasks match the filter.
pub fn count(conn: &mut AnyConnection, owner: UserId, completed: Option<bool>) -> QueryResult<i64> {
    super::per_engine!(conn, |c| {
        let mut query = tasks::table.filter(tasks::user_id.eq(owner)).into_boxed();
        if let Some(done) = completed {
            query = query.filter(tasks::completed.eq(done));
        }
        query.count().get_result(c)
    })
}

/// Creates a task for `owner` and returns it as stored; `None` when the owner
/// no longer exists (the account was deleted while this write was in flight).
pub fn create(
    conn: &mut AnyConnection,
    owner: UserId,
    title: String,
    description: Option<String>,
) -> QueryResult<Option<Task>> {
    let now = super::now();
    let row = NewTaskRow {
        id: TaskId::new(),
        user_id: owner,
        title,
        description,
        completed: false,
        created_at: now,
        updated_at: now,
    };
    let inserted = writing(conn, owner, |conn| {
        diesel::insert_into(tasks::table).values(&row).execute(conn)
    })?;
    if inserted.is_none() {
        return Ok(None);
    }
    Ok(Some(Task {
        id: row.id,
        title: row.title,
        description: row.description,
        completed: row.completed,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

/// The task, if it exists and belongs to `owner`.
pub fn find(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<Option<Task>> {
    owned(owner, id)
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
    if changes.is_empty() {
        return find(conn, owner, id);
    }
    changes.updated_at = Some(super::now());
    writing(conn, owner, |conn| {
        diesel::update(owned(owner, id))
            .set(&changes)
            .execute(conn)?;
        find(conn, owner, id)
    })
    .map(Option::flatten)
}

/// Flips `completed` on the owner's task; `None` when it is not theirs or absent.
/// One UPDATE, so the write lock is taken first (no read-then-write race on SQLite).
pub fn toggle(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<Option<Task>> {
    writing(conn, owner, |conn| {
        diesel::update(owned(owner, id))
            .set((
                tasks::completed.eq(diesel::dsl::not(tasks::completed)),
                tasks::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
        find(conn, owner, id)
    })
    .map(Option::flatten)
}

/// Deletes the owner's task; false when it is not theirs or absent.
pub fn delete(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<bool> {
    writing(conn, owner, |conn| {
        diesel::delete(owned(owner, id))
            .execute(conn)
            .map(|n| n > 0)
    })
    .map(|deleted| deleted.unwrap_or(false))
}

/// Runs a write to `owner`'s tasks in one transaction that first marks them
/// changed (`users.tasks_version`, which remembered pages are checked
/// against). That also locks the owner's row before any task row, the order
/// an account deletion takes (user, then tasks), so the two cannot deadlock
/// on PostgreSQL, and the account cannot vanish under the write. `None` when
/// the account is gone. Every task write goes through here.
fn writing<T>(
    conn: &mut AnyConnection,
    owner: UserId,
    write: impl FnOnce(&mut AnyConnection) -> QueryResult<T>,
) -> QueryResult<Option<T>> {
    conn.transaction(|conn| {
        let found = diesel::update(users::table.find(owner))
            .set(users::tasks_version.eq(users::tasks_version + 1))
            .execute(conn)?;
        if found == 0 {
            return Ok(None);
        }
        write(conn).map(Some)
    })
}

/// The owner's `tasks_version`: it changes with every write to their tasks,
/// from any process. `None` when the account no longer exists.
pub fn version(conn: &mut AnyConnection, owner: UserId) -> QueryResult<Option<i64>> {
    super::per_engine!(conn, |c| users::table
        .find(owner)
        .select(users::tasks_version)
        .first(c)
        .optional())
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::config::Config;
    use crate::db::users::{self, NewUser};

    /// What a page prints of a task.
    type Printed = (Vec<u8>, String, Option<String>, bool, Vec<u8>, Vec<u8>);

    fn printed(t: &ListedTask) -> Printed {
        (
            t.id.as_bytes().to_vec(),
            t.title.0.clone(),
            t.description.as_ref().map(|d| d.0.clone()),
            t.completed,
            t.created_at.as_bytes().to_vec(),
            t.updated_at.as_bytes().to_vec(),
        )
    }

    #[test]
    fn sqlite_selects_the_listed_text_columns_as_blobs() {
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
            &tasks::table.select(listed_as_blobs()),
        )
        .to_string();
        assert!(
            sql.starts_with(
                "SELECT CAST(`tasks`.`id` AS BLOB), CAST(`tasks`.`title` AS BLOB), \
                 CAST(`tasks`.`description` AS BLOB), `tasks`.`completed`, \
                 CAST(`tasks`.`created_at` AS BLOB), CAST(`tasks`.`updated_at` AS BLOB) FROM"
            ),
            "{sql}"
        );
    }

    /// The API's page ([`ListedTask`], blobs on SQLite) prints exactly what
    /// the typed rows ([`Task`], Diesel's own readers) make of every stored
    /// value: user text of every kind, and on SQLite stored forms taskgate
    /// never writes (an upper-case id, a Julian day, a `T` separator, bytes
    /// that are not UTF-8), on both filters and across pages.
    #[test]
    fn a_listed_page_prints_what_the_typed_rows_hold() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::db::test_database::fresh_database_in(dir.path(), "tasks.db");
        let config = Config::from_lookup(|key| match key {
            "DATABASE_URL" => Some(url.clone()),
            "JWT_SECRET" => Some("tasks-test-secret-tasks-test-secret".to_owned()),
            _ => None,
        })
        .unwrap();
        let pool = crate::db::build_pool(&config).unwrap();
        crate::db::run_migrations(&pool).unwrap();
        let mut pooled = pool.get().unwrap();
        let conn = &mut pooled.inner;

        let owner = UserId::new();
        let now = crate::db::now();
        users::insert(
            conn,
            &NewUser {
                id: owner,
                email: "pages@example.com",
                name: None,
                password_hash: "x",
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        let texts = [
            ("plain", None),
            ("quotes \" and \\ backslash", Some("line\nbreak\ttab")),
            ("émoji 🦀 and ü", Some("")),
            ("\u{7f}\u{1} control", Some("日本語")),
        ];
        for (i, (title, description)) in texts.into_iter().enumerate() {
            let task = create(conn, owner, title.into(), description.map(Into::into))
                .unwrap()
                .unwrap();
            if i % 2 == 1 {
                toggle(conn, owner, task.id).unwrap().unwrap();
            }
        }
        let on_sqlite = matches!(conn, AnyConnection::Sqlite(_));
        if on_sqlite {
            let id = TaskId::new().to_string().to_uppercase();
            conn.batch_execute(&format!(
                "INSERT INTO tasks VALUES \
                 ('{id}', '{owner}', 'upper-case id', NULL, 0, 2460999.5, '2026-11-30T08:00:00'), \
                 ('{}', '{owner}', 'fraction', 'x', 1, '2026-11-30 08:00:00', '2026-11-30 08:00:00.5');",
                TaskId::new(),
            ))
            .unwrap();
        }

        let mut shown = 0;
        for completed in [None, Some(true), Some(false)] {
            for (limit, offset) in [(20, 0), (2, 0), (2, 2), (2, 5), (20, 50)] {
                let q = ListQuery {
                    completed,
                    limit,
                    offset,
                };
                let (typed, typed_total) = page::<Task>(conn, owner, q).unwrap();
                let (listed, listed_total) = page::<ListedTask>(conn, owner, q).unwrap();
                assert_eq!(listed_total, typed_total, "{q:?}");
                let expected: Vec<Printed> = typed
                    .into_iter()
                    .map(|t| printed(&ListedTask::from(t)))
                    .collect();
                let got: Vec<Printed> = listed.iter().map(printed).collect();
                assert_eq!(got, expected, "{q:?}");
                shown += got.len();
            }
        }
        assert!(shown >= 16, "the pages had rows: {shown}");
        if on_sqlite {
            let all = ListQuery {
                completed: None,
                limit: 20,
                offset: 0,
            };
            let (listed, _) = page::<ListedTask>(conn, owner, all).unwrap();
            // The Julian day went through Diesel's parser, on the blob's text.
            assert!(listed
                .iter()
                .any(|t| t.created_at.as_bytes() == b"2025-11-20T00:00:00.000000Z"));
            // Text that is not UTF-8 is refused by both, not printed.
            conn.batch_execute(&format!(
                "INSERT INTO tasks VALUES ('{}', '{owner}', CAST(X'6E6F74FF' AS TEXT), NULL, 0, \
                 '2026-11-30 09:00:00', '2026-11-30 09:00:00');",
                TaskId::new(),
            ))
            .unwrap();
            assert!(page::<Task>(conn, owner, all).is_err());
            assert!(page::<ListedTask>(conn, owner, all).is_err());
        }
    }
}
