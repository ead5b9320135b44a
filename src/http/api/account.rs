//! `/api/auth/sessions`, `/api/auth/password`, `/api/auth/account`: the caller's sessions and account.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use super::openapi::{
    BadRequest, CsrfHeader, Forbidden, Internal, NotFound, PayloadTooLarge, Unauthorized,
    Unavailable, UnsupportedMediaType, ValidationFailed,
};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::db::{self, sessions};
use crate::domain::{Password, SessionId};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
struct SessionJson {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_used_at: String,
    #[schema(required = true)]
    user_agent: Option<String>,
    /// True for the session making this request.
    current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
struct SessionList {
    sessions: Vec<SessionJson>,
}

/// The caller's live sessions, newest first; `current` marks this one.
#[utoipa::path(
    get,
    path = "/api/auth/sessions",
    tag = "account",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's live sessions", body = SessionList),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let auth = user.0;
    let idle = state.session_idle;
    let rows = db::run(&state.pool, move |conn| {
        sessions::list_live(conn, auth.user_id, db::now(), idle)
    })
    .await?;
    let current = auth.session_id.to_string();
    let sessions = rows
        .into_iter()
        .map(|s| SessionJson {
            current: s.id == current,
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            user_agent: s.user_agent,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}

/// Revokes one of the caller's sessions; another user's is 404.
#[utoipa::path(
    delete,
    path = "/api/auth/sessions/{id}",
    tag = "account",
    params(("id" = String, Path, format = Uuid, description = "A session id from `GET /api/auth/sessions`"), CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The session is revoked"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn revoke_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    service::revoke_session(&state, &user.0, SessionId::parse(&path), &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
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
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    service::change_password(
        &state,
        &user.0,
        Password::presented(body.current_password),
        body.new_password,
        &client,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteBody {
    password: String,
}

/// Deletes the caller's account, sessions and tasks (403 if the password is wrong).
#[utoipa::path(
    delete,
    path = "/api/auth/account",
    tag = "account",
    params(CsrfHeader),
    request_body = DeleteBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The account, its sessions and its tasks are gone"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
pub async fn delete_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
    body: web::Json<DeleteBody>,
) -> Result<HttpResponse, ApiError> {
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    service::delete_account(
        &state,
        &user.0,
        Password::presented(body.into_inner().password),
        &client,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
