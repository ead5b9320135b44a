//! The guard: extractors that turn a request into an `Authenticated` user or refuse it.
//!
//! - `ApiUser`: Bearer header or access cookie; 401 JSON otherwise. A
//!   cookie-authenticated write must also carry `X-CSRF-Token`.
//! - `PageUser`: access cookie, transparently renewed from the refresh cookie;
//!   otherwise a redirect to `/login?next=…`.
//! - `MaybeUser`: like `PageUser` but never refuses (for `/`).
//!
//! A handler that names one of these in its signature cannot run for the wrong
//! person, and `UserId`, which every task query needs, comes only from here.

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::client::ClientInfo;
use crate::auth::cookies::PendingCookies;
use crate::auth::{csrf, service};
use crate::db::{self, sessions};
use crate::domain::{SessionId, UserId};
use crate::error::{ApiError, AppError, PageError};
use crate::state::AppState;

/// How the credentials arrived; cookie-borne writes need a CSRF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// A verified caller: a live session of an existing user.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub via: Via,
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))
}

/// Verifies an access token and its session (revoked, expired or idle sessions are refused).
pub async fn check_access(
    state: &AppState,
    token: &str,
    via: Via,
) -> Result<Authenticated, AppError> {
    let refused = AppError::Unauthorized {
        token_refused: true,
    };
    let subject = state.tokens.verify(token).ok_or(AppError::Unauthorized {
        token_refused: true,
    })?;
    let idle = state.session_idle;
    let live = db::run(&state.pool, move |conn| {
        let now = db::now();
        match sessions::find(conn, subject.session_id, subject.user_id)? {
            Some(s) if s.is_live(now, idle) => {
                if s.needs_touch(now, idle) {
                    sessions::touch(conn, subject.session_id, now)?;
                }
                Ok::<_, AppError>(true)
            }
            _ => Ok(false),
        }
    })
    .await?;
    if !live {
        return Err(refused);
    }
    Ok(Authenticated {
        user_id: subject.user_id,
        session_id: subject.session_id,
        via,
    })
}

/// The caller of a JSON API route.
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

async fn api_user(req: &HttpRequest) -> Result<Authenticated, AppError> {
    let state = state(req)?;
    let (token, via) = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| AppError::Unauthorized {
                token_refused: true,
            })?;
            let token = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim().to_owned())
                .ok_or(AppError::Unauthorized {
                    token_refused: false,
                })?;
            (token, Via::Bearer)
        }
        None => match req.cookie(state.cookies.access) {
            Some(c) => (c.value().to_owned(), Via::Cookie),
            None => {
                return Err(AppError::Unauthorized {
                    token_refused: false,
                })
            }
        },
    };
    let auth = check_access(&state, &token, via).await.inspect_err(|e| {
        if matches!(
            e,
            AppError::Unauthorized {
                token_refused: true
            }
        ) {
            tracing::warn!(target: "audit", event = "token_refused", path = req.path());
        }
    })?;
    if via == Via::Cookie && !is_safe(req.method()) {
        let presented = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        csrf::verify(&req.get_session(), presented).inspect_err(|_| {
            tracing::warn!(target: "audit", event = "csrf_refused", user_id = %auth.user_id, path = req.path());
        })?;
    }
    Ok(auth)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

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
                None => {
                    // After login, come back here; for a form POST, to the page that holds the form.
                    let next = if req.method() == Method::GET {
                        req.uri()
                            .path_and_query()
                            .map_or("/tasks", |p| p.as_str())
                            .to_owned()
                    } else if req.path().starts_with("/account") {
                        "/account".to_owned()
                    } else {
                        "/tasks".to_owned()
                    };
                    Err(PageError(AppError::SignInRequired { next }))
                }
            }
        })
    }
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
        match check_access(&state, c.value(), Via::Cookie).await {
            Ok(auth) => return Ok(Some(auth)),
            Err(AppError::Unauthorized { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    let Some(refresh) = req.cookie(names.refresh) else {
        return Ok(None);
    };
    let client = ClientInfo::from_request(req, &state.config.trusted_proxies);
    let mut pending = PendingCookies::default();
    let outcome = match service::refresh(&state, refresh.value(), &client).await {
        Ok(issued) => {
            pending.0.extend(names.set(
                &issued.access_token,
                i64::try_from(state.tokens.ttl_secs()).unwrap_or(i64::MAX),
                &issued.refresh_token,
                issued.refresh_ttl_secs,
            ));
            Some(Authenticated {
                user_id: issued.user_id,
                session_id: issued.session_id,
                via: Via::Cookie,
            })
        }
        Err(AppError::Unauthorized { .. }) => {
            pending.0.extend(names.clear());
            None
        }
        Err(other) => return Err(other),
    };
    req.extensions_mut().insert(pending);
    Ok(outcome)
}
