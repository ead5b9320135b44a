//! Passkey ceremonies against webauthn-authenticator-rs's software authenticator.
//!
//! `SoftPasskey` cannot store resident keys and cannot discover credentials: it refuses
//! `requireResidentKey: true`, needs the credential in `allowCredentials`, and returns no
//! `userHandle`. The tests bridge exactly those three points (a resident-key authenticator
//! would do them itself, and the browser test does them with Chromium's virtual
//! authenticator); everything webauthn-rs verifies is the authenticator's real output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use webauthn_authenticator_rs::prelude::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs_proto::AllowCredentials;

use super::*;

mod options;
mod registration;
mod sign_in;

const PUBLIC_URL: &str = "http://localhost:8080";

fn origin() -> Url {
    Url::parse(PUBLIC_URL).unwrap()
}

/// Through JSON, as the start answer and the browser's finish body travel.
fn via_json<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

fn json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Starts a registration for `user`, with the options as `SoftPasskey` takes
/// them: it refuses `requireResidentKey`, so that is switched off.
fn start_for_soft(rp: &Passkeys, user: Uuid) -> (CreationChallengeResponse, PendingRegistration) {
    let (options, state) = rp
        .start_registration(user, "ann@example.com", "Ann", &[])
        .unwrap();
    let mut for_soft = via_json(&options);
    for_soft
        .public_key
        .authenticator_selection
        .as_mut()
        .unwrap()
        .require_resident_key = false;
    (for_soft, state)
}

/// Registers a passkey for `user` on `soft`; returns it as stored (JSON text).
fn register(rp: &Passkeys, soft: &mut WebauthnAuthenticator<SoftPasskey>, user: Uuid) -> String {
    let (for_soft, state) = start_for_soft(rp, user);
    let state = state.to_json().unwrap();
    let response = via_json(&soft.do_registration(origin(), for_soft).unwrap());
    let state = PendingRegistration::from_json(&state).unwrap();
    rp.finish_registration(state, &response)
        .unwrap()
        .to_json()
        .unwrap()
}

/// One usernameless sign-in assertion from `soft` for the stored passkey; returns the
/// ceremony state (JSON) and the browser's answer.
fn assert_with(
    rp: &Passkeys,
    soft: &mut WebauthnAuthenticator<SoftPasskey>,
    stored: &StoredPasskey,
    user: Uuid,
) -> (String, PublicKeyCredential) {
    let (options, state) = rp.start_login().unwrap();
    let mut for_soft = via_json(&options);
    for_soft
        .public_key
        .allow_credentials
        .push(AllowCredentials {
            type_: "public-key".into(),
            id: stored.0.cred_id().to_vec().into(),
            transports: None,
        });
    let mut response = soft.do_authentication(origin(), for_soft).unwrap();
    // A resident key returns the user.id given at registration; it is not signed.
    response.response.user_handle = Some(user.as_bytes().to_vec().into());
    (state.to_json().unwrap(), via_json(&response))
}

fn counter(stored: &StoredPasskey) -> u64 {
    json(&stored.0)["cred"]["counter"].as_u64().unwrap()
}

/// A relying party on `PUBLIC_URL`, a user, and a soft authenticator that has
/// registered a passkey for them (returned as stored, JSON text).
fn registered() -> (Passkeys, WebauthnAuthenticator<SoftPasskey>, Uuid, String) {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let user = Uuid::new_v4();
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let saved = register(&rp, &mut soft, user);
    (rp, soft, user, saved)
}
