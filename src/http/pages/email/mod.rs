//! The email pages (contract section 8): forgot password, reset, verify,
//! resend, change the address, confirm the change.
//!
//! Pages opened from a mailed link carry its token in their URL, so they
//! answer with `Referrer-Policy: no-referrer` (the token must not leak to
//! another site through `Referer`). A GET only looks at the token; only the
//! page's form (a POST with the CSRF token) uses it, so a mail scanner that
//! follows links cannot use them up.

mod change;
mod confirm;
mod forgot;
mod reset;
mod verify;

use actix_session::Session;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::render;
use crate::http::error::PageError;
use crate::http::layout::Layout;
use crate::http::throttle;

/// The routes; every POST counts against the per-IP limit on auth attempts.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let attempts = || from_fn(throttle::auth_attempts);
    cfg.service(
        web::resource("/forgot-password")
            .route(web::get().to(forgot::forgot_form))
            .route(web::post().to(forgot::forgot))
            .wrap(attempts()),
    )
    .service(
        web::resource("/reset-password")
            .route(web::get().to(reset::reset_form))
            .route(web::post().to(reset::reset))
            .wrap(attempts()),
    )
    .service(
        web::resource("/verify-email")
            .route(web::get().to(verify::verify_form))
            .route(web::post().to(verify::verify))
            .wrap(attempts()),
    )
    .service(
        web::resource("/verify-email/resend")
            .route(web::post().to(verify::resend))
            .wrap(attempts()),
    )
    .service(
        web::resource("/confirm-email")
            .route(web::get().to(confirm::confirm_form))
            .route(web::post().to(confirm::confirm))
            .wrap(attempts()),
    )
    .service(
        web::resource("/account/email")
            .route(web::get().to(change::change_form))
            .route(web::post().to(change::change))
            .wrap(attempts()),
    );
}

/// `?token=…` of a link page.
#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// A form that only carries the link's token.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// Keeps the token in the URL from leaking through `Referer`.
fn no_referrer(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Renders a link page with `Referrer-Policy: no-referrer`.
fn render_link_page(page: &impl Template, status: StatusCode) -> Result<HttpResponse, PageError> {
    render(page, status).map(no_referrer)
}

/// Which new link the "no longer valid" page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    Reset,
    Verify,
    Change,
}

#[derive(Template)]
#[template(path = "pages/email/invalid_link.html")]
struct InvalidLinkPage {
    layout: Layout,
    offer: &'static str,
}

/// 400: the link is used, expired, superseded or unknown; offers a new one.
fn invalid_link(
    session: &Session,
    signed_in: bool,
    offer: Offer,
) -> Result<HttpResponse, PageError> {
    let page = InvalidLinkPage {
        layout: Layout::new(session, signed_in)?,
        offer: match offer {
            Offer::Reset => "reset",
            Offer::Verify => "verify",
            Offer::Change => "change",
        },
    };
    render_link_page(&page, StatusCode::BAD_REQUEST)
}

#[derive(Template)]
#[template(path = "pages/email/check_inbox.html")]
struct CheckInboxPage {
    layout: Layout,
    email: String,
}

/// After a sign-up that must verify the address first (`REQUIRE_VERIFIED_EMAIL`):
/// no session, a pointer to the mail, and a button to send it again.
pub(super) fn check_inbox(session: &Session, email: String) -> Result<HttpResponse, PageError> {
    let page = CheckInboxPage {
        layout: Layout::new(session, false)?,
        email,
    };
    render(&page, StatusCode::OK)
}
