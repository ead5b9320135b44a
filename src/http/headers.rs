//! Response finishing: security headers, `Cache-Control: no-store` on dynamic
//! content and the cookies queued by the guard, on every response (applied by
//! `http::frame`); and error pages drawn with the visitor's layout, on the
//! pages (a middleware inside their session, see `pages::configure`).

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::auth::cookies::PendingCookies;
use crate::auth::Authenticated;
use crate::http::error::ErrorPage;
use crate::http::layout::{self, Layout};

/// No inline script or style anywhere; forms post only to us; no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Built at compile time: `HeaderValue::from_static` checks every byte, which
/// is free in a constant and costs ~250 bytes of checking per response at run time.
const FIXED: [(HeaderName, HeaderValue); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
];
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// Adds what every response needs (`https`: the site is served over https,
/// so browsers are told to stay there).
pub fn secure<B>(res: &mut ServiceResponse<B>, https: bool) -> Result<(), actix_web::Error> {
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
    let headers = res.headers_mut();
    for (name, value) in FIXED {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // Pages and API answers are per-user and carry tokens or CSRF values: never cache them.
    if !is_static && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, NO_STORE);
    }
    Ok(())
}

/// Middleware (for `middleware::from_fn`) on the pages, inside their session:
/// a `PageError` left an [`ErrorPage`] on its response; draw it now that the
/// request (who is signed in, the session's CSRF token) is at hand, so the
/// error page shows the same navigation as every other page.
pub async fn draw_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(page) = res.response().extensions().get::<ErrorPage>().cloned() else {
        return Ok(res);
    };
    let signed_in = res.request().extensions().get::<Authenticated>().is_some();
    let html = Layout::new(&res.request().get_session(), signed_in)
        .and_then(|layout| layout::error_page(layout, page.status, &page.message));
    let Ok(html) = html else {
        return Ok(res);
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
    Ok(ServiceResponse::new(req, drawn))
}
