//! `PageUser` and `MaybeUser`: the person behind a page request, signed in
//! by the access cookie or, when that has expired, by the refresh cookie.

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{check_access, state, AccessError, Authenticated, Via};
use crate::auth::client::ClientInfo;
use crate::auth::cookies::PendingCookies;
use crate::auth::service::{self, RefreshError};
use crate::error::AppError;
use crate::http::error::PageError;

/// The signed-in person behind a page request.
#[derive(Debug, Clone, Copy)]
pub struct PageUser(pub Authenticated);

impl FromRequest for PageUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match page_user(&req).await? {
                Some(auth) => Ok(PageUser(auth)),
                None => Err(PageError(AppError::SignInRequired {
                    next: come_back_to(&req),
                })),
            }
        })
    }
}

/// After login, come back here; for a form POST, to the page that holds the form.
fn come_back_to(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        return req
            .uri()
            .path_and_query()
            .map_or("/tasks", |p| p.as_str())
            .to_owned();
    }
    let path = req.path();
    [
        "/account/tokens",
        "/account/email",
        "/account/2fa",
        "/account/passkeys",
        "/account",
    ]
    .into_iter()
    .find(|page| path.starts_with(page))
    .unwrap_or("/tasks")
    .to_owned()
}

/// A page visitor who may or may not be signed in.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<Authenticated>);

impl FromRequest for MaybeUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(page_user(&req).await?)) })
    }
}

/// Access cookie first; if it is missing or refused, rotate the refresh cookie
/// and queue both new cookies on the response.
async fn page_user(req: &HttpRequest) -> Result<Option<Authenticated>, AppError> {
    let state = state(req)?;
    let names = &state.cookies;
    if let Some(c) = req.cookie(names.access) {
        match check_access(state, c.value(), Via::Cookie).await {
            Ok(auth) => {
                req.extensions_mut().insert(auth);
                return Ok(Some(auth));
            }
            Err(AccessError::Refused) => {}
            Err(AccessError::Fault(f)) => return Err(f.into()),
        }
    }
    let Some(refresh) = req.cookie(names.refresh) else {
        return Ok(None);
    };
    let client = ClientInfo::of(req);
    let mut pending = PendingCookies::default();
    let outcome = match service::refresh(state, refresh.value(), &client).await {
        Ok(issued) => {
            pending.0.extend(names.set(
                &issued.access_token,
                state.tokens.ttl_secs(),
                &issued.refresh_token,
                issued.refresh_ttl_secs,
            ));
            let auth = Authenticated {
                user_id: issued.user.id,
                session_id: issued.session_id,
                via: Via::Cookie,
            };
            req.extensions_mut().insert(auth);
            Some(auth)
        }
        Err(RefreshError::Refused) => {
            pending.0.extend(names.clear());
            None
        }
        Err(RefreshError::Fault(f)) => return Err(f.into()),
    };
    req.extensions_mut().insert(pending);
    Ok(outcome)
}
