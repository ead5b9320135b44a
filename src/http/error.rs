//! The two renderings of [`AppError`]: JSON for the API ([`ApiError`]) and an
//! HTML page for people ([`PageError`]). Handlers return one of them; this is
//! the only place an error becomes a response.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;

use crate::error::AppError;
use crate::http::urlencode;

/// An `AppError` rendered as the JSON API's error body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// An `AppError` rendered as an HTML page (or, for `SignInRequired`, a
/// redirect to the login form). The page itself is drawn by
/// `http::headers::draw_error_pages`, which knows who is signed in (see [`ErrorPage`]).
#[derive(Debug)]
pub struct PageError(pub AppError);

/// Both renderings convert from anything `AppError` converts from.
macro_rules! wraps_app_error {
    ($($t:ident),*) => {$(
        impl<E: Into<AppError>> From<E> for $t {
            fn from(e: E) -> Self {
                Self(e.into())
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}
wraps_app_error!(ApiError, PageError);

/// The headers an error answer carries whatever its rendering.
fn error_headers(e: &AppError, res: &mut HttpResponseBuilder) {
    match e {
        AppError::Unauthorized {
            token_refused: true,
        } => {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                r#"Bearer realm="taskgate", error="invalid_token""#,
            ));
        }
        AppError::Unauthorized { .. } | AppError::SignInRequired { .. } => {
            res.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="taskgate""#));
        }
        AppError::InsufficientScope { scope } => {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                format!(r#"Bearer realm="taskgate", error="insufficient_scope", scope="{scope}""#),
            ));
        }
        _ => {}
    }
    if let Some(secs) = e.retry_after_secs() {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
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
        error_headers(e, &mut res);
        res.json(body)
    }
}

/// What an error page shows; `http::headers::draw_error_pages` renders it with the
/// page layout of the request (so the navigation matches who is signed in).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
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
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?next={}", urlencode(next))))
                .finish();
        }
        let status = e.status_code();
        let mut res = HttpResponse::build(status);
        error_headers(e, &mut res);
        // A plain-text fallback, replaced by the rendered page in `headers::draw_error_pages`.
        let mut res = res
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ))
            .body(e.public_message());
        res.extensions_mut().insert(ErrorPage {
            status,
            message: e.public_message(),
        });
        res
    }
}
