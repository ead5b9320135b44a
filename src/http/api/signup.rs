//! `POST /api/auth/signup`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{token_response, TokenResponse};
use super::openapi::{Common, Conflict, JsonInput, RateLimited};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Signup};
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct SignupBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 8–128 characters, not a common password, not the email.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[schema(max_length = 100)]
    name: Option<String>,
}

/// Public: creates an account and returns its first token pair (201).
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    request_body = SignupBody,
    responses(
        (status = 201, description = "Account created, with its first token pair", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        Conflict, RateLimited, JsonInput, Common,
    )
)]
pub async fn signup(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<SignupBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = Signup::parse(
        &body.email,
        body.password,
        body.name.as_deref().unwrap_or(""),
    )
    .map_err(AppError::Validation)?;
    let issued = service::signup(&state, input, &client).await?;
    Ok(token_response(&state, &issued, true))
}
