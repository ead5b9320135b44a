//! Refresh-token rotation with reuse detection.

use crate::auth::client::ClientInfo;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::db::sessions::Rotation;
use crate::db::{self, sessions, users};
use crate::domain::{SessionId, UserId};
use crate::error::AppError;
use crate::state::AppState;

use super::Issued;

/// Rotates a refresh token. A token used before revokes its whole session.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    client: &ClientInfo,
) -> Result<Issued, AppError> {
    let refused = AppError::Unauthorized {
        token_refused: true,
    };
    if presented.is_empty() || presented.len() > 128 {
        return Err(refused);
    }
    let presented_hash = hash_refresh_token(presented);
    let (refresh_token, new_hash) = new_refresh_token();
    let idle = state.session_idle;
    let outcome = db::run(&state.pool, move |conn| {
        let now = db::now();
        let rotation = sessions::rotate_refresh(conn, &presented_hash, &new_hash, now, idle)?;
        let user = match &rotation {
            Rotation::Rotated(s) => UserId::parse(&s.user_id)
                .map(|id| users::find(conn, id))
                .transpose()?
                .flatten(),
            _ => None,
        };
        Ok::<_, AppError>((rotation, user, now))
    })
    .await?;
    match outcome {
        (Rotation::Rotated(session), Some(user), now) => {
            let (Some(user_id), Some(session_id)) = (user.user_id(), SessionId::parse(&session.id))
            else {
                return Err(refused);
            };
            Ok(Issued {
                access_token: state.tokens.issue(user_id, session_id)?,
                refresh_token,
                refresh_ttl_secs: (session.expires_at - now).num_seconds().max(0),
                user,
                user_id,
                session_id,
            })
        }
        (Rotation::Reused(session), _, _) => {
            tracing::warn!(target: "audit", event = "refresh_token_reuse", user_id = %session.user_id, session_id = %session.id, client_ip = %client.ip);
            Err(refused)
        }
        _ => Err(refused),
    }
}
