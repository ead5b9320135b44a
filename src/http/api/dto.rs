//! JSON shapes shared by the API handlers: user, task, token response, and
//! the error body's schema (`error.rs` renders it; this only describes it).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::service::Issued;
use crate::db::tasks::Task;
use crate::db::users::User;
use crate::state::AppState;

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-25T15:32:04.123456Z`.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The owner has proved the address (a verification or reset link).
    pub email_verified: bool,
    /// Sign-in asks for a second factor (TOTP or a recovery code).
    pub two_factor: bool,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: rfc3339(u.created_at),
            email_verified: u.email_verified,
            two_factor: u.totp_enabled,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Task)]
pub struct TaskJson {
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Task> for TaskJson {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.to_string(),
            title: t.title,
            description: t.description,
            completed: t.completed,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A token pair: the access token (a JWT) for `Authorization: Bearer`, and
/// the refresh token for `POST /api/auth/refresh`. No `Debug`: it holds both.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(value_type = String, pattern = "^Bearer$", example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: UserJson,
}

impl TokenResponse {
    pub fn new(issued: &Issued, expires_in: u64) -> Self {
        Self {
            access_token: issued.access_token.clone(),
            token_type: "Bearer",
            expires_in,
            refresh_token: issued.refresh_token.clone(),
            user: UserJson::from(&issued.user),
        }
    }
}

/// A token pair as the answer to sign-up (201), login or refresh (200); never cached.
pub fn token_response(state: &AppState, issued: &Issued, created: bool) -> HttpResponse {
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse::new(issued, state.tokens.ttl_secs()))
}

// Documentation only: `error::ApiError` builds the body, and `openapi`'s
// tests check that every `AppError` code is listed in `ErrorCode`.
/// Every API error: `{"error":{"code","message","fields"?}}`.
#[derive(Debug, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Readable text; for `internal` and `unavailable`, a generic one.
    pub message: String,
    /// Only with `validation_failed`: field name to the reason it was refused.
    #[schema(nullable = false)]
    pub fields: Option<BTreeMap<String, String>>,
}

/// The machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    InsufficientScope,
    NotFound,
    MethodNotAllowed,
    Conflict,
    UnsupportedMediaType,
    PayloadTooLarge,
    ValidationFailed,
    RateLimited,
    Unavailable,
    Internal,
    InvalidToken,
    EmailNotVerified,
}
