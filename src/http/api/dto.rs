//! JSON shapes shared by the API handlers: user, task, token response, and
//! the error body's schema (`error.rs` renders it; this only describes it).

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::auth::service::Issued;
use crate::db::tasks::Task;
use crate::db::users::User;
pub use crate::domain::time::rfc3339;
use crate::domain::time::rfc3339_digits;
use crate::domain::TaskId;
use crate::state::AppState;

/// A timestamp that serialises as [`rfc3339`] text without making a `String`.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub NaiveDateTime);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match rfc3339_digits(self.0) {
            Some(text) => s.serialize_str(std::str::from_utf8(&text).map_err(S::Error::custom)?),
            None => s.serialize_str(&rfc3339(self.0)),
        }
    }
}

/// Serialises an id as its text (`serialize_with`), without making a `String`.
fn as_text<T: fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
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
    #[schema(value_type = String, format = Uuid)]
    #[serde(serialize_with = "as_text")]
    pub id: TaskId,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Rfc3339,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Rfc3339,
}

impl From<Task> for TaskJson {
    fn from(t: Task) -> Self {
        Self {
            id: t.id,
            title: t.title,
            description: t.description,
            completed: t.completed,
            created_at: Rfc3339(t.created_at),
            updated_at: Rfc3339(t.updated_at),
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, SecondsFormat};

    use super::*;

    #[test]
    fn rfc3339_writes_what_chrono_writes() {
        let chrono = |t: NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut seen = 0;
        // Timestamps spread over years 0001 to 11476, fractions, and the edges.
        for secs in (-62_200_000_000_i64..=300_000_000_000).step_by(1_000_000_007) {
            for micros in [0, 1, 999_999, 123_456] {
                let t = DateTime::from_timestamp(secs, micros * 1000)
                    .unwrap()
                    .naive_utc();
                assert_eq!(rfc3339(t), chrono(t), "{t:?}");
                seen += 1;
            }
        }
        let edges = [
            NaiveDate::from_ymd_opt(0, 1, 1)
                .unwrap()
                .and_hms_micro_opt(0, 0, 0, 0),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 999_999),
            NaiveDate::from_ymd_opt(-1, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 5),
            NaiveDate::from_ymd_opt(10000, 1, 1)
                .unwrap()
                .and_hms_micro_opt(0, 0, 0, 7),
            // A leap second, and nanoseconds below a microsecond (truncated).
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000),
            NaiveDate::from_ymd_opt(2026, 11, 25)
                .unwrap()
                .and_hms_nano_opt(15, 32, 4, 123_456_789),
        ];
        for t in edges.into_iter().map(Option::unwrap) {
            assert_eq!(rfc3339(t), chrono(t), "{t:?}");
            let json = serde_json::to_string(&Rfc3339(t)).unwrap();
            assert_eq!(json, format!("\"{}\"", chrono(t)));
            seen += 1;
        }
        assert!(seen > 200);
    }
}
