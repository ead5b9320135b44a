//! Refresh-token rotation with reuse detection.

use crate::auth::client::ClientInfo;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::db::refresh_tokens::{self, Rotation, Successor};
use crate::db::{self, users};
use crate::error::Fault;
use crate::metrics;
use crate::secrets::Purpose;
use crate::state::AppState;

use super::Issued;

/// Why a refresh token bought nothing.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, used, expired, or its session or user is gone.
    #[error("the refresh token was refused")]
    Refused,
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Rotates a refresh token. A token used before revokes its whole session.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    client: &ClientInfo,
) -> Result<Issued, RefreshError> {
    if presented.is_empty() || presented.len() > 128 {
        return Err(RefreshError::Refused);
    }
    let presented_hash = hash_refresh_token(presented);
    let (refresh_token, new_hash) = new_refresh_token();
    // The successor, sealed for the presented row (its context): a repeat
    // within the grace window gets this same token back.
    let sealer = state.sealer(Purpose::RefreshSuccessors);
    let sealed = sealer.seal(refresh_token.as_bytes(), presented_hash.as_bytes());
    let context = presented_hash.clone();
    let (idle, grace) = (state.session_idle, grace(state));
    let (rotation, user, now) = db::write(&state.pool, move |conn| {
        let now = db::now();
        let successor = Successor {
            hash: &new_hash,
            sealed: &sealed,
        };
        let rotation = refresh_tokens::rotate(conn, &presented_hash, successor, now, idle, grace)?;
        let user = match &rotation {
            Rotation::Rotated(s) | Rotation::Repeated { session: s, .. } => {
                users::find(conn, s.user_id)?
            }
            _ => None,
        };
        Ok::<_, diesel::result::Error>((rotation, user, now))
    })
    .await?;
    let outcome = match &rotation {
        Rotation::Rotated(_) => "rotated",
        Rotation::Repeated { .. } => "repeated",
        Rotation::Reused(_) | Rotation::Refused => "refused",
    };
    metrics::get().refreshes.with_label_values(&[outcome]).inc();
    match (rotation, user) {
        (Rotation::Rotated(session), Some(user)) => Ok(Issued {
            access_token: state.tokens.issue(user.id, session.id)?,
            refresh_token,
            refresh_ttl_secs: (session.expires_at - now).num_seconds().max(0),
            user,
            session_id: session.id,
        }),
        (
            Rotation::Repeated {
                session,
                successor_sealed,
            },
            Some(user),
        ) => {
            let successor = sealer
                .open(&successor_sealed, context.as_bytes())
                .ok()
                .and_then(|plain| String::from_utf8(plain).ok())
                .ok_or(RefreshError::Refused)?;
            tracing::info!(target: "audit", event = "refresh_repeated", user_id = %user.id, session_id = %session.id, client_ip = %client.ip);
            Ok(Issued {
                access_token: state.tokens.issue(user.id, session.id)?,
                refresh_token: successor,
                refresh_ttl_secs: (session.expires_at - now).num_seconds().max(0),
                user,
                session_id: session.id,
            })
        }
        (Rotation::Reused(session), _) => {
            tracing::warn!(target: "audit", event = "refresh_token_reuse", user_id = %session.user_id, session_id = %session.id, client_ip = %client.ip);
            metrics::get().refresh_reuse.inc();
            Err(RefreshError::Refused)
        }
        _ => Err(RefreshError::Refused),
    }
}

/// `REFRESH_REUSE_GRACE_SECS` as a database duration (zero: strict).
fn grace(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.refresh_reuse_grace).unwrap_or_default()
}
