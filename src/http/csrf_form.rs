//! `CsrfForm<T>`: an HTML form whose `csrf_token` has been checked before the
//! handler runs. A page handler that changes something takes one, so a form
//! that forgot the check cannot be written: there is no other form extractor.

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::auth::csrf;
use crate::error::AppError;
use crate::http::error::PageError;
use crate::http::extract::{read_body, BodyError};

/// A form's fields (`T`), after its CSRF token matched the visitor's.
///
/// Anything that does not let us read a valid token — no body, another
/// content type, a wrong or missing token — is the same 403: the page routes
/// never talk about content types. Only an oversized body is 413.
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The token, read on its own so `T` need not declare it.
#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf_token: String,
}

/// A form with no fields besides the token (logout, toggle, revoke…).
#[derive(Deserialize)]
pub struct NoFields {}

fn refused(req: &HttpRequest) -> PageError {
    tracing::warn!(target: "audit", event = "csrf_refused", path = req.path(), "form posted without a valid CSRF token");
    PageError(AppError::Forbidden(csrf::REFUSED.to_owned()))
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let body = match read_body(&req, payload).await {
                Ok(body) => body,
                Err(BodyError::TooLarge) => return Err(PageError(AppError::PayloadTooLarge)),
                Err(_) => return Err(refused(&req)),
            };
            let is_form = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let token = serde_urlencoded::from_bytes::<Token>(&body)
                .ok()
                .filter(|_| is_form);
            let presented = token.as_ref().map(|t| t.csrf_token.as_str());
            if !csrf::verify(&req.get_session(), presented) {
                return Err(refused(&req));
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| {
                    PageError(AppError::BadRequest(format!(
                        "the form could not be read: {e}"
                    )))
                })
        })
    }
}
