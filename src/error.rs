//! The application's error vocabulary and its one status table.
//!
//! Error policy — which layer returns what:
//! - `domain` types refuse bad input with their own small enums (`EmailError`, …).
//! - `db` functions return `diesel::QueryResult`; `db::run`/`db::write` turn
//!   pool and connection trouble into a [`Fault`].
//! - flows (`auth::service`, keys, mail) return their own outcome enums; what
//!   is nobody's fault but ours (the database is down, the hasher is full, a
//!   bug) travels as a [`Fault`]. Flows never choose an HTTP status.
//! - the HTTP edge (`http::api`, `http::pages`) maps outcomes to [`AppError`],
//!   whose [`AppError::status_code`] is the only status table; `http::error`
//!   renders it as JSON or as a page and logs internal causes, which clients
//!   never see.
//! - outside requests (start-up, CLI, background tasks): `anyhow` with context.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;

/// Why a JSON route refused a body's content type.
pub const JSON_ONLY: &str = "requests with a body must be application/json";
/// Why any route refused a compressed body.
pub const NO_ENCODING: &str =
    "compressed request bodies are not accepted (Content-Encoding must be identity)";

/// Field name to a readable reason, as in `"fields": {"title": "is required"}`.
pub type FieldErrors = BTreeMap<String, String>;

/// A failure that is not the caller's doing: the request may succeed later.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// The database cannot answer right now (503).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Too much password hashing is already queued (503 with `Retry-After`).
    #[error("the password hasher is saturated")]
    Busy { retry_after_secs: u64 },
    /// A bug or an unexpected state (500); the cause chain is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Fault {
    /// An internal fault from a message (for states that "cannot happen").
    pub fn internal(message: impl fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{message}"))
    }
}

/// Every way a request can fail, as the client sees it.
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
    /// A personal access token on a route it does not allow: RFC 6750's
    /// `insufficient_scope`, naming the scope the route needs (`session` for
    /// routes that only a signed-in session may use).
    #[error("this token does not allow this request; it needs the scope {scope}")]
    InsufficientScope { scope: &'static str },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// A body the server will not read: not JSON, or compressed.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("too many attempts; try again later")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Fault(#[from] Fault),
    // Email links and verification (contract section 8).
    /// A mailed link's token that is used, expired, superseded or unknown (400).
    #[error("this link is no longer valid; ask for a new one")]
    InvalidToken,
    /// A correct password for an address not yet verified, while
    /// `REQUIRE_VERIFIED_EMAIL` is on (403).
    #[error("confirm your email address first: open the link we sent you, or ask for a new one")]
    EmailNotVerified,
}

impl AppError {
    /// A validation failure on a single field.
    pub fn field(name: &str, reason: impl fmt::Display) -> Self {
        Self::Validation(BTreeMap::from([(name.to_owned(), reason.to_string())]))
    }

    /// An internal error from a message.
    pub fn internal(message: impl fmt::Display) -> Self {
        Self::Fault(Fault::internal(message))
    }

    /// The single status table.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Fault(Fault::Unavailable(_) | Fault::Busy { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Fault(Fault::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InvalidToken => StatusCode::BAD_REQUEST,
            Self::EmailNotVerified => StatusCode::FORBIDDEN,
        }
    }

    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized { .. } | Self::SignInRequired { .. } => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Fault(Fault::Unavailable(_) | Fault::Busy { .. }) => "unavailable",
            Self::Fault(Fault::Internal(_)) => "internal",
            Self::InvalidToken => "invalid_token",
            Self::EmailNotVerified => "email_not_verified",
        }
    }

    /// What the client may read: never internal details.
    pub fn public_message(&self) -> String {
        match self {
            Self::Fault(Fault::Internal(_)) => "internal server error".to_owned(),
            Self::Fault(_) => "the service is temporarily unavailable".to_owned(),
            other => other.to_string(),
        }
    }

    /// Seconds for a `Retry-After` header, when this answer has one.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::Fault(Fault::Busy { retry_after_secs }) => Some((*retry_after_secs).max(1)),
            _ => None,
        }
    }

    /// Logs what the client is not told.
    pub fn log(&self) {
        match self {
            Self::Fault(Fault::Internal(e)) => tracing::error!(error = ?e, "internal error"),
            Self::Fault(Fault::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable")
            }
            Self::Fault(Fault::Busy { .. }) => tracing::warn!("password hasher saturated"),
            _ => {}
        }
    }
}
