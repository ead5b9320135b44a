//! `POST /api/auth/introspect` (RFC 7662): for resource servers that need
//! revocation to take effect at once. The caller is a personal access token
//! with the `introspect` scope; the body is JSON `{"token"}` or, as RFC 7662
//! writes it, a form `token=…` (the one API route that reads a form).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::{
    BadRequest, Common, InsufficientScope, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::auth::guard::{Introspect, PatCaller};
use crate::auth::introspection::{self, Introspection};
use crate::auth::tokens::ISSUER;
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::read_body;
use crate::state::AppState;

// Documentation only: `TokenParam` reads the body.
/// The token to look up (JSON, or the same field in a form).
#[derive(ToSchema)]
pub struct IntrospectBody {
    /// An access token or a personal access token (anything else is inactive).
    pub token: String,
}

/// Reads `token` from a JSON or form body; without one, 400.
pub struct TokenParam(String);

impl FromRequest for TokenParam {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, payload).await?;
            let kind = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<mime::Mime>().ok());
            let missing = || ApiError(AppError::BadRequest("the body must name a `token`".into()));
            let token = match kind {
                _ if body.is_empty() => return Err(missing()),
                Some(m) if m.type_() == mime::APPLICATION && m.subtype() == mime::JSON => {
                    let value: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|_| AppError::BadRequest("the body is not valid JSON".into()))?;
                    value["token"].as_str().map(str::to_owned)
                }
                Some(m) if m.essence_str() == "application/x-www-form-urlencoded" => {
                    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
                        .map_err(|_| AppError::BadRequest("the form could not be read".into()))?
                        .into_iter()
                        .find_map(|(k, v)| (k == "token").then_some(v))
                }
                _ => {
                    return Err(ApiError(AppError::UnsupportedMediaType(
                        crate::error::JSON_ONLY,
                    )))
                }
            };
            token.map(TokenParam).ok_or_else(missing)
        })
    }
}

/// RFC 7662's answer: `{"active":false}` alone, or the token's facts.
#[derive(Serialize, ToSchema, Default)]
pub struct IntrospectionJson {
    active: bool,
    /// `access_token` or `personal_access_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    token_type: Option<&'static str>,
    /// The user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = Uuid)]
    sub: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    exp: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "taskgate")]
    iss: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "taskgate")]
    aud: Option<&'static str>,
    /// Access tokens only: the session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = Uuid)]
    sid: Option<String>,
    /// Personal access tokens only: the scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "tasks:read introspect")]
    scope: Option<String>,
}

impl From<Introspection> for IntrospectionJson {
    fn from(found: Introspection) -> Self {
        let active = |token_type, sub: String, iat, exp| Self {
            active: true,
            token_type: Some(token_type),
            sub: Some(sub),
            iat: Some(iat),
            exp: Some(exp),
            iss: Some(ISSUER),
            aud: Some(ISSUER),
            ..Self::default()
        };
        match found {
            Introspection::Inactive => Self::default(),
            Introspection::AccessToken { sub, sid, iat, exp } => Self {
                sid: Some(sid.to_string()),
                ..active("access_token", sub.to_string(), iat, exp)
            },
            Introspection::PersonalAccessToken {
                sub,
                scopes,
                iat,
                exp,
            } => Self {
                scope: Some(scopes.to_stored()),
                ..active("personal_access_token", sub.to_string(), iat, exp)
            },
        }
    }
}

/// Whether taskgate would accept `token` right now (revoked sessions and
/// tokens, expired ones, deleted users, refresh tokens and garbage are all
/// `{"active":false}`). Needs a personal access token with the `introspect` scope.
#[utoipa::path(
    post,
    path = "/api/auth/introspect",
    tag = "tokens",
    request_body(content(
        (IntrospectBody = "application/json"),
        (IntrospectBody = "application/x-www-form-urlencoded"),
    )),
    security(("pat" = ["introspect"])),
    responses(
        (status = 200, description = "RFC 7662: `{\"active\":false}`, or the token's facts", body = IntrospectionJson),
        BadRequest, Unauthorized, InsufficientScope, PayloadTooLarge, UnsupportedMediaType, Common,
    )
)]
pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    _caller: PatCaller<Introspect>,
    token: TokenParam,
) -> Result<HttpResponse, ApiError> {
    let found = introspection::introspect(&state, &token.0, &req).await?;
    Ok(HttpResponse::Ok().json(IntrospectionJson::from(found)))
}
