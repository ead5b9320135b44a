//! Which `PUBLIC_URL`s can serve passkeys, and what the ceremonies ask the browser for.

use super::*;

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
    let (rp, _, user, saved) = registered();
    let stored = StoredPasskey::from_json(&saved).unwrap();

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
