//! `/api/auth/sessions`, `/api/auth/password`, `/api/auth/account`: the caller's sessions and account.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::dto::rfc3339;
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::db::{self, sessions};
use crate::domain::{Password, SessionId};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
struct SessionJson {
    id: String,
    created_at: String,
    last_used_at: String,
    user_agent: Option<String>,
    current: bool,
}

#[derive(Debug, Serialize)]
struct SessionList {
    sessions: Vec<SessionJson>,
}

/// The caller's live sessions, newest first; `current` marks this one.
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

#[derive(Debug, Deserialize)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes the password (403 if the current one is wrong); other sessions are revoked.
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

#[derive(Debug, Deserialize)]
pub struct DeleteBody {
    password: String,
}

/// Deletes the caller's account, sessions and tasks (403 if the password is wrong).
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
