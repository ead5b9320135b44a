//! `/api/tasks`: the caller's own tasks. Every query goes through `db::tasks`,
//! which takes the caller's `UserId`; another user's task id is a plain 404.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::TaskJson;
use super::openapi::{
    BadRequest, CsrfHeader, Forbidden, Internal, NotFound, PayloadTooLarge, Unauthorized,
    Unavailable, UnsupportedMediaType, ValidationFailed,
};
use crate::auth::ApiUser;
use crate::db::tasks::{ListQuery, TaskChanges};
use crate::db::{self, tasks};
use crate::domain::{Description, TaskDraft, TaskId, TaskTitle};
use crate::error::{ApiError, AppError, FieldErrors};
use crate::state::AppState;

/// Query parameters as sent; parsed by hand so each bad one gets a 422 naming it.
#[derive(Debug, Deserialize, IntoParams)]
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

#[derive(Debug, Serialize, ToSchema)]
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
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "One page of the caller's tasks", body = TaskList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn list_tasks(
    state: web::Data<AppState>,
    user: ApiUser,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.parse()?;
    let owner = user.0.user_id;
    let (rows, total) = db::run(&state.pool, move |conn| tasks::list(conn, owner, query)).await?;
    let tasks = rows.into_iter().map(TaskJson::from).collect();
    Ok(HttpResponse::Ok().json(TaskList { tasks, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBody {
    /// 1–200 characters after trimming.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
}

/// Creates a task (201, with `Location`).
#[utoipa::path(
    post,
    path = "/api/tasks",
    tag = "tasks",
    params(CsrfHeader),
    request_body = CreateBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The new task", body = TaskJson, headers(("Location" = String, description = "`/api/tasks/{id}`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn create_task(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let draft =
        TaskDraft::parse(&body.title, body.description.as_deref()).map_err(AppError::Validation)?;
    let owner = user.0.user_id;
    let task = db::run(&state.pool, move |conn| {
        tasks::create(conn, owner, draft.title, draft.description)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/tasks/{}", task.id)))
        .json(TaskJson::from(task)))
}

/// One of the caller's tasks.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(TaskPath),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The task", body = TaskJson),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn get_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = user.0.user_id;
    let task = db::run(&state.pool, move |conn| tasks::find(conn, owner, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskJson::from(task)))
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Any of the fields; an absent one (or `null` title or completed) is left
/// as it is, and `"description": null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBody {
    /// 1–200 characters after trimming.
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    description: Option<Option<String>>,
    completed: Option<bool>,
}

impl UpdateBody {
    fn into_changes(self) -> Result<TaskChanges, AppError> {
        let mut fields = FieldErrors::new();
        let title = match self.title.as_deref().map(TaskTitle::parse) {
            Some(Ok(t)) => Some(t.into_inner()),
            Some(Err(e)) => {
                fields.insert("title".into(), e.to_string());
                None
            }
            None => None,
        };
        let description = match self.description {
            Some(Some(d)) => match Description::parse(&d) {
                Ok(d) => Some(Some(d.into_inner())),
                Err(e) => {
                    fields.insert("description".into(), e.to_string());
                    None
                }
            },
            other => other,
        };
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        Ok(TaskChanges {
            title,
            description,
            completed: self.completed,
            updated_at: None,
        })
    }
}

/// Changes any of title, description, completed on one of the caller's tasks.
#[utoipa::path(
    patch,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(TaskPath, CsrfHeader),
    request_body = UpdateBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The changed task", body = TaskJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn update_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let changes = body.into_inner().into_changes()?;
    let owner = user.0.user_id;
    let task = db::run(&state.pool, move |conn| {
        tasks::update(conn, owner, id, changes)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskJson::from(task)))
}

/// Deletes one of the caller's tasks (204).
#[utoipa::path(
    delete,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(TaskPath, CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The task is gone"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn delete_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = user.0.user_id;
    if db::run(&state.pool, move |conn| tasks::delete(conn, owner, id)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound.into())
    }
}
