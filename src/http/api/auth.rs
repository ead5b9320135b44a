//! `/api/auth/*`: sign-up, login, refresh, logout, me.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::dto::{TokenResponse, UserJson};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Signup};
use crate::auth::ApiUser;
use crate::domain::Password;
use crate::error::{ApiError, AppError};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct SignupBody {
    email: String,
    password: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Debug, Deserialize)]
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
    .await
    .map_err(login_error)?;
    Ok(token_response(&state, &issued, false))
}

/// The login failure carries the generic message, whatever went wrong.
fn login_error(e: AppError) -> AppError {
    match e {
        AppError::Unauthorized { .. } => AppError::Unauthorized {
            token_refused: false,
        },
        other => other,
    }
}

/// Public (the refresh token is the credential): rotates the pair.
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
pub async fn me(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let account = service::current_user(&state, &user.0).await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&account)))
}
