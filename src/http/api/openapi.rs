//! The OpenAPI 3.1 description of `/api` and `/healthz`, generated from the
//! handlers' `#[utoipa::path]` annotations, served at `GET /api/openapi.json`.
//!
//! Error answers are shared response components, one per status, all with the
//! `ErrorBody` schema; each operation lists the ones its code path can give.

use actix_web::{web, HttpResponse};
use utoipa::openapi::OpenApi as Document;
use utoipa::OpenApi;

mod responses;
mod security;

use responses::{error_responses, families};
pub use security::CsrfHeader;
use security::{cookie_scheme, SecuritySchemes};

use super::dto::ErrorBody;
use super::{
    account, email, health, introspect, login, logout, me, password, refresh, sessions, signup,
    tasks, tokens,
};
use super::{login_2fa, passkeys, two_factor};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "taskgate",
        description = "Per-user tasks behind an auth API. Authenticate with \
            `Authorization: Bearer <access token>` (from sign-up, login or refresh) \
            or with the access cookie set by the web login; cookie-authenticated \
            POST, PUT, PATCH and DELETE requests must also send `X-CSRF-Token`. \
            Scripts use a personal access token (`Bearer tgp_…`, see the `pat` \
            scheme) on `/api/tasks…`, `GET /api/auth/me` and introspection. \
            Request bodies are `application/json` of at most 64 KiB."
    ),
    paths(
        signup::signup,
        login::login,
        refresh::refresh,
        logout::logout,
        me::me,
        sessions::list_sessions,
        sessions::revoke_session,
        password::change_password,
        account::delete_account,
        tasks::list_tasks,
        tasks::create_task,
        tasks::get_task,
        tasks::update_task,
        tasks::delete_task,
        health::healthz,
        openapi_json,
        email::verify::verify_email,
        email::resend::resend_verification,
        email::forgot::forgot_password,
        email::reset::reset_password,
        email::change::change_email,
        email::confirm::confirm_email,
        tokens::create_token,
        tokens::list_tokens,
        tokens::revoke_token,
        introspect::introspect,
        login_2fa::login_second_step,
        two_factor::enrol_totp,
        two_factor::confirm_totp,
        two_factor::regenerate_recovery_codes,
        two_factor::disable_totp,
        passkeys::list_passkeys,
        passkeys::delete_passkey,
        passkeys::start_registration,
        passkeys::finish_registration,
        passkeys::start_login,
        passkeys::finish_login,
    ),
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            InsufficientScope,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            RateLimited,
            Internal,
            Unavailable,
            InvalidToken,
            EmailNotVerified,
        )
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign-up, login and tokens"),
        (name = "account", description = "The caller's sessions and account"),
        (name = "tasks", description = "The caller's own tasks"),
        (name = "meta", description = "Health and this description"),
        (name = "tokens", description = "Personal access tokens for scripts, and token introspection"),
        (name = "two-factor", description = "TOTP second factor and recovery codes (session only)"),
        (name = "passkeys", description = "Passkeys (WebAuthn): adding them, and signing in with one"),
    )
)]
pub struct ApiDoc;

/// The document, naming the access cookie this deployment uses
/// (`__Host-tg_access` when COOKIE_SECURE is on, `tg_access` otherwise).
pub fn document(access_cookie: &str) -> Document {
    let mut doc = ApiDoc::openapi();
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme("cookie", cookie_scheme(access_cookie));
    }
    doc
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"),
        Internal,
    )
)]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(state.cookies.access))
}

families! {
    /// What any operation can answer: 500 and 503.
    Common = [Internal, Unavailable];
    /// Reading a JSON body: 400, 413, 415, 422.
    JsonInput = [BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed];
    /// A body-less route that still refuses a body that is not JSON or too big.
    EmptyBody = [BadRequest, PayloadTooLarge, UnsupportedMediaType];
    /// A signed-in read: 401, and 403 for a personal access token without the scope.
    AuthedRead = [Unauthorized, InsufficientScope];
    /// A signed-in write: 401, and 403 for a cookie without `X-CSRF-Token`, a
    /// wrong password where one is asked for, or a token without the scope.
    AuthedWrite = [Unauthorized, Forbidden];
}

error_responses! {
    BadRequest 400 => "`bad_request`: malformed JSON, an unreadable body or a bad query string.";
    Unauthorized 401 => "`unauthorized`: no credentials, or refused ones."
        , header "WWW-Authenticate": String = "`Bearer realm=\"taskgate\"`, with \
            `error=\"invalid_token\"` when a token was presented and refused (RFC 6750).";
    Forbidden 403 => "`forbidden`: a wrong password, or a cookie-authenticated write \
        without a valid `X-CSRF-Token`. Or `insufficient_scope`: a personal access token \
        on a route it may not use (see `InsufficientScope`)."
        , header "WWW-Authenticate": String = "With `insufficient_scope` only: `Bearer \
            realm=\"taskgate\", error=\"insufficient_scope\", scope=\"<needed scope>\"`.";
    InsufficientScope 403 => "`insufficient_scope`: a personal access token without the \
        scope this route needs, or on a route only a signed-in session may use \
        (then the scope named is `session`)."
        , header "WWW-Authenticate": String = "`Bearer realm=\"taskgate\", \
            error=\"insufficient_scope\", scope=\"<needed scope>\"` (RFC 6750).";
    NotFound 404 => "`not_found`: no such resource for this caller (also for another \
        user's, or a malformed id).";
    Conflict 409 => "`conflict`: an account with this email already exists, (token \
        creation) the caller already has 100 active personal access tokens, or the change \
        does not fit the current state (two-factor already on or off, a passkey already \
        registered).";
    PayloadTooLarge 413 => "`payload_too_large`: the body is over 64 KiB.";
    UnsupportedMediaType 415 => "`unsupported_media_type`: a body that is not `application/json`, \
        or a compressed one (`Content-Encoding` other than `identity`).";
    ValidationFailed 422 => "`validation_failed`: well-formed input that breaks a rule; \
        `fields` names each field and why.";
    RateLimited 429 => "`rate_limited`: too many attempts from this address or for this account."
        , header "Retry-After": Integer = "Seconds to wait before trying again.";
    Internal 500 => "`internal`: an unexpected failure (details are logged, not shown).";
    Unavailable 503 => "`unavailable`: the database cannot answer right now, or the \
        password hasher is saturated (then with `Retry-After`).";
    InvalidToken 400 => "`invalid_token`: the link is used, expired, superseded, unknown or \
        for another endpoint (or `bad_request`: malformed JSON).";
    EmailNotVerified 403 => "`email_not_verified`: verify the address first (REQUIRE_VERIFIED_EMAIL).";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn every_error_code_the_server_renders_is_in_the_schema() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let listed = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        let errors = [
            AppError::BadRequest(String::new()),
            AppError::Unauthorized {
                token_refused: true,
            },
            AppError::Forbidden(String::new()),
            AppError::InsufficientScope {
                scope: "tasks:read",
            },
            AppError::NotFound,
            AppError::MethodNotAllowed,
            AppError::Conflict(String::new()),
            AppError::UnsupportedMediaType(""),
            AppError::PayloadTooLarge,
            AppError::Validation(Default::default()),
            AppError::RateLimited {
                retry_after_secs: 1,
            },
            AppError::Fault(crate::error::Fault::Unavailable(String::new())),
            AppError::internal("x"),
            AppError::SignInRequired {
                next: String::new(),
            },
            AppError::InvalidToken,
            AppError::EmailNotVerified,
        ];
        for e in errors {
            // No wildcard: a new `AppError` variant stops this compiling until it is listed above.
            match e {
                AppError::BadRequest(_)
                | AppError::Unauthorized { .. }
                | AppError::SignInRequired { .. }
                | AppError::Forbidden(_)
                | AppError::InsufficientScope { .. }
                | AppError::NotFound
                | AppError::MethodNotAllowed
                | AppError::Conflict(_)
                | AppError::UnsupportedMediaType(_)
                | AppError::PayloadTooLarge
                | AppError::Validation(_)
                | AppError::RateLimited { .. }
                | AppError::Fault(_)
                | AppError::InvalidToken
                | AppError::EmailNotVerified => {}
            }
            let code = serde_json::Value::from(e.code());
            assert!(
                listed.as_array().unwrap().contains(&code),
                "{code} missing from ErrorCode: {listed}"
            );
        }
    }
}
