//! `/api/auth/2fa/…`: enrol a TOTP authenticator, confirm it, regenerate the
//! recovery codes, turn two-factor off. Session only (a PAT is refused by the
//! guard); each password or code check counts against the per-IP and the
//! per-account limits.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::{AuthedWrite, Common, Conflict, CsrfHeader, JsonInput, RateLimited};
use crate::auth::client::ClientInfo;
use crate::auth::service::two_factor::{self, Presented};
use crate::auth::ApiUser;
use crate::domain::Password;
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct PasswordOnly {
    password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct CodeOnly {
    /// Six digits from the authenticator app.
    code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordAndCode {
    password: String,
    /// A current TOTP code, or one of the recovery codes.
    code: String,
}

/// A pending enrolment: type `secret` into an authenticator app, or scan `otpauth_uri`.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentJson {
    /// Base32 (RFC 4648, no padding), 160 bits: SHA-1, 6 digits, 30 s.
    secret: String,
    otpauth_uri: String,
}

/// A new set of recovery codes: shown this once, each usable once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    #[schema(min_items = 10, max_items = 10)]
    recovery_codes: Vec<String>,
}

fn no_store(body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Starts a TOTP enrolment (the password is checked); two-factor stays off until confirmed.
#[utoipa::path(
    post,
    path = "/api/auth/2fa/totp",
    tag = "two-factor",
    params(CsrfHeader),
    request_body = PasswordOnly,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A pending enrolment", body = EnrolmentJson),
        Conflict, RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn enrol_totp(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<PasswordOnly>,
) -> Result<HttpResponse, ApiError> {
    let password = Password::presented(body.into_inner().password);
    let enrolment = two_factor::start_enrolment(&state, &user.0, password, &client).await?;
    Ok(no_store(&EnrolmentJson {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
    }))
}

/// Confirms the pending enrolment with a code: two-factor is on; the first recovery codes.
#[utoipa::path(
    post,
    path = "/api/auth/2fa/totp/confirm",
    tag = "two-factor",
    params(CsrfHeader),
    request_body = CodeOnly,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Two-factor is on", body = RecoveryCodes),
        Conflict, RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn confirm_totp(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<CodeOnly>,
) -> Result<HttpResponse, ApiError> {
    let code = body.into_inner().code;
    let codes = two_factor::confirm_enrolment(&state, &user.0, &code, &client).await?;
    Ok(no_store(&RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// A new set of ten recovery codes (password and a current code); the old set stops working.
#[utoipa::path(
    post,
    path = "/api/auth/2fa/recovery-codes",
    tag = "two-factor",
    params(CsrfHeader),
    request_body = PasswordAndCode,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The new set", body = RecoveryCodes),
        Conflict, RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<PasswordAndCode>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let password = Password::presented(body.password);
    let code = Presented::either(body.code);
    let codes = two_factor::regenerate_codes(&state, &user.0, password, code, &client).await?;
    Ok(no_store(&RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns two-factor off (password and a TOTP or recovery code).
#[utoipa::path(
    delete,
    path = "/api/auth/2fa/totp",
    tag = "two-factor",
    params(CsrfHeader),
    request_body = PasswordAndCode,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Two-factor is off; the secret and recovery codes are gone"),
        Conflict, RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn disable_totp(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<PasswordAndCode>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let password = Password::presented(body.password);
    let code = Presented::either(body.code);
    two_factor::disable(&state, &user.0, password, code, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
