//! `PATCH /api/tasks/{id}`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::super::dto::TaskJson;
use super::super::openapi::{AuthedWrite, Common, CsrfHeader, JsonInput, NotFound};
use super::TaskPath;
use crate::auth::guard::{Caller, TasksWrite};
use crate::db::tasks::TaskChanges;
use crate::db::{self, tasks};
use crate::domain::{Description, TaskId, TaskTitle};
use crate::error::{AppError, FieldErrors};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Any of the fields; an absent one (or `null` title or completed) is left
/// as it is, and `"description": null` clears the description.
#[derive(Deserialize, ToSchema)]
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
    security(("bearer" = []), ("cookie" = []), ("pat" = ["tasks:write"])),
    responses(
        (status = 200, description = "The changed task", body = TaskJson),
        NotFound, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn update_task(
    state: web::Data<AppState>,
    caller: Caller<TasksWrite>,
    path: web::Path<String>,
    body: Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let id = TaskId::parse(&path).ok_or(AppError::NotFound)?;
    let changes = body.into_inner().into_changes()?;
    let owner = caller.user_id();
    let task = db::write(&state.pool, move |conn| {
        tasks::update(conn, owner, id, changes)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskJson::from(task)))
}
