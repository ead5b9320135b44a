use crate::helpers::*;

use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------

const NEW_PASSWORD: &str = "a brand new passphrase 42";

async fn signup_with(app: &TestApp, body: Value) -> Response {
    app.post_json("/api/auth/signup", &body).await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.post_json(
        "/api/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

/// Logs in and returns (access, refresh).
async fn login_tokens(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let res = login(app, email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "login {email}");
    let body: Value = res.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Response {
    app.post_json(
        "/api/auth/refresh",
        &json!({ "refresh_token": refresh_token }),
    )
    .await
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.bearer(Method::GET, "/api/auth/me", token, None).await
}

fn www_authenticate(res: &Response) -> String {
    res.headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A 401 for a presented-and-refused token, as RFC 6750 and the contract describe.
async fn assert_token_refused(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let www = www_authenticate(&res);
    assert!(
        www.starts_with("Bearer") && www.contains(r#"realm="taskgate""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    assert!(
        www.contains(r#"error="invalid_token""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
}

/// A 422 `validation_failed` naming `field`.
async fn assert_invalid_field(res: Response, field: &str, what: &str) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed", "{what}: {body}");
    let reason = body["error"]["fields"][field].as_str().unwrap_or_default();
    assert!(
        !reason.is_empty(),
        "{what}: fields.{field} missing in {body}"
    );
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let res = app
        .bearer(Method::GET, "/api/auth/sessions", token, None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["sessions"].as_array().unwrap().clone()
}

fn current_session_id(list: &[Value]) -> String {
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {list:?}");
    current[0]["id"].as_str().unwrap().to_owned()
}

fn is_rfc3339_utc(s: &str) -> bool {
    s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// A client with no cookie jar that sends exactly the cookie given.
fn cookie_request(method: Method, url: String, access: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, url)
        .header(reqwest::header::COOKIE, format!("tg_access={access}"))
}

// ---------------------------------------------------------------------------
// Sign-up
// ---------------------------------------------------------------------------

#[tokio::test]
async fn signup_returns_201_with_the_token_response_and_no_store() {
    let app = spawn_app().await;

    let res = signup_with(
        &app,
        json!({ "email": "ann@example.com", "password": PASSWORD, "name": "Ann" }),
    )
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
    assert_eq!(me(&app, access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signup_trims_and_lowercases_the_email_and_login_accepts_any_case() {
    let app = spawn_app().await;

    let res = signup_with(
        &app,
        json!({ "email": "  Alice.Smith@Example.COM \t", "password": PASSWORD }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "alice.smith@example.com");
    assert_eq!(
        login(&app, "alice.smith@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, " ALICE.SMITH@example.com ", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signup_with_a_taken_email_is_409_even_in_another_case() {
    let app = spawn_app().await;
    app.api_signup("bob@example.com").await;

    let same = signup_with(
        &app,
        json!({ "email": "bob@example.com", "password": "another good passphrase" }),
    )
    .await;
    let other_case = signup_with(
        &app,
        json!({ "email": " BOB@Example.com ", "password": "another good passphrase" }),
    )
    .await;

    for (res, what) in [(same, "same"), (other_case, "other case")] {
        assert_eq!(res.status(), StatusCode::CONFLICT, "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "conflict", "{what}: {body}");
    }
    // The original account is untouched: its password still works, the other does not.
    assert_eq!(
        login(&app, "bob@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "bob@example.com", "another good passphrase")
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
        let res = signup_with(&app, json!({ "email": email, "password": PASSWORD })).await;

        assert_invalid_field(res, "email", &format!("email {email:?}")).await;
    }
}

#[tokio::test]
async fn signup_accepts_an_email_of_exactly_254_characters() {
    let app = spawn_app().await;
    let email = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
    assert_eq!(email.chars().count(), 254);

    let res = signup_with(&app, json!({ "email": email, "password": PASSWORD })).await;

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
        let res = signup_with(&app, json!({ "email": email, "password": password })).await;

        assert_invalid_field(res, "password", what).await;
        assert_eq!(
            login(&app, email, &password).await.status(),
            StatusCode::UNAUTHORIZED,
            "{what}: no account was created"
        );
    }
}

#[tokio::test]
async fn signup_accepts_a_password_of_exactly_128_characters() {
    let app = spawn_app().await;
    let password = "Zq".repeat(64);

    let res = signup_with(
        &app,
        json!({ "email": "max@example.com", "password": password }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        login(&app, "max@example.com", &password).await.status(),
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

    let ok = signup_with(
        &app,
        json!({ "email": "uni@example.com", "password": eight }),
    )
    .await;
    let short1 = signup_with(
        &app,
        json!({ "email": "uni2@example.com", "password": seven_accented }),
    )
    .await;
    let short2 = signup_with(
        &app,
        json!({ "email": "uni3@example.com", "password": seven_emoji }),
    )
    .await;

    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(
        login(&app, "uni@example.com", eight).await.status(),
        StatusCode::OK
    );
    assert_invalid_field(short1, "password", "7 accented characters").await;
    assert_invalid_field(short2, "password", "7 emoji").await;
}

#[tokio::test]
async fn passwords_are_kept_exactly_as_typed_without_trimming() {
    let app = spawn_app().await;
    let password = "  spaced out passphrase  ";
    let res = signup_with(
        &app,
        json!({ "email": "space@example.com", "password": password }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let exact = login(&app, "space@example.com", password).await;
    let trimmed = login(&app, "space@example.com", password.trim()).await;

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
        let res = signup_with(&app, body.clone()).await;

        assert_invalid_field(res, field, &format!("NUL in {field}")).await;
    }
    assert_eq!(
        login(&app, "nul2@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "no account was created"
    );
}

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

#[tokio::test]
async fn login_returns_200_with_a_fresh_token_pair_and_no_store() {
    let app = spawn_app().await;
    let user = app.api_signup("carol@example.com").await;

    let res = login(&app, "carol@example.com", PASSWORD).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert_eq!(body["user"]["email"], "carol@example.com");
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_ne!(access, user.access);
    assert_ne!(refresh, user.refresh);
    assert_eq!(me(&app, access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_failure_is_identical_for_a_wrong_password_and_an_unknown_email() {
    let app = spawn_app().await;
    app.api_signup("dave@example.com").await;

    let wrong_password = login(&app, "dave@example.com", "not the right passphrase").await;
    let unknown_email = login(&app, "nobody@example.com", "not the right passphrase").await;

    let wrong = (
        wrong_password.status(),
        www_authenticate(&wrong_password),
        wrong_password.text().await.unwrap(),
    );
    let unknown = (
        unknown_email.status(),
        www_authenticate(&unknown_email),
        unknown_email.text().await.unwrap(),
    );
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.1, r#"Bearer realm="taskgate""#);
    let body: Value = serde_json::from_str(&wrong.2).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(wrong, unknown);
}

// ---------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------

#[tokio::test]
async fn refresh_rotates_the_pair_and_the_new_tokens_work() {
    let app = spawn_app().await;
    let user = app.api_signup("erin@example.com").await;

    let res = refresh(&app, &user.refresh).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["id"], user.id.as_str());
    let access = body["access_token"].as_str().unwrap().to_owned();
    let rotated = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, user.refresh, "the refresh token rotates");
    assert_eq!(me(&app, &access).await.status(), StatusCode::OK);
    // The rotated refresh token can itself be used once.
    assert_eq!(refresh(&app, &rotated).await.status(), StatusCode::OK);
    // Rotation renews the same session; it does not open another one.
    assert_eq!(sessions(&app, &access).await.len(), 1);
}

#[tokio::test]
async fn reusing_an_old_refresh_token_is_401_and_revokes_the_whole_session() {
    // Strict: no grace window (REFRESH_REUSE_GRACE_SECS=0).
    let app = spawn_app_with(|c| c.refresh_reuse_grace = std::time::Duration::ZERO).await;
    let user = app.api_signup("frank@example.com").await;
    let res = refresh(&app, &user.refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    let new_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &new_access).await.status(), StatusCode::OK);

    let reuse = refresh(&app, &user.refresh).await;

    assert_token_refused(reuse, "reused refresh token").await;
    assert_token_refused(me(&app, &new_access).await, "rotated access token").await;
    assert_token_refused(me(&app, &user.access).await, "original access token").await;
    assert_token_refused(refresh(&app, &new_refresh).await, "rotated refresh token").await;
}

#[tokio::test]
async fn refresh_with_an_unknown_or_garbage_token_is_401() {
    let app = spawn_app().await;
    app.api_signup("gina@example.com").await;

    for token in [
        "not-a-refresh-token",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    ] {
        let res = refresh(&app, token).await;

        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn an_access_token_is_not_accepted_as_a_refresh_token() {
    let app = spawn_app().await;
    let user = app.api_signup("hank@example.com").await;

    let res = refresh(&app, &user.access).await;

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &user.access).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Logout and me
// ---------------------------------------------------------------------------

#[tokio::test]
async fn logout_is_204_and_the_sessions_tokens_are_refused_afterwards() {
    let app = spawn_app().await;
    let user = app.api_signup("ivy@example.com").await;

    let res = app
        .bearer(Method::POST, "/api/auth/logout", &user.access, None)
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(me(&app, &user.access).await, "access after logout").await;
    assert_token_refused(
        app.bearer(Method::GET, "/api/tasks", &user.access, None)
            .await,
        "tasks after logout",
    )
    .await;
    assert_eq!(
        refresh(&app, &user.refresh).await.status(),
        StatusCode::UNAUTHORIZED,
        "refresh after logout"
    );
}

#[tokio::test]
async fn logout_leaves_the_users_other_sessions_alive() {
    let app = spawn_app().await;
    let user = app.api_signup("jack@example.com").await;
    let (other_access, _) = login_tokens(&app, "jack@example.com", PASSWORD).await;

    let res = app
        .bearer(Method::POST, "/api/auth/logout", &user.access, None)
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &other_access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn me_returns_the_callers_account() {
    let app = spawn_app().await;
    let res = signup_with(
        &app,
        json!({ "email": "kim@example.com", "password": PASSWORD, "name": "Kim" }),
    )
    .await;
    let token: Value = res.json().await.unwrap();
    let access = token["access_token"].as_str().unwrap();
    app.api_signup("someone-else@example.com").await;

    let res = me(&app, access).await;

    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body, token["user"],
        "me equals the user of the token response"
    );
    assert_eq!(body["email"], "kim@example.com");
    assert_eq!(body["name"], "Kim");
    assert!(body.get("password_hash").is_none());
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sessions_list_marks_the_callers_session_current_and_grows_with_each_login() {
    let app = spawn_app().await;
    let user = app.api_signup("lea@example.com").await;

    let first = sessions(&app, &user.access).await;
    let (second_access, _) = login_tokens(&app, "lea@example.com", PASSWORD).await;
    let from_first = sessions(&app, &user.access).await;
    let from_second = sessions(&app, &second_access).await;

    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["current"], true);
    for s in &first {
        for key in ["id", "created_at", "last_used_at", "user_agent", "current"] {
            assert!(s.get(key).is_some(), "missing {key} in {s}");
        }
        assert!(is_rfc3339_utc(s["created_at"].as_str().unwrap()), "{s}");
        assert!(is_rfc3339_utc(s["last_used_at"].as_str().unwrap()), "{s}");
    }
    assert_eq!(from_first.len(), 2);
    assert_eq!(from_second.len(), 2);
    let first_id = current_session_id(&from_first);
    let second_id = current_session_id(&from_second);
    assert_eq!(first_id, first[0]["id"].as_str().unwrap());
    assert_ne!(first_id, second_id);
}

#[tokio::test]
async fn sessions_list_never_shows_another_users_sessions() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice@example.com").await;
    let bob = app.api_signup("bob@example.com").await;
    login_tokens(&app, "bob@example.com", PASSWORD).await;

    let alice_list = sessions(&app, &alice.access).await;
    let bob_list = sessions(&app, &bob.access).await;

    assert_eq!(alice_list.len(), 1);
    assert_eq!(bob_list.len(), 2);
    let bob_ids: Vec<&Value> = bob_list.iter().map(|s| &s["id"]).collect();
    assert!(!bob_ids.contains(&&alice_list[0]["id"]));
}

#[tokio::test]
async fn deleting_one_of_my_sessions_is_204_and_refuses_its_tokens() {
    let app = spawn_app().await;
    let user = app.api_signup("mia@example.com").await;
    let (other_access, other_refresh) = login_tokens(&app, "mia@example.com", PASSWORD).await;
    let other_id = current_session_id(&sessions(&app, &other_access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{other_id}"),
            &user.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(me(&app, &other_access).await, "revoked session's access").await;
    assert_eq!(
        refresh(&app, &other_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&app, &user.access).await.status(), StatusCode::OK);
    let left = sessions(&app, &user.access).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0]["id"], other_id.as_str());
}

#[tokio::test]
async fn deleting_my_current_session_signs_this_token_out() {
    let app = spawn_app().await;
    let user = app.api_signup("nick@example.com").await;
    let id = current_session_id(&sessions(&app, &user.access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{id}"),
            &user.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(me(&app, &user.access).await, "own revoked session").await;
    assert_eq!(
        refresh(&app, &user.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_another_users_session_is_404_and_leaves_it_alive() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice@example.com").await;
    let bob = app.api_signup("bob@example.com").await;
    let bob_session = current_session_id(&sessions(&app, &bob.access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{bob_session}"),
            &alice.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(me(&app, &bob.access).await.status(), StatusCode::OK);
    assert_eq!(sessions(&app, &bob.access).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_garbage_or_unknown_session_id_is_404() {
    let app = spawn_app().await;
    let user = app.api_signup("ned@example.com").await;
    let random = uuid::Uuid::new_v4().to_string();

    for id in ["not-a-session", "1", "%27%20OR%201%3D1--", random.as_str()] {
        let res = app
            .bearer(
                Method::DELETE,
                &format!("/api/auth/sessions/{id}"),
                &user.access,
                None,
            )
            .await;

        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{id}");
    }
    assert_eq!(me(&app, &user.access).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Password change
// ---------------------------------------------------------------------------

#[tokio::test]
async fn changing_the_password_is_204_revokes_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let user = app.api_signup("olga@example.com").await;
    let (other_access, other_refresh) = login_tokens(&app, "olga@example.com", PASSWORD).await;

    let res = app
        .bearer(
            Method::POST,
            "/api/auth/password",
            &user.access,
            Some(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(me(&app, &other_access).await, "other session's access").await;
    assert_eq!(
        refresh(&app, &other_refresh).await.status(),
        StatusCode::UNAUTHORIZED,
        "other session's refresh"
    );
    assert_eq!(me(&app, &user.access).await.status(), StatusCode::OK);
    assert_eq!(
        refresh(&app, &user.refresh).await.status(),
        StatusCode::OK,
        "this session's refresh token still works"
    );
    assert_eq!(
        login(&app, "olga@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "olga@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_with_a_wrong_current_password_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.api_signup("pam@example.com").await;
    let (other_access, _) = login_tokens(&app, "pam@example.com", PASSWORD).await;

    let res = app
        .bearer(
            Method::POST,
            "/api/auth/password",
            &user.access,
            Some(&json!({ "current_password": "not my password!", "new_password": NEW_PASSWORD })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(me(&app, &other_access).await.status(), StatusCode::OK);
    assert_eq!(
        login(&app, "pam@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "pam@example.com", NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_to_a_password_that_breaks_the_rules_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.api_signup("quinn@example.com").await;

    for bad in ["short", "password1", "quinn@example.com"] {
        let res = app
            .bearer(
                Method::POST,
                "/api/auth/password",
                &user.access,
                Some(&json!({ "current_password": PASSWORD, "new_password": bad })),
            )
            .await;

        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed", "{bad}");
    }
    assert_eq!(
        login(&app, "quinn@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------
// Account deletion
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deleting_the_account_with_a_wrong_password_is_403_and_keeps_everything() {
    let app = spawn_app().await;
    let user = app.api_signup("rita@example.com").await;
    app.api_create_task(&user.access, "keep me").await;

    let res = app
        .bearer(
            Method::DELETE,
            "/api/auth/account",
            &user.access,
            Some(&json!({ "password": "not my password!" })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(me(&app, &user.access).await.status(), StatusCode::OK);
    let list: Value = app
        .bearer(Method::GET, "/api/tasks", &user.access, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn deleting_the_account_is_204_and_removes_the_user_sessions_and_tasks() {
    let app = spawn_app().await;
    let user = app.api_signup("sam@example.com").await;
    let (other_access, _) = login_tokens(&app, "sam@example.com", PASSWORD).await;
    let task = app.api_create_task(&user.access, "soon gone").await;
    app.api_create_task(&user.access, "also gone").await;

    let res = app
        .bearer(
            Method::DELETE,
            "/api/auth/account",
            &user.access,
            Some(&json!({ "password": PASSWORD })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(me(&app, &user.access).await, "deleted user's access").await;
    assert_token_refused(
        me(&app, &other_access).await,
        "deleted user's other session",
    )
    .await;
    assert_eq!(
        refresh(&app, &user.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "sam@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app.api_signup("sam@example.com").await;
    assert_ne!(again.id, user.id);
    let list: Value = app
        .bearer(Method::GET, "/api/tasks", &again.access, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(list["tasks"].as_array().unwrap().len(), 0);
    let old = app
        .bearer(
            Method::GET,
            &format!("/api/tasks/{}", task["id"].as_str().unwrap()),
            &again.access,
            None,
        )
        .await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------
// Cookie-authenticated API and CSRF
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_access_cookie_authenticates_api_reads() {
    let app = spawn_app().await;
    let user = app.api_signup("tom@example.com").await;
    app.api_create_task(&user.access, "visible via cookie")
        .await;

    let me_res = cookie_request(Method::GET, app.url("/api/auth/me"), &user.access)
        .send()
        .await
        .unwrap();
    let list_res = cookie_request(Method::GET, app.url("/api/tasks"), &user.access)
        .send()
        .await
        .unwrap();

    assert_eq!(me_res.status(), StatusCode::OK);
    let body: Value = me_res.json().await.unwrap();
    assert_eq!(body["id"], user.id.as_str());
    assert_eq!(list_res.status(), StatusCode::OK);
    let list: Value = list_res.json().await.unwrap();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn a_refused_access_cookie_is_401_with_invalid_token() {
    let app = spawn_app().await;
    let user = app.api_signup("tim@example.com").await;
    let res = app
        .bearer(Method::POST, "/api/auth/logout", &user.access, None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let revoked = cookie_request(Method::GET, app.url("/api/auth/me"), &user.access)
        .send()
        .await
        .unwrap();
    let garbage = cookie_request(Method::GET, app.url("/api/tasks"), "garbage.token.value")
        .send()
        .await
        .unwrap();

    assert_token_refused(revoked, "revoked session's cookie").await;
    assert_token_refused(garbage, "garbage cookie").await;
}

#[tokio::test]
async fn cookie_authenticated_writes_without_a_csrf_header_are_403_and_change_nothing() {
    let app = spawn_app().await;
    let user = app.api_signup("uma@example.com").await;
    let task = app.api_create_task(&user.access, "original").await;
    let task_path = format!("/api/tasks/{}", task["id"].as_str().unwrap());

    let create = cookie_request(Method::POST, app.url("/api/tasks"), &user.access)
        .json(&json!({ "title": "forged" }))
        .send()
        .await
        .unwrap();
    let patch = cookie_request(Method::PATCH, app.url(&task_path), &user.access)
        .json(&json!({ "title": "forged", "completed": true }))
        .send()
        .await
        .unwrap();
    let delete = cookie_request(Method::DELETE, app.url(&task_path), &user.access)
        .send()
        .await
        .unwrap();
    let logout = cookie_request(Method::POST, app.url("/api/auth/logout"), &user.access)
        .send()
        .await
        .unwrap();

    for (res, what) in [
        (create, "POST"),
        (patch, "PATCH"),
        (delete, "DELETE"),
        (logout, "logout"),
    ] {
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden", "{what}");
    }
    let now: Value = app
        .bearer(Method::GET, &task_path, &user.access, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now, task, "the task is unchanged");
    let list: Value = app
        .bearer(Method::GET, "/api/tasks", &user.access, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "nothing was created");
    assert_eq!(
        me(&app, &user.access).await.status(),
        StatusCode::OK,
        "not logged out"
    );
}

#[tokio::test]
async fn cookie_authenticated_writes_with_the_pages_csrf_token_succeed() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.web_signup(&client, "vera@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let csrf = app.csrf_from(&client, "/tasks").await;

    let created = client
        .post(app.url("/api/tasks"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "title": "made with a cookie" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let task: Value = created.json().await.unwrap();
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let patched = client
        .patch(app.url(&path))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "completed": true }))
        .send()
        .await
        .unwrap();
    let deleted = client
        .delete(app.url(&path))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();

    assert_eq!(patched.status(), StatusCode::OK);
    let body: Value = patched.json().await.unwrap();
    assert_eq!(body["completed"], true);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cookie_authenticated_writes_with_a_wrong_csrf_token_are_403() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.web_signup(&client, "wes@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let csrf = app.csrf_from(&client, "/tasks").await;
    let wrong = format!("{csrf}x");

    let res = client
        .post(app.url("/api/tasks"))
        .header("X-CSRF-Token", &wrong)
        .json(&json!({ "title": "forged" }))
        .send()
        .await
        .unwrap();
    let empty = client
        .post(app.url("/api/tasks"))
        .header("X-CSRF-Token", "")
        .json(&json!({ "title": "forged" }))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(empty.status(), StatusCode::FORBIDDEN);
    let list: Value = client
        .get(app.url("/api/tasks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn bearer_writes_need_no_csrf_token() {
    let app = spawn_app().await;
    let user = app.api_signup("xena@example.com").await;

    let res = app
        .bearer(
            Method::POST,
            "/api/tasks",
            &user.access,
            Some(&json!({ "title": "no csrf needed" })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
}
