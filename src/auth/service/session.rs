//! Opening a session: the row, its first refresh token, the access token.

use diesel::Connection;

use crate::auth::client::ClientInfo;
use crate::auth::limits::Refund;
use crate::auth::tokens::new_refresh_token;
use crate::db::sessions::NewSession;
use crate::db::users::User;
use crate::db::{self, sessions};
use crate::domain::SessionId;
use crate::error::Fault;
use crate::state::AppState;

use super::Issued;

/// Creates a session for `user` and issues its token pair.
pub async fn start(state: &AppState, user: User, client: &ClientInfo) -> Result<Issued, Fault> {
    start_refunding(state, user, client, None).await
}

/// [`start`], also giving back a sign-in's reserved rate-limit slot in the
/// same transaction (one write instead of two).
pub async fn start_refunding(
    state: &AppState,
    user: User,
    client: &ClientInfo,
    refund: Option<Refund>,
) -> Result<Issued, Fault> {
    let session_id = SessionId::new();
    let (refresh_token, refresh_hash) = new_refresh_token();
    let now = db::now();
    let expires_at = now + state.session_ttl;
    let ua = client.user_agent.clone();
    let ip = client.ip.to_string();
    let user_id = user.id;
    db::write(&state.pool, move |conn| {
        conn.transaction(|conn| {
            sessions::create(
                conn,
                &NewSession {
                    id: session_id,
                    user_id,
                    user_agent: ua.as_deref(),
                    ip: Some(&ip),
                    created_at: now,
                    last_used_at: now,
                    expires_at,
                },
                &refresh_hash,
            )?;
            if let Some(refund) = &refund {
                refund.apply(conn)?;
            }
            diesel::QueryResult::Ok(())
        })
    })
    .await?;
    Ok(Issued {
        access_token: state.tokens.issue(user_id, session_id)?,
        refresh_token,
        refresh_ttl_secs: state.session_ttl.num_seconds(),
        user,
        session_id,
    })
}
