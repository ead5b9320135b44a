//! `POST /api/auth/passkeys/register/start` and `/finish` (signed in).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{start_answer, CeremonyStart, PasskeyJson};
use crate::auth::client::ClientInfo;
use crate::auth::passkeys::RegisterPublicKeyCredential;
use crate::auth::service::passkeys as flows;
use crate::auth::ApiUser;
use crate::http::api::openapi::{
    AuthedWrite, BadRequest, Common, Conflict, CsrfHeader, EmptyBody, JsonInput,
};
use crate::http::error::ApiError;
use crate::http::extract::{Json, NoBody};
use crate::state::AppState;

/// Starts adding a passkey: a discoverable credential with user verification.
#[utoipa::path(
    post,
    path = "/api/auth/passkeys/register/start",
    tag = "passkeys",
    params(CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Options for `navigator.credentials.create`; valid 5 minutes, once", body = CeremonyStart),
        BadRequest, AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn start_registration(
    state: web::Data<AppState>,
    user: ApiUser,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    let started = flows::start_registration(&state, &user.0).await?;
    Ok(start_answer(started))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterFinishBody {
    #[schema(format = Uuid)]
    ceremony_id: String,
    /// 1–100 characters, e.g. "Laptop".
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create`, binary fields base64url.
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
}

/// Verifies the authenticator's answer and stores the passkey.
#[utoipa::path(
    post,
    path = "/api/auth/passkeys/register/finish",
    tag = "passkeys",
    params(CsrfHeader),
    request_body = RegisterFinishBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The passkey is registered", body = PasskeyJson),
        Conflict, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn finish_registration(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<RegisterFinishBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let listing = flows::finish_registration(
        &state,
        &user.0,
        body.ceremony_id,
        &body.name,
        body.credential,
        &client,
    )
    .await?;
    Ok(HttpResponse::Created().json(PasskeyJson::from(listing)))
}
