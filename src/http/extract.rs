//! Extractor settings: body limits and how malformed input becomes a clear
//! 4xx (never a 500): JSON for the API, an HTML error page for forms.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::{web, HttpRequest};

use crate::error::{ApiError, AppError, PageError};

/// The contract's body limit, for JSON and forms alike.
pub const BODY_LIMIT: usize = 64 * 1024;

/// JSON bodies: must be `application/json`, at most 64 KiB, well-formed.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .content_type_required(true)
        .content_type(|mime| mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        .error_handler(|err, _req: &HttpRequest| ApiError(json_error(&err)).into())
}

fn json_error(err: &JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => shape_error(&e.to_string()),
        JsonPayloadError::Deserialize(_) => {
            AppError::BadRequest("the body is not valid JSON".into())
        }
        _ => AppError::BadRequest("the request body could not be read".into()),
    }
}

/// Well-formed JSON of the wrong shape: 422, naming the field when serde does.
fn shape_error(message: &str) -> AppError {
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("invalid type"))
        .unwrap_or("body");
    let reason = message.split(" at line ").next().unwrap_or(message);
    AppError::field(field, reason)
}

/// Query strings on the API: malformed ones are 400.
pub fn api_query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError(AppError::BadRequest(format!("bad query string: {err}"))).into()
    })
}

/// Path segments that do not parse are 404, the same answer as a missing resource.
pub fn api_path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req| ApiError(AppError::NotFound).into())
}

/// Forms: at most 64 KiB; anything unreadable is a 400 page (415 for another content type).
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err: UrlencodedError, _req| {
            let e = match err {
                UrlencodedError::ContentType => AppError::UnsupportedMediaType,
                UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge,
                other => AppError::BadRequest(format!("the form could not be read: {other}")),
            };
            PageError(e).into()
        })
}

/// Page paths that do not parse are a 404 page.
pub fn page_path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req| PageError(AppError::NotFound).into())
}
