//! HTTP routing: which path goes to which handler. Pages live in `pages/`,
//! the JSON API in `api/`; `frame` is the middleware around every request
//! (request id, span, log line, security headers via `headers`), `error`
//! renders failures and `outcomes` maps the flows' outcomes to statuses.
//!
//! Only the pages run the session middleware (the encrypted cookie that
//! carries the CSRF token and flash messages): the API, `/healthz`,
//! `/.well-known` and the stylesheet never touch it, except a
//! cookie-authenticated API write, whose guard reads the cookie itself
//! (`auth::csrf::verify_cookie`).

pub mod api;
pub mod csrf_form;
pub mod encoding;
pub mod error;
pub mod extract;
pub mod frame;
pub mod headers;
pub mod layout;
pub mod metrics;
pub mod outcomes;
pub mod pages;
pub mod qr;
pub mod ready;
pub mod throttle;
pub mod well_known;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// The stylesheet, compiled in so the binary is self-contained.
const APP_CSS: &str = include_str!("../../static/css/app.css");
/// The passkey buttons' script: the only script any page loads.
const PASSKEYS_JS: &str = include_str!("../../static/js/passkeys.js");

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.service(web::resource("/healthz").route(web::get().to(api::health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(ready::readyz)))
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(well_known::jwks)))
        .service(
            web::resource("/.well-known/oauth-authorization-server")
                .route(web::get().to(well_known::metadata)),
        )
        .service(web::resource("/static/css/app.css").route(web::get().to(stylesheet)))
        .service(web::resource("/static/js/passkeys.js").route(web::get().to(passkeys_script)))
        .service(api::scope(state))
        .configure(|cfg| pages::configure(cfg, state));
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(APP_CSS)
}

async fn passkeys_script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(PASSKEYS_JS)
}

/// Percent-encodes a query value (`/tasks` becomes `%2Ftasks`).
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A `next` target is followed only when it is a local path: one leading `/`,
/// not `//` or `/\` (which browsers treat as another host), printable ASCII
/// only (browsers drop tabs and newlines, turning `/\t/evil` into `//evil`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 2048
                && n.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\') =>
        {
            n
        }
        _ => "/tasks",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_never_leaves_the_site() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "evil.com",
            "/\t/evil.com",
            "/a b",
            "/ü",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/tasks", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/account?x=1")), "/account?x=1");
        assert_eq!(safe_next(None), "/tasks");
    }

    #[test]
    fn urlencode_encodes_slashes() {
        assert_eq!(urlencode("/tasks"), "%2Ftasks");
    }
}
