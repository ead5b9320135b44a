//! Changing the password and deleting the account over the API.

use crate::helpers::*;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "a brand new passphrase 42";

// ---------------------------------------------------------------------------
// Password change
// ---------------------------------------------------------------------------

#[tokio::test]
async fn changing_the_password_is_204_revokes_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let user = app.api_signup("olga@example.com").await;
    let (other_access, other_refresh) = app.login_tokens("olga@example.com", PASSWORD).await;

    let res = app
        .bearer(
            Method::POST,
            "/api/auth/password",
            &user.access,
            Some(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(app.me(&other_access).await, "other session's access").await;
    assert_eq!(
        app.refresh(&other_refresh).await.status(),
        StatusCode::UNAUTHORIZED,
        "other session's refresh"
    );
    assert_eq!(app.me(&user.access).await.status(), StatusCode::OK);
    assert_eq!(
        app.refresh(&user.refresh).await.status(),
        StatusCode::OK,
        "this session's refresh token still works"
    );
    assert_eq!(
        app.login("olga@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("olga@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_with_a_wrong_current_password_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.api_signup("pam@example.com").await;
    let (other_access, _) = app.login_tokens("pam@example.com", PASSWORD).await;

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
    assert_eq!(app.me(&other_access).await.status(), StatusCode::OK);
    assert_eq!(
        app.login("pam@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("pam@example.com", NEW_PASSWORD).await.status(),
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
        app.login("quinn@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------
// Account deletion
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deleting_the_account_with_a_wrong_password_is_403_and_keeps_everything() {
    let (app, user) = spawn_app().await.with_user().await;
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
    assert_eq!(app.me(&user.access).await.status(), StatusCode::OK);
    let list: Value = app.get_tasks(&user.access).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn deleting_the_account_is_204_and_removes_the_user_sessions_and_tasks() {
    let app = spawn_app().await;
    let user = app.api_signup("sam@example.com").await;
    let (other_access, _) = app.login_tokens("sam@example.com", PASSWORD).await;
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
    assert_token_refused(app.me(&user.access).await, "deleted user's access").await;
    assert_token_refused(app.me(&other_access).await, "deleted user's other session").await;
    assert_eq!(
        app.refresh(&user.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("sam@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app.api_signup("sam@example.com").await;
    assert_ne!(again.id, user.id);
    let list: Value = app.get_tasks(&again.access).await.json().await.unwrap();
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
