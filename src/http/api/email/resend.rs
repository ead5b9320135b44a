//! `POST /api/auth/email/verify/resend`.

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{accepted, Accepted};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::domain::Email;
use crate::error::AppError;
use crate::http::api::openapi::{AuthedWrite, Common, CsrfHeader, JsonInput, RateLimited};
use crate::http::error::ApiError;
use crate::http::extract::OptionalJson;
use crate::state::AppState;

/// Only when signed out: the address to send to.
#[derive(Deserialize, ToSchema)]
pub struct ResendBody {
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
}

/// A new verification mail (24 h): signed in, for the caller (no body);
/// signed out, for `{"email"}` if it belongs to an unverified account.
///
/// Always 202 `{}`, whether or not anything was sent. Credentials are
/// optional, but credentials that are presented must be good (401 otherwise).
#[utoipa::path(
    post,
    path = "/api/auth/email/verify/resend",
    tag = "auth",
    params(CsrfHeader),
    request_body(content = Option<ResendBody>, description = "Signed out: `{\"email\"}`; signed in: none"),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 202, description = "Accepted", body = Accepted),
        RateLimited, AuthedWrite, JsonInput, Common,
    )
)]
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    body: OptionalJson<ResendBody>,
) -> Result<HttpResponse, ApiError> {
    // Signed out only when no credentials at all came: a refused token is
    // refused, not quietly taken for "signed out".
    let presented = req.headers().contains_key(header::AUTHORIZATION)
        || req.cookie(state.cookies.access).is_some();
    let user = if presented {
        Some(ApiUser::extract(&req).await?)
    } else {
        None
    };
    if let Some(user) = user {
        service::resend_verification(&state, &user.0).await?;
        return Ok(accepted());
    }
    let raw = body.0.and_then(|b| b.email).unwrap_or_default();
    let email = Email::parse(&raw).map_err(|e| AppError::field("email", e))?;
    service::resend_verification_to(state.into_inner(), email, client).await;
    Ok(accepted())
}
