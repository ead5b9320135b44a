//! The guard: extractors that turn a request into an [`Authenticated`] caller or refuse it.
//!
//! - [`ApiUser`]: Bearer header or access cookie; 401 JSON otherwise. A
//!   cookie-authenticated write must also carry `X-CSRF-Token`. A personal
//!   access token is refused (403 `insufficient_scope`).
//! - [`Caller<S>`]: like `ApiUser`, or a personal access token (`tgp_…` in the
//!   `Authorization` header only) that has the scope `S`; [`PatCaller<S>`]:
//!   only such a token.
//! - [`PageUser`]: access cookie, transparently renewed from the refresh cookie;
//!   otherwise a redirect to `/login?next=…`.
//! - [`MaybeUser`]: like `PageUser` but never refuses (for `/` and the forms).
//!
//! A handler that names one of these in its signature cannot run for the wrong
//! person. `Authenticated` can only be made here, and it is the only source of
//! the `UserId` that every task query needs.

mod api;
mod caller;
mod page;
mod pat;

pub use api::{ApiUser, SESSION_ONLY};
pub use caller::{
    AnyScope, Caller, Credential, Introspect, PatCaller, RouteScope, TasksRead, TasksWrite,
};
pub use page::{MaybeUser, PageUser};
pub use pat::{audit_use_after_revoke, check_pat};

use actix_web::{web, HttpRequest};

use crate::config::DatabaseUrl;
use crate::db::{self, session_cache, sessions};
use crate::domain::{SessionId, UserId};
use crate::error::{AppError, Fault};
use crate::state::AppState;

/// How the credentials arrived; cookie-borne writes need a CSRF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// A verified caller: a live session of an existing user. Only the guard
/// makes one (the fields are private), so a `UserId` taken from it is the
/// caller's own.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    user_id: UserId,
    session_id: SessionId,
    via: Via,
}

impl Authenticated {
    /// The caller's user id: what scopes every query to their own data.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The session the credentials belong to.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    pub fn via(&self) -> Via {
        self.via
    }
}

fn state(req: &HttpRequest) -> Result<&AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| AppError::internal("AppState missing"))
}

/// Why an access token was not accepted.
#[derive(Debug)]
pub enum AccessError {
    /// Bad signature or claims, or a dead session.
    Refused,
    Fault(Fault),
}

impl From<Fault> for AccessError {
    fn from(f: Fault) -> Self {
        Self::Fault(f)
    }
}

/// Verifies an access token and its session (revoked, expired or idle sessions are refused).
///
/// The session check is answered from the per-thread cache of positive
/// answers when it can be (SQLite only, see `db::session_cache`); otherwise it
/// reads the session row on the blocking pool (and records use at most once a minute).
pub async fn check_access(
    state: &AppState,
    token: &str,
    via: Via,
) -> Result<Authenticated, AccessError> {
    let subject = state
        .tokens
        .verify_fresh(&state.pool, token)
        .await
        .ok_or(AccessError::Refused)?;
    let (user_id, session_id) = (subject.user_id, subject.session_id);
    let auth = Authenticated {
        user_id,
        session_id,
        via,
    };
    let cacheable = matches!(state.config.database_url, DatabaseUrl::Sqlite(_));
    if cacheable && session_cache::hit(session_id, user_id) {
        return Ok(auth);
    }
    let read_at = session_cache::clock_us();
    let idle = state.session_idle;
    let live_for = db::run(&state.pool, move |conn| {
        let now = db::now();
        match sessions::find(conn, session_id, user_id)? {
            Some(s) if s.is_live(now, idle) => {
                let ends = if s.needs_touch(now, idle) {
                    sessions::touch(conn, session_id, now)?;
                    now + idle
                } else {
                    s.ends_at(idle)
                };
                Ok::<_, Fault>(Some(ends.min(s.expires_at) - now))
            }
            _ => Ok(None),
        }
    })
    .await?
    .ok_or(AccessError::Refused)?;
    if cacheable {
        let live_for = live_for.to_std().unwrap_or_default();
        session_cache::remember(session_id, user_id, read_at, live_for);
    }
    Ok(auth)
}
