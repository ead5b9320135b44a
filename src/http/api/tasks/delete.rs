//! `DELETE /api/tasks/{id}`.

use actix_web::{web, HttpResponse};

use super::super::openapi::{AuthedWrite, Common, CsrfHeader, EmptyBody, NotFound};
use super::TaskPath;
use crate::auth::guard::{Caller, TasksWrite};
use crate::db::{self, tasks};
use crate::domain::TaskId;
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::NoBody;
use crate::state::AppState;

/// Deletes one of the caller's tasks (204).
#[utoipa::path(
    delete,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(TaskPath, CsrfHeader),
    security(("bearer" = []), ("cookie" = []), ("pat" = ["tasks:write"])),
    responses(
        (status = 204, description = "The task is gone"),
        NotFound, AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn delete_task(
    state: web::Data<AppState>,
    caller: Caller<TasksWrite>,
    path: web::Path<String>,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let owner = caller.user_id();
    if db::write(&state.pool, move |conn| tasks::delete(conn, owner, id)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound.into())
    }
}
