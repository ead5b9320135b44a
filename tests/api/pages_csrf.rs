//! CSRF on every form: a missing, foreign, garbage or empty token is 403 and
//! changes nothing.

use crate::helpers::*;

use reqwest::{Client, StatusCode};

const NEW_PASSWORD: &str = "an entirely new passphrase 42";

/// A real CSRF token that belongs to a different visitor.
async fn foreign_csrf(app: &TestApp) -> String {
    app.csrf_from(&browser(), "/login").await
}

/// Posts `form` to `path` once without `csrf_token`, once with another
/// visitor's token and once with garbage; each must be 403.
async fn assert_csrf_refused(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) {
    let foreign = foreign_csrf(app).await;
    let mut variants: Vec<(&str, Vec<(&str, &str)>)> = vec![("missing", form.to_vec())];
    let mut with_foreign = form.to_vec();
    with_foreign.push(("csrf_token", &foreign));
    variants.push(("another visitor's", with_foreign));
    let mut with_garbage = form.to_vec();
    with_garbage.push(("csrf_token", "not-a-token"));
    variants.push(("garbage", with_garbage));
    let mut with_empty = form.to_vec();
    with_empty.push(("csrf_token", ""));
    variants.push(("empty", with_empty));
    for (what, fields) in variants {
        let res = app.post_form(client, path, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "POST {path} with {what} csrf_token"
        );
        let cookies = set_cookies(&res);
        assert!(
            !sets_live(&res, "tg_access") && !sets_live(&res, "tg_refresh"),
            "POST {path} with {what} csrf_token set auth cookies: {cookies:?}"
        );
    }
}

#[tokio::test]
async fn signup_and_login_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    app.api_signup("exists@example.com").await;
    let client = browser();
    // The visitor has a session (and a token) of their own, so "wrong" really is wrong.
    app.csrf_from(&client, "/signup").await;
    assert_csrf_refused(
        &app,
        &client,
        "/signup",
        &[
            ("name", "X"),
            ("email", "csrf-signup@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        app.login("csrf-signup@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "no account was created"
    );
    assert_csrf_refused(
        &app,
        &client,
        "/login",
        &[("email", "exists@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        app.page(&client, "/tasks").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );
}

#[tokio::test]
async fn logout_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let WebUser { client, access, .. } = app.web_user("csrf-logout@example.com").await;
    assert_csrf_refused(&app, &client, "/logout", &[]).await;
    assert_eq!(
        app.me_status(&access).await,
        StatusCode::OK,
        "session not revoked"
    );
    assert_eq!(
        app.page(&client, "/tasks").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn task_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let WebUser { client, access, .. } = app.web_user("csrf-tasks@example.com").await;
    assert_csrf_refused(
        &app,
        &client,
        "/tasks",
        &[("title", "Forged"), ("description", "")],
    )
    .await;
    assert_eq!(app.api_tasks(&access).await["total"], 0, "no task created");

    let task = app.api_create_task(&access, "Keep me").await;
    let id = task["id"].as_str().unwrap();
    assert_csrf_refused(&app, &client, &format!("/tasks/{id}/toggle"), &[]).await;
    assert_csrf_refused(&app, &client, &format!("/tasks/{id}/delete"), &[]).await;
    let listed = app.api_tasks(&access).await;
    assert_eq!(listed["total"], 1, "task not deleted");
    assert_eq!(listed["tasks"][0]["completed"], false, "task not toggled");
}

#[tokio::test]
async fn account_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let email = "csrf-account@example.com";
    let WebUser { client, access, .. } = app.web_user(email).await;
    let (_other, other_access) = app.web_login_user(email, PASSWORD).await;
    let html = app.page_text(&client, "/account").await;
    let sessions = ids_in(&html, "/account/sessions/", "/revoke");
    assert_eq!(sessions.len(), 2, "{sessions:?}");

    assert_csrf_refused(
        &app,
        &client,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await;
    for sid in &sessions {
        assert_csrf_refused(
            &app,
            &client,
            &format!("/account/sessions/{sid}/revoke"),
            &[],
        )
        .await;
    }
    assert_csrf_refused(&app, &client, "/account/delete", &[("password", PASSWORD)]).await;

    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    assert_eq!(
        app.me_status(&other_access).await,
        StatusCode::OK,
        "no session revoked"
    );
    assert_eq!(
        app.login(email, PASSWORD).await.status(),
        StatusCode::OK,
        "password unchanged, account kept"
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
