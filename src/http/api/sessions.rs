//! `GET /api/auth/sessions`, `DELETE /api/auth/sessions/{id}`: the caller's sessions.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::rfc3339;
use super::openapi::{AuthedRead, AuthedWrite, Common, CsrfHeader, EmptyBody, NotFound};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::db::{self, sessions};
use crate::domain::SessionId;
use crate::http::error::ApiError;
use crate::http::extract::NoBody;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
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
        AuthedRead, Common,
    )
)]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let (uid, current, idle) = (user.0.user_id(), user.0.session_id(), state.session_idle);
    let rows = db::run(&state.pool, move |conn| {
        sessions::list_live(conn, uid, db::now(), idle)
    })
    .await?;
    let sessions = rows
        .into_iter()
        .map(|s| SessionJson {
            current: s.id == current,
            id: s.id.to_string(),
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
        NotFound, AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn revoke_session(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    path: web::Path<String>,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    service::revoke_session(&state, &user.0, SessionId::parse(&path), &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
