//! Registration refuses passkeys that cannot sign in on their own.

use super::*;

#[test]
fn registration_refuses_a_response_the_browser_says_is_not_resident() {
    let rp = Passkeys::new(PUBLIC_URL).unwrap();
    let (options, state) = start_for_soft(&rp, Uuid::new_v4());
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
    let (mut options, state) = start_for_soft(&rp, Uuid::new_v4());
    let selection = options.public_key.authenticator_selection.as_mut().unwrap();
    selection.user_verification = webauthn_rs_proto::UserVerificationPolicy::Preferred;
    let mut soft = WebauthnAuthenticator::new(SoftPasskey::new(false));
    let response = soft.do_registration(origin(), options).unwrap();
    let err = rp.finish_registration(state, &response).unwrap_err();
    assert!(
        matches!(err, PasskeyError::Rejected(WebauthnError::UserNotVerified)),
        "{err:?}"
    );
}
