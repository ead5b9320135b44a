//! Compressed request bodies are refused (415) before anything reads them.
//!
//! A 61 KB gzip body inflates to tens of megabytes before a 64 KiB limit on
//! the *decoded* size can apply, and nothing taskgate serves needs compressed
//! uploads. actix-web is built without its decompressing features, and this
//! middleware answers any `Content-Encoding` other than `identity` at once,
//! for every route: JSON under `/api`, an error page elsewhere.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::ResponseError;

use crate::error::{AppError, NO_ENCODING};
use crate::http::error::{ApiError, PageError};

/// For `middleware::from_fn`, on the whole app.
pub async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let encoded = req.headers().get_all(header::CONTENT_ENCODING).any(|v| {
        !v.to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
    });
    if encoded {
        let refused = AppError::UnsupportedMediaType(NO_ENCODING);
        let res = if req.path().starts_with("/api/") {
            ApiError(refused).error_response()
        } else {
            PageError(refused).error_response()
        };
        return Ok(req.into_response(res).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
