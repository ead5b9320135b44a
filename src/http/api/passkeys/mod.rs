//! `/api/auth/passkeys…`: the WebAuthn ceremonies (register: signed in;
//! login: public and a complete sign-in), and the caller's passkey list.
//! Binary WebAuthn fields travel as base64url without padding, as
//! `static/js/passkeys.js` sends and expects them.

mod login;
mod register;

pub use login::{__path_finish_login, __path_start_login, finish_login, start_login};
pub use register::{
    __path_finish_registration, __path_start_registration, finish_registration, start_registration,
};

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::rfc3339;
use super::openapi::{AuthedRead, AuthedWrite, Common, CsrfHeader, EmptyBody, NotFound};
use crate::auth::client::ClientInfo;
use crate::auth::service::passkeys as flows;
use crate::auth::ApiUser;
use crate::db::passkeys::PasskeyListing;
use crate::domain::PasskeyId;
use crate::http::error::ApiError;
use crate::http::extract::NoBody;
use crate::state::AppState;

/// A registered passkey (never its key material).
#[derive(Serialize, ToSchema)]
#[schema(as = Passkey)]
pub struct PasskeyJson {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime, required = true)]
    last_used_at: Option<String>,
}

impl From<PasskeyListing> for PasskeyJson {
    fn from(p: PasskeyListing) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            created_at: rfc3339(p.created_at),
            last_used_at: p.last_used_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct PasskeyList {
    passkeys: Vec<PasskeyJson>,
}

/// A started ceremony: pass `publicKey` (binary fields base64url) to
/// `navigator.credentials.create`/`get`, then send `ceremony_id` back with the answer.
/// For the OpenAPI document only: `ceremony_start` writes the answer.
#[derive(Serialize, ToSchema)]
pub struct CeremonyStart {
    #[schema(format = Uuid)]
    ceremony_id: String,
    /// WebAuthn's `PublicKeyCredentialCreationOptions` or `…RequestOptions`.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: serde_json::Value,
}

/// `{"ceremony_id", "publicKey": {…}}`: `options` serialise as `{"publicKey": {…}}`.
#[derive(Serialize)]
struct StartJson<T> {
    ceremony_id: String,
    #[serde(flatten)]
    options: T,
}

fn start_answer<T: Serialize>(started: flows::Started<T>) -> HttpResponse {
    HttpResponse::Ok().json(StartJson {
        ceremony_id: started.ceremony_id,
        options: started.options,
    })
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/auth/passkeys",
    tag = "passkeys",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's passkeys", body = PasskeyList),
        AuthedRead, Common,
    )
)]
pub async fn list_passkeys(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let passkeys = flows::list(&state, &user.0).await?;
    Ok(HttpResponse::Ok().json(PasskeyList {
        passkeys: passkeys.into_iter().map(PasskeyJson::from).collect(),
    }))
}

/// Deletes one of the caller's passkeys; another user's (or an unknown id) is 404.
#[utoipa::path(
    delete,
    path = "/api/auth/passkeys/{id}",
    tag = "passkeys",
    params(("id" = String, Path, format = Uuid, description = "A passkey id from `GET /api/auth/passkeys`"), CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The passkey is deleted"),
        NotFound, AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn delete_passkey(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    path: web::Path<String>,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    flows::delete(&state, &user.0, PasskeyId::parse(&path), &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
