//! `POST /api/auth/signup`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{token_response, TokenResponse, UserJson};
use super::openapi::{Common, Conflict, JsonInput, RateLimited};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Signup, SignupOutcome};
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

/// With `REQUIRE_VERIFIED_EMAIL=true`: the account only, no tokens. (Closed
/// to other properties, so a token response never matches it too.)
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountCreated {
    pub user: UserJson,
}

/// The 201 answer: a token pair, or (`REQUIRE_VERIFIED_EMAIL`) the account alone.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // `Tokens` is written by `token_response`
pub enum SignupResponse {
    Tokens(TokenResponse),
    VerifyFirst(AccountCreated),
}

/// Public: creates an account, mails a verification link, and returns its
/// first token pair (201) — or, with `REQUIRE_VERIFIED_EMAIL=true`, only
/// `{"user"}`: sign in once the address is verified.
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    request_body = SignupBody,
    responses(
        (status = 201, description = "Account created, with its first token pair (or only `{\"user\"}` when the address must be verified first)", body = SignupResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
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
    match service::signup(&state, input, &client).await? {
        SignupOutcome::Signed(issued) => Ok(token_response(&state, &issued, true)),
        SignupOutcome::VerifyFirst(user) => Ok(HttpResponse::Created()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(SignupResponse::VerifyFirst(AccountCreated {
                user: UserJson::from(&user),
            }))),
    }
}
