//! `Layout`: what every page's frame needs (navigation for a signed-in
//! visitor or not, the CSRF token for its forms, a one-time flash message),
//! built once per page; and the error page, drawn with the same frame.

use actix_session::Session;
use actix_web::http::StatusCode;
use askama::Template;

use crate::auth::csrf;
use crate::error::Fault;

const FLASH: &str = "flash";

/// The frame of a page (see `templates/base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub signed_in: bool,
    pub csrf_token: String,
    pub flash: String,
}

impl Layout {
    /// The frame for this visitor; takes (and so clears) the pending flash.
    pub fn new(session: &Session, signed_in: bool) -> Result<Self, Fault> {
        Ok(Self {
            signed_in,
            csrf_token: csrf::token(session)?,
            flash: take_flash(session),
        })
    }
}

/// A one-time message ("Task created") shown on the next page rendered.
pub fn set_flash(session: &Session, message: &str) {
    // Inserting a &str cannot fail to serialise; a lost flash would only be cosmetic anyway.
    let _ = session.insert(FLASH, message);
}

/// The pending flash message, removed as it is read; empty when there is none.
fn take_flash(session: &Session) -> String {
    session
        .remove_as::<String>(FLASH)
        .and_then(Result::ok)
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPageTemplate<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// The HTML of an error page for `status`.
pub fn error_page(layout: Layout, status: StatusCode, message: &str) -> Result<String, Fault> {
    ErrorPageTemplate {
        layout,
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message,
    }
    .render()
    .map_err(|e| Fault::internal(format!("error page failed to render: {e}")))
}
