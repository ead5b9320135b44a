//! Personal access tokens: create (the secret shown once, a notice mailed in
//! the same transaction), list and revoke. Every flow takes the caller's
//! `Authenticated` session: the HTTP layer reaches them through `ApiUser` or
//! `PageUser`, which never accept a token, so a token cannot manage tokens.

use diesel::Connection;
use secrecy::SecretString;

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::pat_token;
use crate::db::pats::{self, NewPat, Pat};
use crate::db::{self, users};
use crate::domain::{PatId, PatRequest, UserId};
use crate::error::Fault;
use crate::mail::{compose, Mail};
use crate::state::AppState;

use super::RevokeError;

/// At most this many of one user's tokens may be live (not revoked, not
/// expired) at once, so neither the table nor the notices grow without bound.
pub const MAX_LIVE_PER_USER: i64 = 100;

/// A token just made: the row, and the secret (shown once, never stored).
pub struct CreatedPat {
    pub pat: Pat,
    pub token: SecretString,
}

/// Why a token was not made.
#[derive(Debug, thiserror::Error)]
pub enum CreatePatError {
    #[error("at most 100 personal access tokens can be active at once; revoke one first")]
    TooMany,
    /// The account is gone (deleted by another request).
    #[error("the account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Makes a token for the caller and queues the notice to their address.
pub async fn create_pat(
    state: &AppState,
    auth: &Authenticated,
    request: PatRequest,
    client: &ClientInfo,
) -> Result<CreatedPat, CreatePatError> {
    let new = pat_token::generate();
    let now = db::now();
    let pat = Pat {
        id: PatId::new(),
        user_id: auth.user_id(),
        name: request.name.as_str().to_owned(),
        scopes: request.scopes.to_stored(),
        created_at: now,
        expires_at: now + chrono::Duration::days(request.lifetime_days),
        last_used_at: None,
        revoked_at: None,
    };
    let notice = compose(
        &Mail::TokenCreated {
            name: &pat.name,
            scopes: &request.scopes.to_string(),
            expires_at: pat.expires_at,
        },
        &state.mail_context(),
    );
    let (outbox, row, hash) = (state.outbox.clone(), pat.clone(), new.hash);
    let made = db::write(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let Some(user) = users::find(conn, row.user_id)? else {
                return Ok(Err(CreatePatError::Gone));
            };
            if pats::count_live(conn, row.user_id, now)? >= MAX_LIVE_PER_USER {
                return Ok(Err(CreatePatError::TooMany));
            }
            pats::insert(
                conn,
                &NewPat {
                    id: row.id,
                    user_id: row.user_id,
                    name: &row.name,
                    token_hash: &hash,
                    scopes: &row.scopes,
                    created_at: row.created_at,
                    expires_at: row.expires_at,
                },
            )?;
            outbox.enqueue(conn, &user.email, &notice)?;
            Ok::<_, diesel::result::Error>(Ok(()))
        })
    })
    .await?;
    made?;
    state.outbox.wake();
    tracing::info!(target: "audit", event = "pat_created", user_id = %pat.user_id, session_id = %auth.session_id(), pat_id = %pat.id, scopes = %pat.scopes, expires_at = %pat.expires_at, client_ip = %client.ip);
    Ok(CreatedPat {
        pat,
        token: new.token,
    })
}

/// The user's tokens that are not revoked, newest first.
pub async fn list_pats(state: &AppState, user: UserId) -> Result<Vec<Pat>, Fault> {
    db::run(&state.pool, move |conn| pats::list_for_user(conn, user)).await
}

/// Revokes one of the caller's tokens (another user's, or none: `NotFound`).
/// It is refused from the next request on: in this process at once (the
/// guard's cache forgets on any local revocation), in others within 1 s.
pub async fn revoke_pat(
    state: &AppState,
    auth: &Authenticated,
    target: Option<PatId>,
    client: &ClientInfo,
) -> Result<(), RevokeError> {
    let target = target.ok_or(RevokeError::NotFound)?;
    let uid = auth.user_id();
    if !db::write(&state.pool, move |conn| pats::revoke(conn, target, uid)).await? {
        return Err(RevokeError::NotFound);
    }
    tracing::info!(target: "audit", event = "pat_revoked", user_id = %uid, session_id = %auth.session_id(), pat_id = %target, client_ip = %client.ip);
    Ok(())
}
