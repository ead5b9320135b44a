//! The task list page and its forms (create, toggle, delete).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other};
use crate::auth::{service, PageUser};
use crate::db::tasks::{ListQuery, Task};
use crate::db::{self, tasks};
use crate::domain::{TaskDraft, TaskId};
use crate::error::AppError;
use crate::http::csrf_form::{CsrfForm, NoFields};
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::state::AppState;

/// The page shows at most this many tasks (the API pages through more).
const PAGE_SIZE: i64 = 200;

struct TaskView {
    id: String,
    title: String,
    description: String,
    completed: bool,
    created: String,
}

impl From<Task> for TaskView {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.to_string(),
            title: t.title,
            description: t.description.unwrap_or_default(),
            completed: t.completed,
            created: t.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/tasks.html")]
struct TasksPage {
    layout: Layout,
    user_email: String,
    tasks: Vec<TaskView>,
    total: i64,
    errors: Vec<String>,
    title: String,
    description: String,
}

#[derive(Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

async fn page(
    state: &AppState,
    user: PageUser,
    session: &Session,
    form: Option<(&TaskForm, Vec<String>)>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let account = service::current_user(state, &user.0)
        .await?
        .ok_or(AppError::SignInRequired {
            next: "/tasks".into(),
        })?;
    let owner = user.0.user_id();
    let query = ListQuery {
        completed: None,
        limit: PAGE_SIZE,
        offset: 0,
    };
    let (rows, total) = db::run(&state.pool, move |conn| tasks::list(conn, owner, query)).await?;
    let (title, description, errors) = match form {
        Some((f, errors)) => (f.title.clone(), f.description.clone(), errors),
        None => (String::new(), String::new(), Vec::new()),
    };
    let page = TasksPage {
        layout: Layout::new(session, true)?,
        user_email: account.email,
        tasks: rows.into_iter().map(TaskView::from).collect(),
        total,
        errors,
        title,
        description,
    };
    render(&page, status)
}

/// The signed-in user's tasks.
pub async fn task_list(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    page(&state, user, &session, None, StatusCode::OK).await
}

/// Creates a task from the form; invalid input shows the page again with the reasons (422).
pub async fn create_task(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
    form: CsrfForm<TaskForm>,
) -> Result<HttpResponse, PageError> {
    // A form always sends the description field; empty means "no description".
    let description = Some(form.description.as_str()).filter(|d| !d.is_empty());
    match TaskDraft::parse(&form.title, description) {
        Ok(draft) => {
            let owner = user.0.user_id();
            db::write(&state.pool, move |conn| {
                tasks::create(conn, owner, draft.title, draft.description)
            })
            .await?
            .ok_or(AppError::SignInRequired {
                next: "/tasks".into(),
            })?;
            set_flash(&session, "Task created");
            Ok(see_other("/tasks"))
        }
        Err(fields) => {
            let errors = fields
                .into_iter()
                .map(|(f, reason)| format!("{f}: {reason}"))
                .collect();
            page(
                &state,
                user,
                &session,
                Some((&form, errors)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Flips a task's `completed`; another user's task is 404.
pub async fn toggle_task(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = user.0.user_id();
    let task = db::write(&state.pool, move |conn| tasks::toggle(conn, owner, id))
        .await?
        .ok_or(AppError::NotFound)?;
    set_flash(
        &session,
        if task.completed {
            "Task completed"
        } else {
            "Task reopened"
        },
    );
    Ok(see_other("/tasks"))
}

/// Deletes a task; another user's task is 404.
pub async fn delete_task(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = user.0.user_id();
    if !db::write(&state.pool, move |conn| tasks::delete(conn, owner, id)).await? {
        return Err(AppError::NotFound.into());
    }
    set_flash(&session, "Task deleted");
    Ok(see_other("/tasks"))
}
