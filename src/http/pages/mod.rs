//! Server-rendered pages (CONTRACT.md section 3). Every form carries the CSRF
//! token; every handler that changes something checks it first.

mod account;
mod auth;
mod tasks;

use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::{csrf, MaybeUser};
use crate::error::{AppError, PageError};
use crate::http::{extract, throttle};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .app_data(extract::form_config())
            .app_data(extract::page_path_config())
            .route("/", web::get().to(home))
            .service(
                web::resource("/signup")
                    .route(web::get().to(auth::signup_form))
                    .route(web::post().to(auth::signup))
                    .wrap(from_fn(throttle::auth_attempts)),
            )
            .service(
                web::resource("/login")
                    .route(web::get().to(auth::login_form))
                    .route(web::post().to(auth::login))
                    .wrap(from_fn(throttle::auth_attempts)),
            )
            .route("/logout", web::post().to(auth::logout))
            .route("/tasks", web::get().to(tasks::task_list))
            .route("/tasks", web::post().to(tasks::create_task))
            .route("/tasks/{id}/toggle", web::post().to(tasks::toggle_task))
            .route("/tasks/{id}/delete", web::post().to(tasks::delete_task))
            .route("/account", web::get().to(account::account_page))
            .route(
                "/account/password",
                web::post().to(account::change_password),
            )
            .route(
                "/account/sessions/{id}/revoke",
                web::post().to(account::revoke_session),
            )
            .route("/account/delete", web::post().to(account::delete_account))
            .default_service(web::to(not_found)),
    );
}

/// A form whose only field is the CSRF token (logout, toggle, delete, revoke).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `/`: to the task list when signed in, else to the login form.
async fn home(user: MaybeUser) -> HttpResponse {
    see_other(if user.0.is_some() { "/tasks" } else { "/login" })
}

async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError(AppError::NotFound))
}

/// A 303 redirect (after a POST, the browser follows with a GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Renders a template with a status; a render failure is an internal error, not a panic.
pub fn render(page: &impl Template, status: StatusCode) -> Result<HttpResponse, PageError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template failed: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}

/// Checks a form's `csrf_token` against the visitor's (403 when missing or wrong).
pub fn check_csrf(session: &Session, presented: &str) -> Result<(), PageError> {
    csrf::verify(session, Some(presented).filter(|t| !t.is_empty())).map_err(|e| {
        tracing::warn!(target: "audit", event = "csrf_refused", "form posted without a valid CSRF token");
        PageError(e)
    })
}

const FLASH: &str = "flash";

/// A one-time message ("Task created") shown on the next page rendered.
pub fn set_flash(session: &Session, message: &str) {
    // Inserting a &str cannot fail to serialise; a lost flash would only be cosmetic anyway.
    let _ = session.insert(FLASH, message);
}

/// The pending flash message, removed as it is read; empty when there is none.
pub fn take_flash(session: &Session) -> String {
    session
        .remove_as::<String>(FLASH)
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// The visitor's CSRF token for rendering into forms.
pub fn csrf_token(session: &Session) -> Result<String, PageError> {
    csrf::token(session).map_err(PageError)
}
