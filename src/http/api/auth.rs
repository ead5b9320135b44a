//! `/api/auth/*`: sign-up, login, refresh, logout, me.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{TokenResponse, UserJson};
use super::openapi::{
    BadRequest, Conflict, CsrfHeader, Forbidden, Internal, PayloadTooLarge, RateLimited,
    Unauthorized, Unavailable, UnsupportedMediaType, ValidationFailed,
};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Signup};
use crate::auth::ApiUser;
use crate::domain::Password;
use crate::error::{ApiError, AppError};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 8–128 characters, not a common password, not the email.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[schema(max_length = 100)]
    name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

fn token_response(state: &AppState, issued: &service::Issued, created: bool) -> HttpResponse {
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse::new(issued, state.tokens.ttl_secs()))
}

/// Public: creates an account and returns its first token pair (201).
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    request_body = SignupBody,
    responses(
        (status = 201, description = "Account created, with its first token pair", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = RateLimited),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignupBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = Signup::parse(
        &body.email,
        body.password,
        body.name.as_deref().unwrap_or(""),
    )?;
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let issued = service::signup(&state, input, &client).await?;
    Ok(token_response(&state, &issued, true))
}

/// Public: exchanges credentials for a token pair.
///
/// An unknown email and a wrong password get the same 401.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = RateLimited),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let issued = service::login(
        &state,
        &body.email,
        Password::presented(body.password),
        &client,
    )
    .await?;
    Ok(token_response(&state, &issued, false))
}

/// Public (the refresh token is the credential): rotates the pair.
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A rotated token pair; the refresh token sent is now spent", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let issued = service::refresh(&state, &body.refresh_token, &client).await?;
    Ok(token_response(&state, &issued, false))
}

/// Revokes the current session (and clears auth cookies if they were used).
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    params(CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The session is revoked"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    service::logout(&state, &user.0, &client).await?;
    let mut res = HttpResponse::NoContent().finish();
    for cookie in state.cookies.clear() {
        res.add_cookie(&cookie)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserJson),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn me(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let account = service::current_user(&state, &user.0).await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&account)))
}
