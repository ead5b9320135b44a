//! The JSON API under `/api`: one file per endpoint (or per resource), the
//! route table below, and the OpenAPI document generated from the handlers.

pub mod account;
pub mod docs;
pub mod dto;
pub mod email;
pub mod health;
pub mod introspect;
pub mod login;
pub mod login_2fa;
pub mod logout;
pub mod me;
pub mod openapi;
pub mod passkeys;
pub mod password;
pub mod refresh;
pub mod sessions;
pub mod signup;
pub mod tasks;
pub mod tokens;
pub mod two_factor;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};

use crate::auth::csrf;
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::{extract, throttle};
use crate::state::AppState;

/// Declares the API's routes once. From the one table it generates `ROUTES`
/// and `mount`, so the list that tests compare with the OpenAPI document is
/// the list the router is built from. Each entry is a path (relative to
/// `/api`), an optional middleware, and its `METHOD => handler` pairs.
macro_rules! api_routes {
    ($state:ident; $( $path:literal $( [wrap $mw:expr] )* { $( $method:ident => $handler:path ),+ $(,)? } )*) => {
        /// Every `(method, path)` the `/api` scope routes to a handler, paths
        /// written as in the OpenAPI document (`/api/tasks/{id}`). Besides
        /// these, the scope serves only the Swagger UI (`docs`) and its 404/405 answers.
        pub const ROUTES: &[(&str, &str)] = &[
            $( $( (stringify!($method), concat!("/api", $path)), )+ )*
        ];

        fn mount(scope: actix_web::Scope, $state: &AppState) -> actix_web::Scope {
            scope $(
                .service(
                    resource($path, &[$( Method::$method ),+])
                        $( .route(web::method(Method::$method).to($handler)) )+
                        $( .wrap($mw) )*
                )
            )*
        }
    };
}

api_routes! {
    state;
    "/auth/signup" [wrap from_fn(throttle::auth_attempts)] { POST => signup::signup }
    "/auth/login" [wrap from_fn(throttle::login_attempts)] { POST => login::login }
    "/auth/refresh" { POST => refresh::refresh }
    "/auth/logout" { POST => logout::logout }
    "/auth/me" { GET => me::me }
    "/auth/sessions" { GET => sessions::list_sessions }
    "/auth/sessions/{id}" { DELETE => sessions::revoke_session }
    "/auth/password" [wrap from_fn(throttle::auth_attempts)] { POST => password::change_password }
    "/auth/account" [wrap from_fn(throttle::auth_attempts)] { DELETE => account::delete_account }
    "/tasks" { GET => tasks::list_tasks, POST => tasks::create_task }
    "/tasks/{id}" { GET => tasks::get_task, PATCH => tasks::update_task, DELETE => tasks::delete_task }
    "/openapi.json" { GET => openapi::openapi_json }
    // Email: verification, forgot/reset, email change.
    "/auth/email/verify" [wrap from_fn(throttle::auth_attempts)] { POST => email::verify::verify_email }
    "/auth/email/verify/resend" [wrap from_fn(throttle::auth_attempts)] { POST => email::resend::resend_verification }
    "/auth/password/forgot" [wrap from_fn(throttle::auth_attempts)] { POST => email::forgot::forgot_password }
    "/auth/password/reset" [wrap from_fn(throttle::auth_attempts)] { POST => email::reset::reset_password }
    "/auth/email" [wrap from_fn(throttle::auth_attempts)] { POST => email::change::change_email }
    "/auth/email/confirm" [wrap from_fn(throttle::auth_attempts)] { POST => email::confirm::confirm_email }
    "/auth/tokens" { GET => tokens::list_tokens, POST => tokens::create_token }
    "/auth/tokens/{id}" { DELETE => tokens::revoke_token }
    "/auth/introspect" { POST => introspect::introspect }
    "/auth/login/2fa" [wrap from_fn(throttle::auth_attempts)] { POST => login_2fa::login_second_step }
    "/auth/2fa/totp" [wrap from_fn(throttle::auth_attempts)] { POST => two_factor::enrol_totp, DELETE => two_factor::disable_totp }
    "/auth/2fa/totp/confirm" [wrap from_fn(throttle::auth_attempts)] { POST => two_factor::confirm_totp }
    "/auth/2fa/recovery-codes" [wrap from_fn(throttle::auth_attempts)] { POST => two_factor::regenerate_recovery_codes }
    "/auth/passkeys" { GET => passkeys::list_passkeys }
    "/auth/passkeys/{id}" { DELETE => passkeys::delete_passkey }
    "/auth/passkeys/register/start" { POST => passkeys::start_registration }
    "/auth/passkeys/register/finish" { POST => passkeys::finish_registration }
    "/auth/passkeys/login/start" [wrap from_fn(throttle::auth_attempts)] { POST => passkeys::start_login }
    // Signs a browser in: rotates the CSRF token and leaves a flash message,
    // so it is the one API route that runs the session middleware.
    "/auth/passkeys/login/finish" [wrap csrf::session_layer(state)] [wrap from_fn(throttle::auth_attempts)] { POST => passkeys::finish_login }
}

/// Every `/api` route. Unknown paths answer the JSON `not_found` error and
/// known paths with another method the JSON `method_not_allowed` error.
pub fn scope(state: &AppState) -> actix_web::Scope {
    let scope = web::scope("/api")
        .app_data(extract::api_query_config())
        .app_data(extract::api_path_config());
    mount(scope, state)
        .configure(docs::configure)
        .default_service(web::to(not_found))
}

/// A resource serving `methods`; any other method is the JSON
/// `method_not_allowed` error with the `Allow` header RFC 9110 requires.
fn resource(path: &str, methods: &[Method]) -> actix_web::Resource {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    web::resource(path).default_service(web::to(move || method_not_allowed(allow.clone())))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

async fn method_not_allowed(allow: String) -> HttpResponse {
    let mut res = HttpResponse::from_error(ApiError(AppError::MethodNotAllowed));
    if let Ok(value) = HeaderValue::from_str(&allow) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    res
}
