//! `GET /api/auth/me`.

use actix_web::{web, HttpResponse};

use super::dto::UserJson;
use super::openapi::{AuthedRead, Common};
use crate::auth::guard::{AnyScope, Caller};
use crate::auth::service;
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The caller's account (also for a personal access token, whatever its scopes).
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = []), ("cookie" = []), ("pat" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserJson),
        AuthedRead, Common,
    )
)]
pub async fn me(
    state: web::Data<AppState>,
    caller: Caller<AnyScope>,
) -> Result<HttpResponse, ApiError> {
    let account =
        service::find_user(&state, caller.user_id())
            .await?
            .ok_or(AppError::Unauthorized {
                token_refused: true,
            })?;
    Ok(HttpResponse::Ok().json(UserJson::from(&account)))
}
