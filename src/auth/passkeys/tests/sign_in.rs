//! Usernameless sign-in: the assertion, its binding, and replays.

use super::*;

#[test]
fn register_then_sign_in_without_a_username() {
    let (rp, mut soft, user, saved) = registered();
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
    let (rp, mut soft, user, saved) = registered();
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
    let (rp, mut soft, user, saved) = registered();
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
