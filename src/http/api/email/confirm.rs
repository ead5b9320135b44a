//! `POST /api/auth/email/confirm`.

use actix_web::{web, HttpResponse};

use super::TokenBody;
use crate::auth::client::ClientInfo;
use crate::auth::service;
use crate::http::api::openapi::{Common, Conflict, InvalidToken, JsonInput, RateLimited};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// Public: confirms an email change with the link's token.
///
/// The address changes and counts as verified; every session except the one
/// that asked for the change is revoked (personal access tokens stay). 409
/// when another account took the address meanwhile.
#[utoipa::path(
    post,
    path = "/api/auth/email/confirm",
    tag = "auth",
    request_body = TokenBody,
    responses(
        (status = 204, description = "The address is changed"),
        Conflict, RateLimited, JsonInput, InvalidToken, Common,
    )
)]
pub async fn confirm_email(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    service::confirm_email_change(&state, &body.token, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
