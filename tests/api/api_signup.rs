//! `POST /api/auth/signup`: the token response, how the email and password
//! are normalised and checked, and what is refused.

use crate::helpers::*;

use reqwest::header::CACHE_CONTROL;
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Sign-up
// ---------------------------------------------------------------------------

#[tokio::test]
async fn signup_returns_201_with_the_token_response_and_no_store() {
    let app = spawn_app().await;

    let res = app
        .signup(&json!({ "email": "ann@example.com", "password": PASSWORD, "name": "Ann" }))
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let body: Value = res.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    for k in [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "user",
    ] {
        assert!(body.get(k).is_some(), "missing {k} in {body}");
    }
    assert_eq!(keys.len(), 5, "unexpected keys in {body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(refresh.len() >= 43, "at least 256 bits: {refresh}");
    assert_ne!(refresh, access);
    let user = &body["user"];
    assert_eq!(user.as_object().unwrap().len(), 6, "user shape: {user}");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["two_factor"], false);
    assert!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok());
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["name"], "Ann");
    assert!(
        is_rfc3339_utc(user["created_at"].as_str().unwrap()),
        "{user}"
    );
    assert_eq!(app.me(access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signup_trims_and_lowercases_the_email_and_login_accepts_any_case() {
    let app = spawn_app().await;

    let res = app
        .signup(&json!({ "email": "  Alice.Smith@Example.COM \t", "password": PASSWORD }))
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "alice.smith@example.com");
    assert_eq!(
        app.login("alice.smith@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(" ALICE.SMITH@example.com ", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signup_with_a_taken_email_is_409_even_in_another_case() {
    let app = spawn_app().await;
    app.api_signup("bob@example.com").await;

    let same = app
        .signup(&json!({ "email": "bob@example.com", "password": "another good passphrase" }))
        .await;
    let other_case = app
        .signup(&json!({ "email": " BOB@Example.com ", "password": "another good passphrase" }))
        .await;

    for (res, what) in [(same, "same"), (other_case, "other case")] {
        assert_eq!(res.status(), StatusCode::CONFLICT, "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "conflict", "{what}: {body}");
    }
    // The original account is untouched: its password still works, the other does not.
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("bob@example.com", "another good passphrase")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn signup_refuses_malformed_emails_with_422_naming_the_email_field() {
    let app = spawn_app().await;
    let too_long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
    let bad = [
        "",
        "   ",
        "alice",
        "@example.com",
        "alice@",
        "a@b@example.com",
        "a b@example.com",
        too_long.as_str(),
    ];

    for email in bad {
        let res = app
            .signup(&json!({ "email": email, "password": PASSWORD }))
            .await;

        assert_invalid_field(res, "email", &format!("email {email:?}")).await;
    }
}

#[tokio::test]
async fn signup_accepts_an_email_of_exactly_254_characters() {
    let app = spawn_app().await;
    let email = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
    assert_eq!(email.chars().count(), 254);

    let res = app
        .signup(&json!({ "email": email, "password": PASSWORD }))
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], email.as_str());
}

#[tokio::test]
async fn signup_refuses_short_common_email_equal_and_over_long_passwords_with_422() {
    let app = spawn_app().await;
    let cases = [
        ("short@example.com", "short7!".to_owned(), "7 characters"),
        ("common@example.com", "password1".to_owned(), "common"),
        ("common2@example.com", "iloveyou".to_owned(), "common"),
        (
            "same@example.com",
            "same@example.com".to_owned(),
            "equal to email",
        ),
        ("long@example.com", "x".repeat(129), "129 characters"),
    ];

    for (email, password, what) in cases {
        let res = app
            .signup(&json!({ "email": email, "password": password }))
            .await;

        assert_invalid_field(res, "password", what).await;
        assert_eq!(
            app.login(email, &password).await.status(),
            StatusCode::UNAUTHORIZED,
            "{what}: no account was created"
        );
    }
}

#[tokio::test]
async fn signup_accepts_a_password_of_exactly_128_characters() {
    let app = spawn_app().await;
    let password = "Zq".repeat(64);

    let res = app
        .signup(&json!({ "email": "max@example.com", "password": password }))
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        app.login("max@example.com", &password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn password_length_counts_unicode_characters_not_bytes() {
    let app = spawn_app().await;
    // 8 characters, 16 bytes: long enough.
    let eight = "éàüöçñøß";
    // 7 characters but 14 and 28 bytes: too short.
    let seven_accented = "éàüöçñø";
    let seven_emoji = "🔑🔒🗝🔓🛡🚪🧱";

    let ok = app
        .signup(&json!({ "email": "uni@example.com", "password": eight }))
        .await;
    let short1 = app
        .signup(&json!({ "email": "uni2@example.com", "password": seven_accented }))
        .await;
    let short2 = app
        .signup(&json!({ "email": "uni3@example.com", "password": seven_emoji }))
        .await;

    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(
        app.login("uni@example.com", eight).await.status(),
        StatusCode::OK
    );
    assert_invalid_field(short1, "password", "7 accented characters").await;
    assert_invalid_field(short2, "password", "7 emoji").await;
}

#[tokio::test]
async fn passwords_are_kept_exactly_as_typed_without_trimming() {
    let app = spawn_app().await;
    let password = "  spaced out passphrase  ";
    let res = app
        .signup(&json!({ "email": "space@example.com", "password": password }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let exact = app.login("space@example.com", password).await;
    let trimmed = app.login("space@example.com", password.trim()).await;

    assert_eq!(exact.status(), StatusCode::OK);
    assert_eq!(trimmed.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_nul_character_in_any_signup_field_is_refused_with_422() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "email": "nul\u{0}@example.com", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": "nul1@example.com", "password": "correct horse\u{0} battery" }),
            "password",
        ),
        (
            json!({ "email": "nul2@example.com", "password": PASSWORD, "name": "Ann\u{0}Lee" }),
            "name",
        ),
    ];

    for (body, field) in cases {
        let res = app.signup(&body).await;

        assert_invalid_field(res, field, &format!("NUL in {field}")).await;
    }
    assert_eq!(
        app.login("nul2@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "no account was created"
    );
}
