//! `POST /api/auth/password/reset`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::client::ClientInfo;
use crate::auth::service;
use crate::http::api::openapi::{Common, InvalidToken, JsonInput, RateLimited};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    /// The `token` of the reset link.
    #[schema(max_length = 128)]
    token: String,
    /// 8–128 characters, not a common password, not the email.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// Public: sets a new password with a reset link's token.
///
/// Every session and personal access token of the user is revoked, the
/// address counts as verified, a notice is mailed; no session is created.
/// A weak password (422) leaves the token valid.
#[utoipa::path(
    post,
    path = "/api/auth/password/reset",
    tag = "auth",
    request_body = ResetBody,
    responses(
        (status = 204, description = "Password set; every session and token revoked"),
        RateLimited, JsonInput, InvalidToken, Common,
    )
)]
pub async fn reset_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<ResetBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    service::reset_password(&state, &body.token, body.new_password, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
