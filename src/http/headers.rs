//! Response finishing, applied to every response: security headers,
//! `Cache-Control: no-store` on dynamic content, and cookies queued by the guard.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::auth::cookies::PendingCookies;
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
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
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
