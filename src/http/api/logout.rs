//! `POST /api/auth/logout`.

use actix_web::{web, HttpResponse};

use super::openapi::{AuthedWrite, Common, CsrfHeader, EmptyBody};
use crate::auth::client::ClientInfo;
use crate::auth::{service, ApiUser};
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::http::extract::NoBody;
use crate::state::AppState;

/// Revokes the current session (and clears auth cookies if they were used).
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    params(CsrfHeader),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The session is revoked"),
        AuthedWrite, EmptyBody, Common,
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: ApiUser,
    _body: NoBody,
) -> Result<HttpResponse, ApiError> {
    service::logout(&state, &user.0, &client).await?;
    let mut res = HttpResponse::NoContent().finish();
    for cookie in state.cookies.clear() {
        res.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(res)
}
