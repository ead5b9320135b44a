//! `POST /api/auth/password`: change the password.

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
pub struct PasswordBody {
    current_password: String,
    /// 8–128 characters, not a common password, not the email.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// Changes the password (403 if the current one is wrong); other sessions are revoked.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    tag = "account",
    params(CsrfHeader),
    request_body = PasswordBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Changed; every other session is revoked"),
        RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let current = Password::presented(body.current_password);
    service::change_password(&state, &user.0, current, body.new_password, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
