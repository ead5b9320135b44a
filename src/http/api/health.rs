//! `GET /healthz`: 200 once the database answers, 503 JSON otherwise.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// Public: load balancers call it without credentials.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    db::run(&state.pool, |conn| conn.batch_execute("SELECT 1")).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ok" })))
}
