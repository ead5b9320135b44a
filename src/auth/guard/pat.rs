//! Personal access tokens at the guard. A token is refused without any
//! database work when its format or checksum is wrong; a live answer comes
//! from the per-thread cache (SQLite, at most 1 s old, see `db::pat_cache`)
//! or from the row, which also records use at most once a minute.

use actix_web::HttpRequest;

use super::{state, AccessError};
use crate::auth::client::client_ip;
use crate::auth::pat_token;
use crate::config::DatabaseUrl;
use crate::db::pat_cache::{self, Grant};
use crate::db::pats::{self, Pat};
use crate::db::{self, session_cache};
use crate::error::{AppError, Fault};
use crate::state::AppState;

/// What the row says about a presented token.
enum Lookup {
    Live(Grant, chrono::Duration),
    Revoked(Pat),
    Refused,
}

/// The grant of a live personal access token; `Refused` for a malformed,
/// unknown, expired or revoked one. Presenting a revoked token is audited.
pub async fn check_pat(
    state: &AppState,
    token: &str,
    req: &HttpRequest,
) -> Result<Grant, AccessError> {
    if !pat_token::well_formed(token) {
        return Err(AccessError::Refused);
    }
    let digest = pat_token::digest(token);
    let cacheable = matches!(state.config.database_url, DatabaseUrl::Sqlite(_));
    if cacheable {
        if let Some(grant) = pat_cache::hit(&digest) {
            return Ok(grant);
        }
    }
    let read_at = session_cache::clock_us();
    let hash = pat_token::stored_hash(&digest);
    let found = db::run(&state.pool, move |conn| {
        let now = db::now();
        let Some(row) = pats::find_by_hash(conn, &hash)? else {
            return Ok::<_, Fault>(Lookup::Refused);
        };
        if row.revoked_at.is_some() {
            return Ok(Lookup::Revoked(row));
        }
        let Some(scopes) = row.scopes().filter(|_| row.is_live(now)) else {
            return Ok(Lookup::Refused);
        };
        if row.needs_touch(now) {
            pats::touch(conn, row.id, now)?;
        }
        let grant = Grant {
            id: row.id,
            user_id: row.user_id,
            scopes,
        };
        Ok(Lookup::Live(grant, row.expires_at - now))
    })
    .await?;
    match found {
        Lookup::Live(grant, live_for) => {
            if cacheable {
                let live_for = live_for.to_std().unwrap_or_default();
                pat_cache::remember(digest, grant, read_at, live_for);
            }
            Ok(grant)
        }
        Lookup::Revoked(row) => {
            audit_use_after_revoke(state, &row, req);
            Err(AccessError::Refused)
        }
        Lookup::Refused => Err(AccessError::Refused),
    }
}

/// A token presented in the `Authorization` header, as the guard answers it:
/// its grant, or 401 `invalid_token` (logged as a refused token).
pub(super) async fn presented_pat(req: &HttpRequest, token: &str) -> Result<Grant, AppError> {
    match check_pat(state(req)?, token, req).await {
        Ok(grant) => Ok(grant),
        Err(AccessError::Refused) => {
            tracing::warn!(target: "audit", event = "token_refused", credential = "pat", path = req.path());
            Err(AppError::Unauthorized {
                token_refused: true,
            })
        }
        Err(AccessError::Fault(f)) => Err(f.into()),
    }
}

/// The audit event for a revoked token presented again (it may have leaked).
pub fn audit_use_after_revoke(state: &AppState, row: &Pat, req: &HttpRequest) {
    let ip = client_ip(req, &state.config.trusted_proxies);
    tracing::warn!(target: "audit", event = "pat_use_after_revoke", user_id = %row.user_id, pat_id = %row.id, client_ip = %ip, path = req.path());
}
