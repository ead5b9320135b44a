//! `POST /api/auth/passkeys/login/start` and `/finish`: the usernameless
//! sign-in. Public; both count against the per-IP sign-in limit.
//!
//! Finish is a complete sign-in for the page too: besides the token response
//! it sets the auth cookies and rotates the CSRF token, exactly as the login
//! form does, because the script navigates on to a page next.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{start_answer, CeremonyStart};
use crate::auth::client::ClientInfo;
use crate::auth::csrf;
use crate::auth::passkeys::PublicKeyCredential;
use crate::auth::service::passkeys as flows;
use crate::error::AppError;
use crate::http::api::dto::{token_response, TokenResponse};
use crate::http::api::openapi::{
    BadRequest, Common, EmailNotVerified, EmptyBody, JsonInput, RateLimited, Unauthorized,
};
use crate::http::error::ApiError;
use crate::http::extract::{Json, NoBody};
use crate::http::layout::set_flash;
use crate::state::AppState;

/// Public: starts a passkey sign-in (no email needed).
#[utoipa::path(
    post,
    path = "/api/auth/passkeys/login/start",
    tag = "passkeys",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get`; valid 5 minutes, once", body = CeremonyStart),
        BadRequest, RateLimited, EmptyBody, Common,
    )
)]
pub async fn start_login(
    state: web::Data<AppState>,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    let started = flows::start_login(&state).await?;
    Ok(start_answer(started))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginFinishBody {
    #[schema(format = Uuid)]
    ceremony_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, binary fields base64url.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

/// Public: verifies the passkey's answer and signs in (no second factor is asked:
/// a passkey with user verification is multi-factor itself). Also sets the auth cookies.
#[utoipa::path(
    post,
    path = "/api/auth/passkeys/login/finish",
    tag = "passkeys",
    request_body = LoginFinishBody,
    responses(
        (status = 200, description = "A new token pair (and the auth cookies)", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        BadRequest, Unauthorized, EmailNotVerified, RateLimited, JsonInput, Common,
    )
)]
pub async fn finish_login(
    state: web::Data<AppState>,
    client: ClientInfo,
    session: Session,
    body: Json<LoginFinishBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let issued = flows::finish_login(&state, body.ceremony_id, body.credential, &client).await?;
    csrf::rotate(&session)?;
    let mut res = token_response(&state, &issued, false);
    for cookie in state.cookies.set(
        &issued.access_token,
        state.tokens.ttl_secs(),
        &issued.refresh_token,
        issued.refresh_ttl_secs,
    ) {
        res.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    set_flash(&session, "Signed in with a passkey");
    Ok(res)
}
