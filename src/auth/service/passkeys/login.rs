//! The usernameless passkey sign-in: a complete login (a passkey with user
//! verification is itself multi-factor, so it never asks for TOTP).
//!
//! The passkey is found by the credential id the browser names, and its owner
//! is the row's user, never the unsigned user handle (which must match it).

use crate::auth::client::ClientInfo;
use crate::auth::passkeys::{
    PasskeyError, Passkeys, PendingLogin, PublicKeyCredential, RequestChallengeResponse,
    StoredPasskey,
};
use crate::db::{self, passkeys as rows, users, webauthn_ceremonies as ceremonies};
use crate::error::Fault;
use crate::state::AppState;

use super::super::{session, Issued};
use super::{expiry, in_transaction, relying_party, user_handle};
use super::{PasskeyFlowError, Started};

/// Starts a sign-in: a challenge any of the site's passkeys can answer.
pub async fn start_login(
    state: &AppState,
) -> Result<Started<RequestChallengeResponse>, PasskeyFlowError> {
    let rp = relying_party(state)?;
    let (options, pending) = rp.start_login().map_err(Fault::internal)?;
    let pending = pending.to_json().map_err(Fault::internal)?;
    let ceremony_id = uuid::Uuid::new_v4().to_string();
    let (id, expires_at) = (ceremony_id.clone(), expiry(state)?);
    db::write(&state.pool, move |conn| {
        ceremonies::insert(conn, &id, ceremonies::LOGIN, None, &pending, expires_at)
    })
    .await?;
    Ok(Started {
        ceremony_id,
        options,
    })
}

/// Verifies the browser's answer and opens a session for the passkey's owner.
/// The ceremony is used up by this call whatever the outcome.
pub async fn finish_login(
    state: &AppState,
    ceremony_id: String,
    credential: PublicKeyCredential,
    client: &ClientInfo,
) -> Result<Issued, PasskeyFlowError> {
    let rp = relying_party(state)?.clone();
    let now = state.clock.now();
    let ip = client.ip;
    let user = in_transaction(state, move |conn| {
        let Some(pending) = ceremonies::take(conn, &ceremony_id, ceremonies::LOGIN, None, now)?
        else {
            return Ok(Err(PasskeyFlowError::CeremonyGone));
        };
        let Ok(claimed) = Passkeys::identify(&credential) else {
            return Ok(Err(PasskeyFlowError::SignInRefused));
        };
        let Some(row) = rows::find_by_credential(conn, &claimed.credential_id)? else {
            tracing::info!(target: "audit", event = "passkey_login_failed", reason = "unknown_passkey", client_ip = %ip);
            return Ok(Err(PasskeyFlowError::SignInRefused));
        };
        let verified = user_handle(row.user_id).and_then(|owner| {
            let pending = PendingLogin::from_json(&pending).map_err(Fault::internal)?;
            let mut stored = StoredPasskey::from_json(&row.passkey).map_err(Fault::internal)?;
            Ok(rp
                .finish_login(pending, &credential, owner, &mut stored)
                .map(|v| (v, stored)))
        });
        let (verified, stored) = match verified {
            Err(fault) => return Ok(Err(fault.into())),
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                let reason = match e {
                    PasskeyError::CounterWentBack => "counter_went_back",
                    _ => "not_verified",
                };
                tracing::warn!(target: "audit", event = "passkey_login_failed", reason, user_id = %row.user_id, passkey_id = %row.id, client_ip = %ip);
                return Ok(Err(PasskeyFlowError::SignInRefused));
            }
        };
        let json = match stored.to_json() {
            Ok(json) => json,
            Err(e) => return Ok(Err(Fault::internal(e).into())),
        };
        let counter = i64::from(verified.counter).max(row.counter);
        if !rows::record_use(conn, &row, &json, counter, now)? {
            tracing::warn!(target: "audit", event = "passkey_login_failed", reason = "concurrent_use", user_id = %row.user_id, passkey_id = %row.id, client_ip = %ip);
            return Ok(Err(PasskeyFlowError::SignInRefused));
        }
        Ok(users::find(conn, row.user_id)?.ok_or(PasskeyFlowError::SignInRefused))
    })
    .await?
    .inspect_err(|e| {
        if matches!(e, PasskeyFlowError::SignInRefused) {
            crate::metrics::get().logins.with_label_values(&["failure"]).inc();
        }
    })?;
    let uid = user.id;
    if state.config.require_verified_email && !user.email_verified {
        tracing::info!(target: "audit", event = "login_refused_unverified", method = "passkey", user_id = %uid, client_ip = %client.ip);
        return Err(PasskeyFlowError::EmailNotVerified);
    }
    let issued = session::start(state, user, client).await?;
    tracing::info!(target: "audit", event = "login", method = "passkey", user_id = %uid, session_id = %issued.session_id, client_ip = %client.ip);
    crate::metrics::get()
        .logins
        .with_label_values(&["success"])
        .inc();
    Ok(issued)
}
