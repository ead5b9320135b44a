//! `GET /readyz`: ready when the database answers and no migration is pending.
//! (`/healthz` is liveness: the database answers.)

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db;
use crate::error::{AppError, Fault};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Public: orchestrators call it without credentials.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let current = db::run(&state.pool, |conn| {
        db::migrations_current(conn).map_err(|e| Fault::Unavailable(e.to_string()))
    })
    .await?;
    if current {
        Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
    } else {
        Err(AppError::Fault(Fault::Unavailable("migrations pending".into())).into())
    }
}
