//! `POST /api/auth/email/verify`.

use actix_web::{web, HttpResponse};

use super::TokenBody;
use crate::auth::client::ClientInfo;
use crate::auth::service;
use crate::http::api::openapi::{Common, InvalidToken, JsonInput, RateLimited};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// Public: proves the address with a verification link's token.
#[utoipa::path(
    post,
    path = "/api/auth/email/verify",
    tag = "auth",
    request_body = TokenBody,
    responses(
        (status = 204, description = "The address is verified"),
        RateLimited, JsonInput, InvalidToken, Common,
    )
)]
pub async fn verify_email(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    service::verify_email(&state, &body.token, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
