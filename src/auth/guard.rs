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
use crate::config::DatabaseUrl;
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

fn state(req: &HttpRequest) -> Result<&AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))
}

/// Verifies an access token and its session (revoked, expired or idle sessions are refused).
///
/// The session check is answered from a short-lived per-thread cache of
/// positive answers when it can be (see `live_cache`); otherwise it reads the
/// session row on the blocking pool (and records use at most once a minute).
pub async fn check_access(
    state: &AppState,
    token: &str,
    via: Via,
) -> Result<Authenticated, AppError> {
    let refused = AppError::Unauthorized {
        token_refused: true,
    };
    let Some(subject) = state.tokens.verify(token) else {
        return Err(refused);
    };
    let auth = Authenticated {
        user_id: subject.user_id,
        session_id: subject.session_id,
        via,
    };
    let cacheable = matches!(state.config.database_url, DatabaseUrl::Sqlite(_));
    if cacheable && live_cache::hit(&subject) {
        return Ok(auth);
    }
    let read_at = sessions::clock_us();
    let idle = state.session_idle;
    let live_for = db::run(&state.pool, move |conn| {
        let now = db::now();
        match sessions::find(conn, subject.session_id, subject.user_id)? {
            Some(s) if s.is_live(now, idle) => {
                let mut last_used = s.last_used_at;
                if s.needs_touch(now, idle) {
                    sessions::touch(conn, subject.session_id, now)?;
                    last_used = now;
                }
                let ends = s.expires_at.min(last_used + idle);
                Ok::<_, AppError>(Some((ends - now).to_std().unwrap_or_default()))
            }
            _ => Ok(None),
        }
    })
    .await?;
    let Some(live_for) = live_for else {
        return Err(refused);
    };
    if cacheable {
        live_cache::remember(&subject, read_at, live_for);
    }
    Ok(auth)
}

/// Positive session checks, remembered for at most [`live_cache::TTL`] by each
/// worker thread (no lock, no sharing: actix runs a request's guard on one thread).
///
/// What keeps the contract's promises:
/// - another process's revocation is seen once the entry expires: within 1 s,
///   inside the contract's 2 s;
/// - this process's own revocations are seen at once: every revocation or
///   deletion of a session row through this process (the revoking functions in
///   `db::sessions`, and on SQLite a per-connection trigger that also catches
///   cascades such as an account deletion) calls `sessions::note_local_change`.
///   An entry is only used if its row was read at least [`live_cache::SETTLE`]
///   after the latest such change, so neither an entry read before the change
///   nor one read while the change was still being committed is ever used;
/// - an entry never outlives the session's absolute or idle expiry.
///
/// Only SQLite uses it, where the trigger covers every path; with PostgreSQL
/// the guard reads the row on every request.
mod live_cache {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::time::Duration;

    use crate::auth::tokens::TokenSubject;
    use crate::db::sessions;
    use crate::domain::{SessionId, UserId};

    /// How long a positive answer is reused.
    pub const TTL: Duration = Duration::from_secs(1);
    /// After a local revocation, rows read within this long are not trusted
    /// (the revoking transaction may not have committed yet when the change was noted).
    pub const SETTLE: Duration = Duration::from_secs(1);
    /// Entries per thread; when full, expired ones go, then everything.
    const CAPACITY: usize = 4096;

    #[derive(Clone, Copy)]
    struct Entry {
        user_id: UserId,
        read_at: u64,
        valid_until: u64,
    }

    thread_local! {
        static LIVE: RefCell<HashMap<SessionId, Entry>> = RefCell::new(HashMap::new());
    }

    fn micros(d: Duration) -> u64 {
        u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
    }

    /// True when a row read at `read_at` may be trusted given local changes.
    fn settled(read_at: u64) -> bool {
        let changed = sessions::last_local_change_us();
        changed == 0 || read_at >= changed.saturating_add(micros(SETTLE))
    }

    /// A fresh positive answer for this session and user.
    pub fn hit(subject: &TokenSubject) -> bool {
        let entry = LIVE.with(|live| live.borrow().get(&subject.session_id).copied());
        entry.is_some_and(|e| {
            e.user_id == subject.user_id
                && sessions::clock_us() < e.valid_until
                && settled(e.read_at)
        })
    }

    /// Remembers that the row, read at `read_at`, showed a live session for `live_for` more.
    pub fn remember(subject: &TokenSubject, read_at: u64, live_for: Duration) {
        if !settled(read_at) {
            return;
        }
        let valid_until = read_at.saturating_add(micros(live_for.min(TTL)));
        LIVE.with(|live| {
            let mut live = live.borrow_mut();
            if live.len() >= CAPACITY {
                let now = sessions::clock_us();
                live.retain(|_, e| e.valid_until > now);
                if live.len() >= CAPACITY {
                    live.clear();
                }
            }
            live.insert(
                subject.session_id,
                Entry {
                    user_id: subject.user_id,
                    read_at,
                    valid_until,
                },
            );
        });
    }
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
    let cookie;
    let (token, via) = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| AppError::Unauthorized {
                token_refused: true,
            })?;
            let token = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .ok_or(AppError::Unauthorized {
                    token_refused: false,
                })?;
            (token, Via::Bearer)
        }
        None => {
            cookie = req
                .cookie(state.cookies.access)
                .ok_or(AppError::Unauthorized {
                    token_refused: false,
                })?;
            (cookie.value(), Via::Cookie)
        }
    };
    let auth = check_access(state, token, via).await.inspect_err(|e| {
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
        match check_access(state, c.value(), Via::Cookie).await {
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
    let outcome = match service::refresh(state, refresh.value(), &client).await {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::live_cache;
    use crate::auth::tokens::TokenSubject;
    use crate::db::sessions;
    use crate::domain::{SessionId, UserId};

    #[test]
    fn the_session_cache_forgets_on_expiry_and_on_any_local_change() {
        let _clock = sessions::CHANGE_CLOCK_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Let any earlier local change settle.
        let settled_at = sessions::last_local_change_us() + 1_000_000;
        if let Some(wait) = settled_at.checked_sub(sessions::clock_us()) {
            std::thread::sleep(Duration::from_micros(wait + 1));
        }
        let subject = TokenSubject {
            user_id: UserId::new(),
            session_id: SessionId::new(),
        };
        let other_user = TokenSubject {
            user_id: UserId::new(),
            ..subject
        };
        assert!(!live_cache::hit(&subject), "nothing remembered yet");

        live_cache::remember(&subject, sessions::clock_us(), Duration::from_secs(60));
        assert!(live_cache::hit(&subject));
        assert!(
            !live_cache::hit(&other_user),
            "the session must belong to the token's user"
        );

        // An answer never outlives the session's own end.
        let ending = TokenSubject {
            user_id: UserId::new(),
            session_id: SessionId::new(),
        };
        live_cache::remember(&ending, sessions::clock_us(), Duration::ZERO);
        assert!(!live_cache::hit(&ending));

        // A local revocation (of any session) makes every remembered answer
        // useless, and answers read shortly after it are not remembered either.
        sessions::note_local_change();
        assert!(!live_cache::hit(&subject));
        live_cache::remember(&subject, sessions::clock_us(), Duration::from_secs(60));
        assert!(!live_cache::hit(&subject));
    }
}
