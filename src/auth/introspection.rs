//! Token introspection (RFC 7662): would taskgate accept this token right
//! now? An access token must verify (signature, algorithm, claims, through
//! `state.tokens`) and its session must be live (`check_access`, which also
//! means the user exists: sessions go with their account). A personal access
//! token must be well formed, known, unrevoked and unexpired (its row goes
//! with its account). Anything else — garbage, a refresh token, an expired
//! or revoked token — is simply inactive.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::guard::{audit_use_after_revoke, check_access, AccessError, Via};
use crate::auth::pat_token;
use crate::db::{self, pats};
use crate::domain::{Scopes, SessionId, UserId};
use crate::error::Fault;
use crate::state::AppState;

/// Longer than any token taskgate issues: refused before any work.
const MAX_TOKEN_LEN: usize = 4096;

/// What introspection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    Inactive,
    /// A live session's access token; `iat`/`exp` in seconds since the epoch.
    AccessToken {
        sub: UserId,
        sid: SessionId,
        iat: i64,
        exp: i64,
    },
    /// A live personal access token.
    PersonalAccessToken {
        sub: UserId,
        scopes: Scopes,
        iat: i64,
        exp: i64,
    },
}

/// Looks `token` up. `req` is the introspection request (for the audit
/// event when a revoked personal access token is presented).
pub async fn introspect(
    state: &AppState,
    token: &str,
    req: &HttpRequest,
) -> Result<Introspection, Fault> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(Introspection::Inactive);
    }
    if pat_token::is_pat(token) {
        return personal_access_token(state, token, req).await;
    }
    let auth = match check_access(state, token, Via::Bearer).await {
        Ok(auth) => auth,
        Err(AccessError::Refused) => return Ok(Introspection::Inactive),
        Err(AccessError::Fault(f)) => return Err(f),
    };
    // `check_access` verified exactly these bytes, so the payload's claims are the verified ones.
    let Some(claims) = verified_claims(token) else {
        return Ok(Introspection::Inactive);
    };
    Ok(Introspection::AccessToken {
        sub: auth.user_id(),
        sid: auth.session_id(),
        iat: claims.iat,
        exp: claims.exp,
    })
}

/// The two claims introspection reports besides the ids.
#[derive(Deserialize)]
struct Times {
    iat: i64,
    exp: i64,
}

/// The claims of a token whose signature and claims were already verified.
fn verified_claims(token: &str) -> Option<Times> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// A personal access token, read from its row (never from the guard's cache:
/// introspection answers from the database as it is now).
async fn personal_access_token(
    state: &AppState,
    token: &str,
    req: &HttpRequest,
) -> Result<Introspection, Fault> {
    if !pat_token::well_formed(token) {
        return Ok(Introspection::Inactive);
    }
    let hash = pat_token::stored_hash(&pat_token::digest(token));
    let row = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = pats::find_by_hash(conn, &hash)?;
        if let Some(r) = row
            .as_ref()
            .filter(|r| r.is_live(now) && r.needs_touch(now))
        {
            pats::touch(conn, r.id, now)?;
        }
        Ok::<_, Fault>(row.map(|r| (r, now)))
    })
    .await?;
    let Some((row, now)) = row else {
        return Ok(Introspection::Inactive);
    };
    if row.revoked_at.is_some() {
        audit_use_after_revoke(state, &row, req);
        return Ok(Introspection::Inactive);
    }
    match row.scopes() {
        Some(scopes) if row.is_live(now) => Ok(Introspection::PersonalAccessToken {
            sub: row.user_id,
            scopes,
            iat: epoch(row.created_at),
            exp: epoch(row.expires_at),
        }),
        _ => Ok(Introspection::Inactive),
    }
}

fn epoch(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}
