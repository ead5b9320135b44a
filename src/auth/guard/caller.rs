//! `Caller<S>` and `PatCaller<S>`: callers of the routes that personal access
//! tokens may use, each naming the scope `S` a token needs there.
//!
//! The scope is a type parameter with no default, so a handler cannot take a
//! `Caller` without saying which scope guards it; and [`ApiUser`](super::ApiUser),
//! the only other API extractor, refuses tokens outright. Forgetting a scope
//! check therefore does not compile.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::api::{presented, session};
use super::pat::presented_pat;
use super::{state, Authenticated, Via};
use crate::auth::pat_token;
use crate::db::pat_cache::Grant;
use crate::domain::{Scope, UserId};
use crate::error::AppError;
use crate::http::error::ApiError;

/// What a route asks of a personal access token.
pub trait RouteScope: 'static {
    /// The scope a token needs; `None`: any live token will do.
    const NEEDS: Option<Scope>;
}

/// `GET /api/tasks…`: `tasks:read` (or `tasks:write`, which implies it).
pub struct TasksRead;
/// Every other `/api/tasks…` method: `tasks:write`.
pub struct TasksWrite;
/// `POST /api/auth/introspect`: `introspect`.
pub struct Introspect;
/// `GET /api/auth/me`: any live token, whatever its scopes.
pub struct AnyScope;

impl RouteScope for TasksRead {
    const NEEDS: Option<Scope> = Some(Scope::TasksRead);
}
impl RouteScope for TasksWrite {
    const NEEDS: Option<Scope> = Some(Scope::TasksWrite);
}
impl RouteScope for Introspect {
    const NEEDS: Option<Scope> = Some(Scope::Introspect);
}
impl RouteScope for AnyScope {
    const NEEDS: Option<Scope> = None;
}

/// The credential a caller presented.
#[derive(Debug, Clone, Copy)]
pub enum Credential {
    /// A signed-in session (access token, or cookie with CSRF for writes).
    Session(Authenticated),
    /// A personal access token, with its owner and scopes.
    Pat(Grant),
}

/// A session, or a personal access token that has the scope `S`.
#[derive(Debug, Clone, Copy)]
pub struct Caller<S> {
    credential: Credential,
    _scope: PhantomData<fn() -> S>,
}

impl<S> Caller<S> {
    /// The user the credential speaks for: what scopes every query to their own data.
    pub fn user_id(&self) -> UserId {
        match self.credential {
            Credential::Session(auth) => auth.user_id(),
            Credential::Pat(grant) => grant.user_id,
        }
    }

    pub fn credential(&self) -> Credential {
        self.credential
    }
}

impl<S: RouteScope> FromRequest for Caller<S> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let (token, via) = presented(&req, state.cookies.access)?;
            let credential = if via == Via::Bearer && pat_token::is_pat(&token) {
                Credential::Pat(scoped_pat::<S>(&req, &token).await?)
            } else {
                Credential::Session(session(&req, state, &token, via).await?)
            };
            Ok(Caller {
                credential,
                _scope: PhantomData,
            })
        })
    }
}

/// A personal access token with the scope `S`, and nothing else: a session
/// gets 403 `insufficient_scope` (after its own credentials were checked).
#[derive(Debug, Clone, Copy)]
pub struct PatCaller<S> {
    grant: Grant,
    _scope: PhantomData<fn() -> S>,
}

impl<S> PatCaller<S> {
    pub fn grant(&self) -> Grant {
        self.grant
    }
}

impl<S: RouteScope> FromRequest for PatCaller<S> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let (token, via) = presented(&req, state.cookies.access)?;
            if via == Via::Bearer && pat_token::is_pat(&token) {
                let grant = scoped_pat::<S>(&req, &token).await?;
                return Ok(PatCaller {
                    grant,
                    _scope: PhantomData,
                });
            }
            session(&req, state, &token, via).await?;
            Err(ApiError(insufficient::<S>()))
        })
    }
}

/// The token's grant if it is live and has the scope `S`.
async fn scoped_pat<S: RouteScope>(req: &HttpRequest, token: &str) -> Result<Grant, AppError> {
    let grant = presented_pat(req, token).await?;
    match S::NEEDS {
        Some(needed) if !grant.scopes.grants(needed) => Err(insufficient::<S>()),
        _ => Ok(grant),
    }
}

fn insufficient<S: RouteScope>() -> AppError {
    AppError::InsufficientScope {
        scope: S::NEEDS.map_or(super::api::SESSION_ONLY, Scope::as_str),
    }
}
