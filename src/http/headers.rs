//! Response finishing, applied to every response: security headers,
//! `Cache-Control: no-store` on dynamic content, cookies queued by the guard,
//! and error pages drawn with the visitor's layout.

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};

use crate::auth::cookies::PendingCookies;
use crate::auth::Authenticated;
use crate::http::error::ErrorPage;
use crate::http::layout::{self, Layout};
use crate::state::AppState;

/// No inline script or style anywhere; forms post only to us; no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

const FIXED: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Middleware (for `middleware::from_fn`) that finishes every response.
pub async fn finish(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut res = draw_error_page(next.call(req).await?.map_into_boxed_body());
    let pending = res.request().extensions_mut().remove::<PendingCookies>();
    if let Some(PendingCookies(cookies)) = pending {
        // A cookie the handler set itself (logout clearing them, say) wins.
        let already: Vec<String> = res
            .response()
            .cookies()
            .map(|c| c.name().to_owned())
            .collect();
        for cookie in cookies
            .iter()
            .filter(|c| !already.iter().any(|n| n == c.name()))
        {
            res.response_mut().add_cookie(cookie)?;
        }
    }
    let is_static = res.request().path().starts_with("/static/");
    // With secure cookies the site is served over https: tell browsers to stay there.
    let https = res
        .request()
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.cookies.secure);
    let headers = res.headers_mut();
    for (name, value) in FIXED {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages and API answers are per-user and carry tokens or CSRF values: never cache them.
    if !is_static && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// A `PageError` left an [`ErrorPage`] on its response: draw it now that the
/// request (who is signed in, the session's CSRF token) is at hand, so the
/// error page shows the same navigation as every other page.
fn draw_error_page(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let Some(page) = res.response().extensions().get::<ErrorPage>().cloned() else {
        return res;
    };
    let signed_in = res.request().extensions().get::<Authenticated>().is_some();
    let html = Layout::new(&res.request().get_session(), signed_in)
        .and_then(|layout| layout::error_page(layout, page.status, &page.message));
    let Ok(html) = html else {
        return res;
    };
    let (req, old) = res.into_parts();
    let mut drawn = HttpResponse::build(old.status());
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            drawn.append_header((name.clone(), value.clone()));
        }
    }
    let drawn = drawn
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html);
    ServiceResponse::new(req, drawn)
}
