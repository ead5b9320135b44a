//! `POST /api/auth/password/forgot`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{accepted, Accepted};
use crate::auth::client::ClientInfo;
use crate::auth::service;
use crate::domain::Email;
use crate::error::AppError;
use crate::http::api::openapi::{Common, JsonInput, RateLimited};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct ForgotBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

/// Public: mails a password-reset link (1 h) if the address has an account.
///
/// Every well-formed address gets the same 202 `{}` in the same time, known
/// or not; the lookup and the mail happen after the answer.
#[utoipa::path(
    post,
    path = "/api/auth/password/forgot",
    tag = "auth",
    request_body = ForgotBody,
    responses(
        (status = 202, description = "Accepted (whether or not the address has an account)", body = Accepted),
        RateLimited, JsonInput, Common,
    )
)]
pub async fn forgot_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<ForgotBody>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email).map_err(|e| AppError::field("email", e))?;
    service::forgot_password(state.into_inner(), email, client).await;
    Ok(accepted())
}
