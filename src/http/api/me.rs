//! `GET /api/auth/me`.

use actix_web::{web, HttpResponse};

use super::dto::UserJson;
use super::openapi::{AuthedRead, Common};
use crate::auth::{service, ApiUser};
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserJson),
        AuthedRead, Common,
    )
)]
pub async fn me(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let account = service::current_user(&state, &user.0)
        .await?
        .ok_or(AppError::Unauthorized {
            token_refused: true,
        })?;
    Ok(HttpResponse::Ok().json(UserJson::from(&account)))
}
