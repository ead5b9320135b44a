//! `POST /api/auth/tokens`: a new personal access token, its secret shown once.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::super::openapi::{AuthedWrite, Common, Conflict, CsrfHeader, JsonInput};
use super::{PatJson, ScopeName};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::domain::{PatRequest, Sent};
use crate::error::{AppError, FieldErrors};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::state::AppState;

/// Fields are read as raw JSON so that a value of the wrong type is a 422
/// naming its field, like a value that breaks a rule.
#[derive(Deserialize, ToSchema)]
pub struct CreateTokenBody {
    /// 1–100 characters after trimming, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 100, example = "backup script")]
    #[serde(default)]
    name: Option<Value>,
    /// A non-empty subset of `tasks:read`, `tasks:write` (implies `tasks:read`), `introspect`.
    #[schema(value_type = Vec<ScopeName>, min_items = 1, example = json!(["tasks:read"]))]
    #[serde(default)]
    scopes: Option<Value>,
    /// 1–365; 90 when absent.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365, default = 90)]
    #[serde(default)]
    expires_in_days: Option<Value>,
}

impl CreateTokenBody {
    fn parse(&self) -> Result<PatRequest, FieldErrors> {
        let name = match &self.name {
            None => Sent::Missing,
            Some(Value::String(s)) => Sent::Value(s.as_str()),
            Some(_) => Sent::WrongType,
        };
        let listed: Option<Option<Vec<&str>>> = self.scopes.as_ref().map(|v| {
            v.as_array()
                .and_then(|items| items.iter().map(Value::as_str).collect())
        });
        let scopes = match &listed {
            None => Sent::Missing,
            Some(None) => Sent::WrongType,
            Some(Some(names)) => Sent::Value(names.as_slice()),
        };
        let days = match &self.expires_in_days {
            None => Sent::Missing,
            Some(v) => v.as_i64().map_or(Sent::WrongType, Sent::Value),
        };
        PatRequest::parse(name, scopes, days)
    }
}

/// A new token: its fields and, this once, its secret.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedPersonalAccessToken)]
pub struct CreatedJson {
    #[serde(flatten)]
    token_fields: PatJson,
    /// `tgp_` and 49 letters and digits: send it as `Authorization: Bearer …`.
    /// Shown only in this answer; taskgate keeps only its hash.
    #[schema(pattern = "^tgp_[A-Za-z0-9]{49}$")]
    token: String,
}

/// Creates a personal access token for the caller (201, `Cache-Control:
/// no-store`) and mails them a notice. Needs a session: a token cannot make tokens.
#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    tag = "tokens",
    params(CsrfHeader),
    request_body = CreateTokenBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The new token; `token` is never shown again", body = CreatedJson),
        Conflict, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn create_token(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    body: Json<CreateTokenBody>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse().map_err(AppError::Validation)?;
    let created = service::create_pat(&state, &user.0, request, &client).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedJson {
            token_fields: PatJson::from(&created.pat),
            token: created.token.expose_secret().to_owned(),
        }))
}
