//! Adding a passkey while signed in: start (options excluding the user's
//! existing passkeys), finish (verify, store, use up the ceremony).

use crate::auth::client::ClientInfo;
use crate::auth::guard::Authenticated;
use crate::auth::passkeys::{
    CreationChallengeResponse, PendingRegistration, RegisterPublicKeyCredential, StoredPasskey,
};
use crate::db::passkeys::{self as rows, NewPasskey, PasskeyListing, CREDENTIAL_UNIQUE};
use crate::db::{self, users, webauthn_ceremonies as ceremonies};
use crate::domain::PasskeyId;
use crate::error::Fault;
use crate::state::AppState;

use super::{expiry, in_transaction, parse_name, relying_party, user_handle};
use super::{PasskeyFlowError, Started};

/// Starts adding a passkey for the caller.
pub async fn start_registration(
    state: &AppState,
    auth: &Authenticated,
) -> Result<Started<CreationChallengeResponse>, PasskeyFlowError> {
    let rp = relying_party(state)?;
    let uid = auth.user_id();
    let (user, existing) = db::run(&state.pool, move |conn| {
        Ok::<_, diesel::result::Error>((users::find(conn, uid)?, rows::stored_for_user(conn, uid)?))
    })
    .await?;
    let user = user.ok_or(PasskeyFlowError::Gone)?;
    let existing = existing
        .iter()
        .map(|json| StoredPasskey::from_json(json))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Fault::internal)?;
    let (options, pending) = rp
        .start_registration(
            user_handle(uid)?,
            &user.email,
            user.name.as_deref().unwrap_or(""),
            &existing,
        )
        .map_err(Fault::internal)?;
    let pending = pending.to_json().map_err(Fault::internal)?;
    let ceremony_id = uuid::Uuid::new_v4().to_string();
    let (id, expires_at) = (ceremony_id.clone(), expiry(state)?);
    db::write(&state.pool, move |conn| {
        ceremonies::insert(
            conn,
            &id,
            ceremonies::REGISTER,
            Some(uid),
            &pending,
            expires_at,
        )
    })
    .await?;
    Ok(Started {
        ceremony_id,
        options,
    })
}

/// Verifies the browser's answer and stores the passkey under `name`. The
/// ceremony is used up by this call whether or not the answer verifies.
pub async fn finish_registration(
    state: &AppState,
    auth: &Authenticated,
    ceremony_id: String,
    name: &str,
    credential: RegisterPublicKeyCredential,
    client: &ClientInfo,
) -> Result<PasskeyListing, PasskeyFlowError> {
    let name = parse_name(name)?;
    let rp = relying_party(state)?.clone();
    let uid = auth.user_id();
    let now = state.clock.now();
    let outcome = in_transaction(state, move |conn| {
        let Some(pending) =
            ceremonies::take(conn, &ceremony_id, ceremonies::REGISTER, Some(uid), now)?
        else {
            return Ok(Err(PasskeyFlowError::CeremonyGone));
        };
        let stored = match PendingRegistration::from_json(&pending)
            .map_err(|e| PasskeyFlowError::Fault(Fault::internal(e)))
            .and_then(|pending| {
                rp.finish_registration(pending, &credential).map_err(|e| {
                    tracing::info!(error = %e, "passkey registration not accepted");
                    PasskeyFlowError::NotAccepted
                })
            }) {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let credential_id = stored.credential_id();
        if rows::credential_taken(conn, &credential_id)? {
            return Ok(Err(PasskeyFlowError::AlreadyRegistered));
        }
        let json = match stored.to_json() {
            Ok(json) => json,
            Err(e) => return Ok(Err(PasskeyFlowError::Fault(Fault::internal(e)))),
        };
        let id = PasskeyId::new();
        let new = NewPasskey {
            id,
            user_id: uid,
            name: &name,
            credential_id: &credential_id,
            passkey: &json,
            counter: counter_of(&json),
            created_at: now,
        };
        match rows::insert(conn, &new) {
            Ok(()) => {}
            Err(e) if db::is_unique_violation(&e, CREDENTIAL_UNIQUE) => {
                return Err(e); // a concurrent registration won: roll back, answer 409 below
            }
            Err(e) => return Err(e),
        }
        Ok(Ok(PasskeyListing {
            id,
            name,
            created_at: now,
            last_used_at: None,
        }))
    })
    .await;
    let listing = match outcome {
        Ok(result) => result?,
        Err(Fault::Internal(e)) if is_credential_conflict(&e) => {
            return Err(PasskeyFlowError::AlreadyRegistered)
        }
        Err(fault) => return Err(fault.into()),
    };
    tracing::info!(target: "audit", event = "passkey_added", user_id = %uid, passkey_id = %listing.id, session_id = %auth.session_id(), client_ip = %client.ip);
    Ok(listing)
}

/// The signature counter inside a stored passkey's JSON (0 when absent).
pub(super) fn counter_of(json: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v["cred"]["counter"].as_i64())
        .unwrap_or(0)
}

/// A fault that is the unique index on `passkeys.credential_id`.
fn is_credential_conflict(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<diesel::result::Error>())
        .any(|d| db::is_unique_violation(d, CREDENTIAL_UNIQUE))
}
