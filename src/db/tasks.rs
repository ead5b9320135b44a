//! The `tasks` table. Every function takes the owner's `UserId` and filters
//! by it: there is no way to read or change a task without naming its owner.

use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
    let total = filtered().count().get_result(conn)?;
    let page = filtered()
        .order((tasks::created_at.asc(), tasks::id.asc()))
        .limit(q.limit)
        .offset(q.offset)
        .select(Task::as_select())
        .load(conn)?;
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
    diesel::insert_into(tasks::table)
        .values(&row)
        .execute(conn)?;
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
        .first(conn)
        .optional()
}

/// Applies `changes` to the owner's task; `None` when it is not theirs or absent.
pub fn update(
    conn: &mut AnyConnection,
    owner: UserId,
    id: TaskId,
    mut changes: TaskChanges,
) -> QueryResult<Option<Task>> {
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
}

/// Flips `completed` on the owner's task; `None` when it is not theirs or absent.
/// One UPDATE, so the write lock is taken first (no read-then-write race on SQLite).
pub fn toggle(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<Option<Task>> {
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
}

/// Deletes the owner's task; false when it is not theirs or absent.
pub fn delete(conn: &mut AnyConnection, owner: UserId, id: TaskId) -> QueryResult<bool> {
    diesel::delete(
        tasks::table
            .filter(tasks::id.eq(id.to_string()))
            .filter(tasks::user_id.eq(owner.to_string())),
    )
    .execute(conn)
    .map(|n| n > 0)
}
