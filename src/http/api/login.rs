//! `POST /api/auth/login`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::token_response;
use super::login_2fa::{mfa_required, LoginAnswer};
use super::openapi::{Common, EmailNotVerified, JsonInput, RateLimited, Unauthorized};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, LoginOutcome};
use crate::domain::Password;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// Public: exchanges credentials for a token pair.
///
/// An unknown email and a wrong password get the same 401. With
/// `REQUIRE_VERIFIED_EMAIL=true`, the right password for an unverified
/// address gets 403 `email_not_verified` and no session. With two-factor
/// on, a correct password gets `{"mfa_required":true,"mfa_token","methods"}`
/// and no session: finish with `POST /api/auth/login/2fa`.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "A new token pair, or the second step to take", body = LoginAnswer, headers(("Cache-Control" = String, description = "`no-store`"))),
        Unauthorized, RateLimited, JsonInput, Common,
        EmailNotVerified,
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let password = Password::presented(body.password);
    match service::login(&state, &body.email, password, &client).await? {
        LoginOutcome::Signed(issued) => Ok(token_response(&state, &issued, false)),
        LoginOutcome::NeedsSecondFactor(challenge) => Ok(mfa_required(challenge)),
    }
}
