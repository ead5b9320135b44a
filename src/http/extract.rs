//! Reading request bodies: the contract's 64 KiB limit, a read timeout, and
//! clear 4xx answers for anything malformed (never a 500): JSON for the API,
//! an HTML error page for forms (see `csrf_form`).

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{AppError, JSON_ONLY};
use crate::http::error::{ApiError, PageError};
use crate::state::AppState;

/// The contract's body limit, for JSON and forms alike.
pub const BODY_LIMIT: usize = 64 * 1024;
/// A body must arrive within this long unless `BODY_READ_TIMEOUT_SECS` says
/// otherwise (the contract allows at most 60 s): a client trickling bytes
/// cannot hold a request open for ever.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

fn body_timeout(req: &HttpRequest) -> Duration {
    req.app_data::<web::Data<AppState>>()
        .map_or(BODY_TIMEOUT, |s| s.config.body_read_timeout)
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    TimedOut,
    Broken,
}

impl From<BodyError> for AppError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => AppError::PayloadTooLarge,
            BodyError::TimedOut => AppError::BadRequest("the request body took too long".into()),
            BodyError::Broken => AppError::BadRequest("the request body could not be read".into()),
        }
    }
}

/// Reads the whole body, at most [`BODY_LIMIT`] bytes within the read timeout.
pub async fn read_body(req: &HttpRequest, mut payload: Payload) -> Result<Vec<u8>, BodyError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(BodyError::TooLarge);
    }
    let read = async {
        let mut body = Vec::with_capacity(declared.unwrap_or(0));
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(body_timeout(req), read)
        .await
        .map_err(|_| BodyError::TimedOut)?
}

/// True for `application/json` and `application/<anything>+json`; not `text/json`.
fn is_json(req: &HttpRequest) -> bool {
    let Some(Ok(mime)) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().map(str::parse::<mime::Mime>))
    else {
        return false;
    };
    mime.as_ref().is_ok_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    })
}

/// A JSON request body: `application/json`, at most 64 KiB, well-formed (else
/// 400), of the expected shape (else 422 naming the field).
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError(AppError::UnsupportedMediaType(JSON_ONLY)));
            }
            let body = read_body(&req, payload).await?;
            let value: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|_| AppError::BadRequest("the body is not valid JSON".into()))?;
            T::deserialize(value)
                .map(Json)
                .map_err(|e| ApiError(shape_error(&e.to_string())))
        })
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

/// For routes that take no body: none, or an empty one, is fine; anything
/// else must still be JSON (415) of at most 64 KiB (413) that parses (400).
pub struct NoBody;

impl FromRequest for NoBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, payload).await?;
            if body.is_empty() {
                return Ok(NoBody);
            }
            if !is_json(&req) {
                return Err(ApiError(AppError::UnsupportedMediaType(JSON_ONLY)));
            }
            serde_json::from_slice::<serde_json::Value>(&body)
                .map(|_| NoBody)
                .map_err(|_| ApiError(AppError::BadRequest("the body is not valid JSON".into())))
        })
    }
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

/// Page paths that do not parse are a 404 page.
pub fn page_path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req| PageError(AppError::NotFound).into())
}

/// A JSON body that may be absent (an empty body, whatever its content type,
/// is `None`); a body that is present is read exactly like [`Json`] (415,
/// 413, 400, 422). For routes whose body depends on the caller, such as
/// resending a verification mail (signed in: none; signed out: `{"email"}`).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, payload).await?;
            if body.is_empty() {
                return Ok(OptionalJson(None));
            }
            if !is_json(&req) {
                return Err(ApiError(AppError::UnsupportedMediaType(JSON_ONLY)));
            }
            let value: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|_| AppError::BadRequest("the body is not valid JSON".into()))?;
            T::deserialize(value)
                .map(|t| OptionalJson(Some(t)))
                .map_err(|e| ApiError(shape_error(&e.to_string())))
        })
    }
}
