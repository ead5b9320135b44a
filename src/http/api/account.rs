//! `DELETE /api/auth/account`: delete the caller's account.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::openapi::{AuthedWrite, Common, CsrfHeader, JsonInput, RateLimited};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::domain::Password;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct DeleteBody {
    password: String,
}

/// Deletes the caller's account, sessions and tasks (403 if the password is wrong).
#[utoipa::path(
    delete,
    path = "/api/auth/account",
    tag = "account",
    params(CsrfHeader),
    request_body = DeleteBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The account, its sessions and its tasks are gone"),
        RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn delete_account(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<DeleteBody>,
) -> Result<HttpResponse, ApiError> {
    let password = Password::presented(body.into_inner().password);
    service::delete_account(&state, &user.0, password, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
