//! `POST /api/tasks`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::super::dto::TaskJson;
use super::super::openapi::{AuthedWrite, Common, CsrfHeader, JsonInput};
use crate::auth::guard::{Caller, TasksWrite};
use crate::db::{self, tasks};
use crate::domain::TaskDraft;
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
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
    security(("bearer" = []), ("cookie" = []), ("pat" = ["tasks:write"])),
    responses(
        (status = 201, description = "The new task", body = TaskJson, headers(("Location" = String, description = "`/api/tasks/{id}`"))),
        AuthedWrite, JsonInput, Common,
    )
)]
pub async fn create_task(
    state: web::Data<AppState>,
    caller: Caller<TasksWrite>,
    body: Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let draft =
        TaskDraft::parse(&body.title, body.description.as_deref()).map_err(AppError::Validation)?;
    let owner = caller.user_id();
    let task = db::write(&state.pool, move |conn| {
        tasks::create(conn, owner, draft.title, draft.description)
    })
    .await?
    // The account was deleted while this request was in flight.
    .ok_or(AppError::Unauthorized {
        token_refused: true,
    })?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/tasks/{}", task.id)))
        .json(TaskJson::from(task)))
}
