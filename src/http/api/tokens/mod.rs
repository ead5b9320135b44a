//! `/api/auth/tokens`: the caller's personal access tokens. Only a signed-in
//! session manages them (`ApiUser` refuses a token with 403
//! `insufficient_scope`); another user's token id is a plain 404.

mod create;

pub use create::{__path_create_token, create_token};

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::ToSchema;

use super::dto::rfc3339;
use super::openapi::{AuthedRead, AuthedWrite, Common, CsrfHeader, EmptyBody, NotFound};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::db::pats::Pat;
use crate::domain::PatId;
use crate::http::error::ApiError;
use crate::http::extract::NoBody;
use crate::state::AppState;

/// The OpenAPI security scheme `pat`: operations list the scope they need.
pub fn pat_scheme() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("tgp_")
            .description(Some(
                "A personal access token (`tgp_…`, made at `POST /api/auth/tokens` or on \
                 the account page) in the `Authorization` header, never in a cookie. It \
                 works on `/api/tasks…` (scope `tasks:read` to read, also granted by \
                 `tasks:write`; `tasks:write` to change), `GET /api/auth/me` (any scope) \
                 and `POST /api/auth/introspect` (scope `introspect`); an operation lists \
                 the scope it needs. Everywhere else, and without the scope: 403 \
                 `insufficient_scope`. Needs no CSRF token.",
            ))
            .build(),
    )
}

// Documentation only: scopes travel as strings (`domain::Scope` parses them).
/// A scope a personal access token can have.
#[derive(Serialize, ToSchema)]
#[schema(as = TokenScope)]
#[allow(dead_code)]
pub enum ScopeName {
    /// `GET /api/tasks…`.
    #[serde(rename = "tasks:read")]
    TasksRead,
    /// Every `/api/tasks…` route (implies `tasks:read`).
    #[serde(rename = "tasks:write")]
    TasksWrite,
    /// `POST /api/auth/introspect`.
    #[serde(rename = "introspect")]
    Introspect,
}

/// A personal access token as listed: never its secret.
#[derive(Serialize, ToSchema)]
#[schema(as = PersonalAccessToken)]
pub struct PatJson {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// Some of `tasks:read`, `tasks:write` (implies `tasks:read`), `introspect`.
    #[schema(value_type = Vec<ScopeName>, example = json!(["tasks:read"]))]
    pub scopes: Vec<&'static str>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Recorded at most once a minute; null until first use.
    #[schema(format = DateTime, required = true)]
    pub last_used_at: Option<String>,
}

impl From<&Pat> for PatJson {
    fn from(p: &Pat) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            scopes: p.scopes().map(|s| s.names()).unwrap_or_default(),
            created_at: rfc3339(p.created_at),
            expires_at: rfc3339(p.expires_at),
            last_used_at: p.last_used_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct PatList {
    tokens: Vec<PatJson>,
}

/// The caller's personal access tokens that are not revoked (expired ones
/// too), newest first. Needs a session: a token cannot list tokens.
#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    tag = "tokens",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's tokens, without their secrets", body = PatList),
        AuthedRead, Common,
    )
)]
pub async fn list_tokens(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let rows = service::list_pats(&state, user.0.user_id()).await?;
    let tokens = rows.iter().map(PatJson::from).collect();
    Ok(HttpResponse::Ok().json(PatList { tokens }))
}

/// Revokes one of the caller's tokens: refused from the next request on.
/// Another user's, an unknown or an already revoked id is 404.
#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, format = Uuid, description = "A token id from `GET /api/auth/tokens`"), CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The token is revoked"),
        NotFound, AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn revoke_token(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    path: web::Path<String>,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    service::revoke_pat(&state, &user.0, PatId::parse(&path), &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
