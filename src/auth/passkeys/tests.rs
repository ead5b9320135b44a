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

/// Registers a passkey for `user` on `soft`; returns it as stored (JSON text).
fn register(rp: &Passkeys, soft: &mut WebauthnAuthenticator<SoftPasskey>, user: Uuid) -> String {
    let (options, state) = rp
        .start_registration(user, "ann@example.com", "Ann", &[])
        .unwrap();
    let state = state.to_json().unwrap();
    let mut for_soft = via_json(&options);
    let selection = for_soft
        .public_key
        .authenticator_selection
        .as_mut()
        .unwrap();
    selection.require_resident_key = false; // SoftPasskey refuses resident keys
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

#[test]
fn public_url_decides_whether_passkeys_work() {
    for ok in [
        PUBLIC_URL,
        "https://auth.example.com",
        "http://app.localhost:3000/base/",
    ] {
        assert!(Passkeys::new(ok).is_ok(), "{ok}");
    }
    let refused = |url| Passkeys::new(url).map(|_| ()).unwrap_err();
    assert_eq!(
        refused("http://127.0.0.1:8080"),
        Unavailable::IpAddress("127.0.0.1".into())
    );
    assert_eq!(
        refused("https://[::1]:8443"),
        Unavailable::IpAddress("[::1]".into())
    );
    assert_eq!(
        refused("http://example.com"),
        Unavailable::Insecure("http".into())
    );
    assert_eq!(refused("localhost:8080"), Unavailable::NoHost);
    assert_eq!(
        refused("ftp://example.com"),
        Unavailable::Insecure("ftp".into())
    );
    assert_eq!(refused("no url"), Unavailable::InvalidUrl);
    let why = refused("http://10.0.0.5").to_string();
    assert!(why.contains("10.0.0.5 is an IP address"), "{why}");
}

#[test]
fn options_ask_for_a_discoverable_user_verified_passkey() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let user = Uuid::new_v4();
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let stored = StoredPasskey::from_json(&register(&rp, &mut soft, user)).unwrap();

    let (options, _) = rp
        .start_registration(user, "ann@example.com", "", std::slice::from_ref(&stored))
        .unwrap();
    let pk = &json(&options)["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "ann@example.com");
    assert_eq!(pk["user"]["displayName"], "ann@example.com"); // empty display name
    assert_eq!(pk["user"]["id"], URL_SAFE_NO_PAD.encode(user.as_bytes()));
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["requireResidentKey"], true);
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["excludeCredentials"][0]["id"], stored.credential_id());
    assert_eq!(pk["timeout"], 300_000);

    let (options, _) = rp.start_login().unwrap();
    let options = json(&options);
    assert_eq!(
        options.get("mediation"),
        None,
        "a button wants the modal picker"
    );
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        serde_json::json!([])
    );
    assert_eq!(options["publicKey"]["userVerification"], "required");
}

#[test]
fn register_then_sign_in_without_a_username() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let user = Uuid::new_v4();
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let saved = register(&rp, &mut soft, user);
    let mut stored = StoredPasskey::from_json(&saved).unwrap();
    assert_eq!(counter(&stored), 0, "registration stores counter 0");

    let (state, response) = assert_with(&rp, &mut soft, &stored, user);
    let claimed = Passkeys::identify(&response).unwrap();
    assert_eq!(claimed.credential_id, stored.credential_id());
    assert_eq!(claimed.user_handle, user);
    let state = PendingLogin::from_json(&state).unwrap();
    let verified = rp
        .finish_login(state, &response, user, &mut stored)
        .unwrap();
    // SoftPasskey counts signatures from 1; webauthn-rs raised the stored counter.
    assert_eq!(
        verified,
        Verified {
            counter: 1,
            changed: true
        }
    );
    assert_eq!(counter(&stored), 1);

    let (_, second) = assert_with(&rp, &mut soft, &stored, user);
    let (_, state) = rp.start_login().unwrap();
    let err = rp
        .finish_login(state, &second, user, &mut stored)
        .unwrap_err();
    assert!(
        matches!(err, PasskeyError::Rejected(_)),
        "another ceremony's challenge: {err:?}"
    );
}

/// What the caller's delete-on-first-use must prevent: webauthn-rs verifies the same response
/// against the same state again. Only a counter that was saved (and is > 0) stops it.
#[test]
fn webauthn_rs_accepts_a_replay_unless_the_state_is_gone() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let user = Uuid::new_v4();
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let saved = register(&rp, &mut soft, user);
    let (state, response) = assert_with(
        &rp,
        &mut soft,
        &StoredPasskey::from_json(&saved).unwrap(),
        user,
    );

    let finish = |stored: &mut StoredPasskey| {
        let state = PendingLogin::from_json(&state).unwrap();
        rp.finish_login(state, &response, user, stored)
    };
    let mut first = StoredPasskey::from_json(&saved).unwrap();
    assert!(finish(&mut first).is_ok());
    // The counter update was not saved (or two requests raced): the replay passes.
    let mut unsaved = StoredPasskey::from_json(&saved).unwrap();
    assert!(
        finish(&mut unsaved).is_ok(),
        "webauthn-rs accepts the same response twice"
    );
    // The counter (1) was saved: the replay's counter is not greater, so it is refused.
    let err = finish(&mut first).unwrap_err();
    assert!(matches!(err, PasskeyError::CounterWentBack), "{err:?}");
}

#[test]
fn a_response_is_bound_to_origin_owner_and_user_handle() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let user = Uuid::new_v4();
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let saved = register(&rp, &mut soft, user);
    let stored = StoredPasskey::from_json(&saved).unwrap();

    let (state, response) = assert_with(&rp, &mut soft, &stored, user);
    let state = || PendingLogin::from_json(&state).unwrap();
    let err = rp.finish_login(state(), &response, Uuid::new_v4(), &mut stored.clone());
    assert!(matches!(err, Err(PasskeyError::WrongUser)));
    let mut no_handle = response.clone();
    no_handle.response.user_handle = None;
    assert!(matches!(
        Passkeys::identify(&no_handle),
        Err(PasskeyError::NoUserHandle)
    ));

    let other_port = Passkeys::new("http://localhost:9090").unwrap();
    let err = other_port.finish_login(state(), &response, user, &mut stored.clone());
    assert!(matches!(err, Err(PasskeyError::Rejected(_))), "{err:?}");
}

#[test]
fn registration_refuses_a_response_the_browser_says_is_not_resident() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let (options, state) = rp
        .start_registration(Uuid::new_v4(), "a@example.com", "A", &[])
        .unwrap();
    let mut options = via_json(&options);
    options
        .public_key
        .authenticator_selection
        .as_mut()
        .unwrap()
        .require_resident_key = false;
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let mut response = soft.do_registration(origin(), options).unwrap();
    response.extensions.cred_props = Some(webauthn_rs_proto::CredProps { rk: Some(false) });
    let err = rp.finish_registration(state, &response).unwrap_err();
    assert!(matches!(err, PasskeyError::NotDiscoverable), "{err:?}");
}

/// A soft token that does not verify the user is refused (it sets UP but not UV).
#[test]
fn user_verification_is_required() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let (options, state) = rp
        .start_registration(Uuid::new_v4(), "a@example.com", "A", &[])
        .unwrap();
    let mut options = via_json(&options);
    let selection = options.public_key.authenticator_selection.as_mut().unwrap();
    selection.require_resident_key = false;
    selection.user_verification = webauthn_rs_proto::UserVerificationPolicy::Preferred;
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(false));
    let response = soft.do_registration(origin(), options).unwrap();
    let err = rp.finish_registration(state, &response).unwrap_err();
    assert!(
        matches!(err, PasskeyError::Rejected(WebauthnError::UserNotVerified)),
        "{err:?}"
    );
}
