//! The one error type, and the only place errors become HTTP responses.
//!
//! Handlers return `Result<_, ApiError>` (JSON) or `Result<_, PageError>`
//! (HTML); both wrap `AppError`, whose `status_code` is the single status table.
//! `Internal` errors are logged with their cause chain and shown as a generic message.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

/// Field name to a readable reason, as in `"fields": {"title": "is required"}`.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or refused ones (`token_refused` selects RFC 6750's `invalid_token`).
    #[error("authentication required")]
    Unauthorized { token_refused: bool },
    /// A page needs a signed-in user: redirect to the login form, then back to `next`.
    #[error("sign in to continue")]
    SignInRequired { next: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("requests with a body must be application/json")]
    UnsupportedMediaType,
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("too many attempts; try again later")]
    RateLimited { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation failure on a single field.
    pub fn field(name: &str, reason: impl fmt::Display) -> Self {
        Self::Validation(BTreeMap::from([(name.to_owned(), reason.to_string())]))
    }

    /// The single status table.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized { .. } | Self::SignInRequired { .. } => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What the client may read: never internal details.
    fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal server error".to_owned(),
            Self::Unavailable(_) => "the service is temporarily unavailable".to_owned(),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        match self {
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Self::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            _ => {}
        }
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("already exists".to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, ref info) if is_unavailable(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

/// Messages that mean "the database cannot answer right now" rather than
/// "this query is wrong": libpq's lost-connection errors, a server shutting
/// down, and SQLite's lock timeout. These become 503, and the connection is
/// dropped from the pool.
fn is_unavailable(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "no connection to the server",
        "server closed the connection",
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "could not receive data from server",
        "database is locked",
    ];
    SIGNS.iter().any(|s| message.contains(s))
}

/// An `AppError` rendered as the JSON API's error body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        Self(e.into())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let e = &self.0;
        e.log();
        let mut body = json!({ "error": { "code": e.code(), "message": e.public_message() } });
        if let AppError::Validation(fields) = e {
            body["error"]["fields"] = json!(fields);
        }
        let mut res = HttpResponse::build(e.status_code());
        add_error_headers(e, &mut res);
        res.json(body)
    }
}

fn add_error_headers(e: &AppError, res: &mut actix_web::HttpResponseBuilder) {
    match e {
        AppError::Unauthorized {
            token_refused: true,
        } => {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                r#"Bearer realm="taskgate", error="invalid_token""#,
            ));
        }
        AppError::Unauthorized {
            token_refused: false,
        }
        | AppError::SignInRequired { .. } => {
            res.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="taskgate""#));
        }
        AppError::RateLimited { retry_after_secs } => {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
        }
        _ => {}
    }
}

/// An `AppError` rendered as an HTML page (or, for `SignInRequired`, a redirect to the login form).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<DieselError> for PageError {
    fn from(e: DieselError) -> Self {
        Self(e.into())
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    signed_in: bool,
    csrf_token: &'a str,
    flash: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            e => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let e = &self.0;
        e.log();
        if let AppError::SignInRequired { next } = e {
            let target = format!("/login?next={}", crate::http::urlencode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let status = e.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: e.public_message(),
            signed_in: false,
            csrf_token: "",
            flash: "",
        };
        let mut res = HttpResponse::build(status);
        add_error_headers(e, &mut res);
        match page.render() {
            Ok(html) => res
                .insert_header((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ))
                .body(html),
            Err(err) => {
                tracing::error!(error = %err, "error page failed to render");
                res.body(e.public_message())
            }
        }
    }
}
