//! `GET /healthz`: 200 once the database answers, 503 JSON otherwise.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::Common;
use crate::db;
use crate::http::error::ApiError;
use crate::state::AppState;

/// `{"status":"ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String, pattern = "^ok$", example = "ok")]
    status: &'static str,
}

/// Public: load balancers call it without credentials.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses(
        (status = 200, description = "The database answers", body = Health),
        Common,
    )
)]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    db::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
