//! Signing in, refreshing and signing out over the API, and `GET /api/auth/me`.

use crate::helpers::*;

use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

#[tokio::test]
async fn login_returns_200_with_a_fresh_token_pair_and_no_store() {
    let app = spawn_app().await;
    let user = app.api_signup("carol@example.com").await;

    let res = app.login("carol@example.com", PASSWORD).await;

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
    assert_eq!(app.me(access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_failure_is_identical_for_a_wrong_password_and_an_unknown_email() {
    let app = spawn_app().await;
    app.api_signup("dave@example.com").await;

    let wrong_password = app
        .login("dave@example.com", "not the right passphrase")
        .await;
    let unknown_email = app
        .login("nobody@example.com", "not the right passphrase")
        .await;

    let wrong = (
        wrong_password.status(),
        header(&wrong_password, WWW_AUTHENTICATE),
        wrong_password.text().await.unwrap(),
    );
    let unknown = (
        unknown_email.status(),
        header(&unknown_email, WWW_AUTHENTICATE),
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
    let (app, user) = spawn_app().await.with_user().await;

    let res = app.refresh(&user.refresh).await;

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
    assert_eq!(app.me(&access).await.status(), StatusCode::OK);
    // The rotated refresh token can itself be used once.
    assert_eq!(app.refresh(&rotated).await.status(), StatusCode::OK);
    // Rotation renews the same session; it does not open another one.
    assert_eq!(app.sessions(&access).await.len(), 1);
}

#[tokio::test]
async fn reusing_an_old_refresh_token_is_401_and_revokes_the_whole_session() {
    // Strict: no grace window (REFRESH_REUSE_GRACE_SECS=0).
    let app = spawn_app_with(|c| c.refresh_reuse_grace = std::time::Duration::ZERO).await;
    let user = app.api_signup("frank@example.com").await;
    let res = app.refresh(&user.refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    let new_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&new_access).await.status(), StatusCode::OK);

    let reuse = app.refresh(&user.refresh).await;

    assert_token_refused(reuse, "reused refresh token").await;
    assert_token_refused(app.me(&new_access).await, "rotated access token").await;
    assert_token_refused(app.me(&user.access).await, "original access token").await;
    assert_token_refused(app.refresh(&new_refresh).await, "rotated refresh token").await;
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
        let res = app.refresh(token).await;

        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn an_access_token_is_not_accepted_as_a_refresh_token() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = app.refresh(&user.access).await;

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&user.access).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Logout and me
// ---------------------------------------------------------------------------

#[tokio::test]
async fn logout_is_204_and_the_sessions_tokens_are_refused_afterwards() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = app.logout(&user.access).await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(app.me(&user.access).await, "access after logout").await;
    assert_token_refused(app.get_tasks(&user.access).await, "tasks after logout").await;
    assert_eq!(
        app.refresh(&user.refresh).await.status(),
        StatusCode::UNAUTHORIZED,
        "refresh after logout"
    );
}

#[tokio::test]
async fn logout_leaves_the_users_other_sessions_alive() {
    let app = spawn_app().await;
    let user = app.api_signup("jack@example.com").await;
    let (other_access, _) = app.login_tokens("jack@example.com", PASSWORD).await;

    let res = app.logout(&user.access).await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me(&other_access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn me_returns_the_callers_account() {
    let app = spawn_app().await;
    let res = app
        .signup(&json!({ "email": "kim@example.com", "password": PASSWORD, "name": "Kim" }))
        .await;
    let token: Value = res.json().await.unwrap();
    let access = token["access_token"].as_str().unwrap();
    app.api_signup("someone-else@example.com").await;

    let res = app.me(access).await;

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
