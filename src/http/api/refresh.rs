//! `POST /api/auth/refresh`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{token_response, TokenResponse};
use super::openapi::{Common, JsonInput, Unauthorized};
use crate::auth::client::ClientInfo;
use crate::auth::service;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

/// Public (the refresh token is the credential): rotates the pair.
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A rotated token pair; the refresh token sent is now spent", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        Unauthorized, JsonInput, Common,
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let issued = service::refresh(&state, &body.refresh_token, &client).await?;
    Ok(token_response(&state, &issued, false))
}
