//! Compressed request bodies are refused (415) before anything reads them.
//!
//! A 61 KB gzip body inflates to tens of megabytes before a 64 KiB limit on
//! the *decoded* size can apply, and nothing taskgate serves needs compressed
//! uploads. actix-web is built without its decompressing features, and the
//! request frame (`http::frame`) answers any `Content-Encoding` other than
//! `identity` at once, for every route: JSON under `/api`, an error page elsewhere.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::ResponseError;

use crate::error::{AppError, NO_ENCODING};
use crate::http::error::{ApiError, PageError};

/// True when the request declares a body encoding other than `identity`.
pub fn is_encoded(req: &ServiceRequest) -> bool {
    req.headers().get_all(header::CONTENT_ENCODING).any(|v| {
        !v.to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
    })
}

/// The 415 answer to such a request: JSON under `/api`, an error page elsewhere.
pub fn refuse(req: ServiceRequest) -> ServiceResponse {
    let refused = AppError::UnsupportedMediaType(NO_ENCODING);
    let res = if req.path().starts_with("/api/") {
        ApiError(refused).error_response()
    } else {
        PageError(refused).error_response()
    };
    req.into_response(res)
}
