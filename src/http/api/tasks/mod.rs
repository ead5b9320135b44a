//! `/api/tasks`: the caller's own tasks. Every query goes through `db::tasks`,
//! which takes the caller's `UserId`; another user's task id is a plain 404.
//! Callers are sessions or personal access tokens: reads take
//! `Caller<TasksRead>`, writes `Caller<TasksWrite>`.

mod create;
mod delete;
mod json;
mod page_cache;
mod update;

pub use create::{__path_create_task, create_task};
pub use delete::{__path_delete_task, delete_task};
pub use update::{__path_update_task, update_task};

use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::TaskJson;
use super::openapi::{AuthedRead, BadRequest, Common, NotFound, ValidationFailed};
use crate::auth::guard::{Caller, TasksRead};
use crate::db::tasks::{ListQuery, SinceVersion};
use crate::db::{self, tasks};
use crate::domain::TaskId;
use crate::error::{AppError, FieldErrors};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Query parameters as sent; parsed by hand so each bad one gets a 422 naming it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only completed (`true`) or open (`false`) tasks.
    #[param(value_type = Option<bool>)]
    completed: Option<String>,
    /// Page size.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    limit: Option<String>,
    /// Tasks to skip.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 2147483647, default = 0)]
    offset: Option<String>,
}

#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct TaskPath(
    /// The task's id; another user's, a missing and a malformed one are all 404.
    #[param(format = Uuid)]
    pub String,
);

impl ListParams {
    fn parse(&self) -> Result<ListQuery, AppError> {
        let mut fields = FieldErrors::new();
        let completed = match self.completed.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                fields.insert("completed".into(), "must be true or false".into());
                None
            }
        };
        let mut number = |name: &str, raw: Option<&str>, default: i64, min: i64, max: i64| match raw
        {
            None => default,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    fields.insert(
                        name.into(),
                        format!("must be a whole number from {min} to {max}"),
                    );
                    default
                }
            },
        };
        let limit = number("limit", self.limit.as_deref(), 50, 1, 200);
        let offset = number("offset", self.offset.as_deref(), 0, 0, i64::from(i32::MAX));
        if fields.is_empty() {
            Ok(ListQuery {
                completed,
                limit,
                offset,
            })
        } else {
            Err(AppError::Validation(fields))
        }
    }
}

/// The page's schema; the body itself is written by `json::page`, which
/// its test holds to the same text.
#[derive(Serialize, ToSchema)]
struct TaskList {
    tasks: Vec<TaskJson>,
    /// How many tasks match the filter, across all pages.
    total: i64,
}

/// Lists the caller's tasks in creation order; `total` counts all that match the filter.
#[utoipa::path(
    get,
    path = "/api/tasks",
    tag = "tasks",
    params(ListParams),
    security(("bearer" = []), ("cookie" = []), ("pat" = ["tasks:read"])),
    responses(
        (status = 200, description = "One page of the caller's tasks", body = TaskList),
        BadRequest, ValidationFailed, AuthedRead, Common,
    )
)]
pub async fn list_tasks(
    state: web::Data<AppState>,
    caller: Caller<TasksRead>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.parse()?;
    let owner = caller.user_id();
    // A page this worker answered in the last second is answered again when
    // the owner's tasks are still at its version: one small read (never with
    // REMEMBER_TASK_PAGES=false).
    let known = page_cache::known(state.config.remember_task_pages, owner, query);
    // A page near the start is a small read; the count, when the page does
    // not tell it, reads every matching row, so it goes to the pool.
    let page = move |conn: &mut db::AnyConnection| tasks::page_since(conn, owner, query, known);
    let read = if query.offset <= tasks::SMALL_OFFSET {
        db::read(&state.pool, page).await?
    } else {
        db::run(&state.pool, page).await?
    };
    let body = match read {
        SinceVersion::Unchanged(body) => body,
        SinceVersion::Page {
            rows,
            total,
            version,
        } => {
            let total = match total {
                Some(total) => total,
                None => {
                    db::run(&state.pool, move |conn| {
                        tasks::count(conn, owner, query.completed)
                    })
                    .await?
                }
            };
            let body = Bytes::from(json::page(&rows, total).map_err(AppError::internal)?);
            if let Some(version) = version {
                page_cache::remember(owner, query, version, body.clone());
            }
            body
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(body))
}

/// One of the caller's tasks.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(TaskPath),
    security(("bearer" = []), ("cookie" = []), ("pat" = ["tasks:read"])),
    responses(
        (status = 200, description = "The task", body = TaskJson),
        NotFound, AuthedRead, Common,
    )
)]
pub async fn get_task(
    state: web::Data<AppState>,
    caller: Caller<TasksRead>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = caller.user_id();
    let task = db::run(&state.pool, move |conn| tasks::find(conn, owner, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskJson::from(task)))
}
