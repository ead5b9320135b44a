//! `POST /api/auth/login/2fa`: the second step of a two-factor login, and
//! the answer the first step gives when one is needed.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{token_response, TokenResponse};
use super::openapi::{BadRequest, Common, JsonInput, RateLimited, Unauthorized};
use crate::auth::client::ClientInfo;
use crate::auth::service::two_factor::{self, MfaChallenge, Presented};
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// The first step's answer when two-factor is on: no session yet.
#[derive(Serialize, ToSchema)]
pub struct MfaRequired {
    #[schema(value_type = bool, example = true)]
    mfa_required: bool,
    /// For `POST /api/auth/login/2fa`: single use, 5 minutes, dies after 5 wrong codes.
    mfa_token: String,
    /// The second factors accepted: `totp`, `recovery_code`.
    methods: Vec<&'static str>,
}

/// What a correct password gets: a token pair, or a second step to take.
/// For the OpenAPI document only: the handlers serialise the variants themselves.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Tokens(TokenResponse),
    SecondFactor(MfaRequired),
}

/// The 200 answer of a login that needs a second factor (never cached).
pub fn mfa_required(challenge: MfaChallenge) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MfaRequired {
            mfa_required: true,
            mfa_token: challenge.token,
            methods: challenge.methods.to_vec(),
        })
}

/// `code` (TOTP) or `recovery_code`, exactly one of them.
#[derive(Deserialize, ToSchema)]
pub struct SecondStepBody {
    mfa_token: String,
    /// Six digits from the authenticator app.
    #[serde(default)]
    code: Option<String>,
    /// One of the recovery codes (each works once).
    #[serde(default)]
    recovery_code: Option<String>,
}

/// Public: finishes a two-factor login with the mfa token and a code.
///
/// A wrong code is 401 (counted against the account; the fifth kills the
/// token); an unknown, used, expired or dead token is 400: sign in again.
#[utoipa::path(
    post,
    path = "/api/auth/login/2fa",
    tag = "auth",
    request_body = SecondStepBody,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        BadRequest, Unauthorized, RateLimited, JsonInput, Common,
    )
)]
pub async fn login_second_step(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<SecondStepBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let code = match (body.code, body.recovery_code) {
        (Some(code), None) => Presented::Totp(code),
        (None, Some(code)) => Presented::Recovery(code),
        (None, None) => return Err(AppError::field("code", "give code or recovery_code").into()),
        (Some(_), Some(_)) => {
            return Err(AppError::field("code", "give code or recovery_code, not both").into())
        }
    };
    let issued = two_factor::complete_login(&state, &body.mfa_token, code, &client).await?;
    Ok(token_response(&state, &issued, false))
}
