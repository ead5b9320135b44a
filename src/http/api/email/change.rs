//! `POST /api/auth/email`: ask to change the address.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{accepted, Accepted};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::domain::{Email, Password};
use crate::error::AppError;
use crate::http::api::openapi::{
    AuthedWrite, Common, Conflict, CsrfHeader, JsonInput, RateLimited,
};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct ChangeEmailBody {
    #[schema(format = Email, max_length = 254)]
    new_email: String,
    /// The current password (a wrong one counts like a failed sign-in).
    password: String,
}

/// Mails a confirmation link (1 h) to the new address and a notice to the
/// old one; nothing changes until the link is used. 403 for a wrong
/// password, 409 when the address belongs to another account.
#[utoipa::path(
    post,
    path = "/api/auth/email",
    tag = "account",
    params(CsrfHeader),
    request_body = ChangeEmailBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 202, description = "Confirmation link sent to the new address", body = Accepted),
        Conflict, RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn change_email(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<ChangeEmailBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = Email::parse(&body.new_email).map_err(|e| AppError::field("new_email", e))?;
    let password = Password::presented(body.password);
    service::request_email_change(&state, &user.0, email, password, &client).await?;
    Ok(accepted())
}
