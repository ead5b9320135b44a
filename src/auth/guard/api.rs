//! `ApiUser`: the caller of a JSON API route that only a signed-in session may
//! use. A personal access token is refused here (403 `insufficient_scope`);
//! routes that tokens may use take `Caller<S>` instead (see `caller`).

use std::borrow::Cow;

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::pat::presented_pat;
use super::{check_access, state, AccessError, Authenticated, Via};
use crate::auth::{csrf, pat_token};
use crate::error::AppError;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The scope named in the 403 a personal access token gets on a route that
/// needs a signed-in session: no token scope grants it.
pub const SESSION_ONLY: &str = "session";

/// The caller of a JSON API route: a live session, by Bearer token or cookie.
#[derive(Debug, Clone, Copy)]
pub struct ApiUser(pub Authenticated);

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { api_user(&req).await.map(ApiUser).map_err(ApiError) })
    }
}

/// The credentials a request presents: the Bearer token (borrowed from the
/// header), or else the access cookie. A cookie that holds a personal access
/// token is ignored (tokens travel only in the `Authorization` header).
///
/// The header is only required to be UTF-8 (checked word by word), not
/// visible ASCII byte by byte: a token with any other character fails its
/// verification anyway, with the same 401.
pub(super) fn presented<'r>(
    req: &'r HttpRequest,
    access_cookie: &str,
) -> Result<(Cow<'r, str>, Via), AppError> {
    let unauthenticated = AppError::Unauthorized {
        token_refused: false,
    };
    match req.headers().get(header::AUTHORIZATION) {
        Some(value) => {
            let value =
                std::str::from_utf8(value.as_bytes()).map_err(|_| AppError::Unauthorized {
                    token_refused: true,
                })?;
            let token = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .ok_or(unauthenticated)?;
            Ok((Cow::Borrowed(token), Via::Bearer))
        }
        None => req
            .cookie(access_cookie)
            .filter(|c| !pat_token::is_pat(c.value()))
            .map(|c| (Cow::Owned(c.value().to_owned()), Via::Cookie))
            .ok_or(unauthenticated),
    }
}

/// A signed-in session, or the reason there is none. A valid personal access
/// token is 403 `insufficient_scope` (scope `session`); a refused one is 401.
async fn api_user(req: &HttpRequest) -> Result<Authenticated, AppError> {
    let state = state(req)?;
    let (token, via) = presented(req, state.cookies.access)?;
    if via == Via::Bearer && pat_token::is_pat(&token) {
        presented_pat(req, &token).await?;
        return Err(AppError::InsufficientScope {
            scope: SESSION_ONLY,
        });
    }
    session(req, state, &token, via).await
}

/// Checks an access token (and, for a cookie-borne write, the CSRF header).
pub(super) async fn session(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    via: Via,
) -> Result<Authenticated, AppError> {
    let auth = match check_access(state, token, via).await {
        Ok(auth) => auth,
        Err(AccessError::Refused) => {
            tracing::warn!(target: "audit", event = "token_refused", path = req.path());
            return Err(AppError::Unauthorized {
                token_refused: true,
            });
        }
        Err(AccessError::Fault(f)) => return Err(f.into()),
    };
    if via == Via::Cookie && !is_safe(req.method()) {
        let presented = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if !csrf::verify_cookie(req, state, presented).await {
            tracing::warn!(target: "audit", event = "csrf_refused", user_id = %auth.user_id, path = req.path());
            return Err(AppError::Forbidden(csrf::REFUSED.to_owned()));
        }
    }
    req.extensions_mut().insert(auth);
    Ok(auth)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
