//! Server-rendered pages: one file per flow. Every form carries the CSRF
//! token, and every handler that changes something takes a `CsrfForm`, which
//! checks it before the handler runs.

mod account;
mod email;
mod login;
mod login_2fa;
pub mod logout;
mod signup;
mod tasks;

use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::{csrf, MaybeUser};
use crate::error::AppError;
use crate::http::error::PageError;
use crate::http::{extract, headers, throttle};
use crate::state::AppState;

/// Mounts the pages, inside their session (which only pages use) and the
/// error-page drawing that needs it.
pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    let attempts = || from_fn(throttle::auth_attempts);
    cfg.service(
        web::scope("")
            .app_data(extract::page_path_config())
            .route("/", web::get().to(home))
            .service(
                web::resource("/signup")
                    .route(web::get().to(signup::signup_form))
                    .route(web::post().to(signup::signup))
                    .wrap(attempts()),
            )
            .service(
                web::resource("/login")
                    .route(web::get().to(login::login_form))
                    .route(web::post().to(login::login))
                    .wrap(from_fn(throttle::login_attempts)),
            )
            .route("/logout", web::post().to(logout::logout))
            .route("/tasks", web::get().to(tasks::task_list))
            .route("/tasks", web::post().to(tasks::create_task))
            .route("/tasks/{id}/toggle", web::post().to(tasks::toggle_task))
            .route("/tasks/{id}/delete", web::post().to(tasks::delete_task))
            .route("/account", web::get().to(account::account_page))
            .service(
                web::resource("/account/password")
                    .route(web::post().to(account::change_password))
                    .wrap(attempts()),
            )
            .route(
                "/account/sessions/{id}/revoke",
                web::post().to(account::revoke_session),
            )
            .service(
                web::resource("/account/delete")
                    .route(web::post().to(account::delete_account))
                    .wrap(attempts()),
            )
            .configure(email::configure)
            .route("/account/tokens", web::get().to(account::tokens_page))
            .route("/account/tokens", web::post().to(account::create_token))
            .route(
                "/account/tokens/{id}/revoke",
                web::post().to(account::revoke_token),
            )
            .service(
                web::resource("/login/2fa")
                    .route(web::get().to(login_2fa::second_step_form))
                    .route(web::post().to(login_2fa::second_step))
                    .wrap(attempts()),
            )
            .route(
                "/account/2fa",
                web::get().to(account::two_factor::two_factor_page),
            )
            .service(
                web::scope("/account/2fa")
                    .route("/enrol", web::post().to(account::two_factor::enrol))
                    .route("/confirm", web::post().to(account::two_factor::confirm))
                    .route(
                        "/recovery-codes",
                        web::post().to(account::two_factor::regenerate),
                    )
                    .route("/disable", web::post().to(account::two_factor::disable))
                    .wrap(attempts()),
            )
            .route("/account/passkeys", web::get().to(account::passkeys_page))
            .route(
                "/account/passkeys/{id}/delete",
                web::post().to(account::delete_passkey),
            )
            .default_service(web::to(not_found))
            .wrap(from_fn(headers::draw_error_pages))
            .wrap(csrf::session_layer(state)),
    );
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
        .map_err(|e| AppError::internal(format!("template failed: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}
