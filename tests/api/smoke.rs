use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_ok_once_the_database_answers() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn web_signup_sets_auth_cookies_and_redirects_to_tasks() {
    let app = spawn_app().await;
    let res = app.web_signup(&app.client, "smoke@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/tasks");
    let cookies = set_cookies(&res);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("tg_access=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let page = app.client.get(app.url("/tasks")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("smoke@example.com"));
}

#[tokio::test]
async fn readyz_answers_ready_when_migrations_are_current() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ready" }));
}

#[tokio::test]
async fn flash_messages_confirm_actions_once() {
    let app = spawn_app().await;
    app.web_signup(&app.client, "flash@example.com").await;
    let csrf = app.csrf_from(&app.client, "/tasks").await;
    let created = app
        .client
        .post(app.url("/tasks"))
        .form(&[
            ("title", "Flash me"),
            ("description", ""),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page = app
        .client
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Task created"),
        "the next page shows the flash"
    );
    let again = app
        .client
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("Task created"), "a flash is shown once");

    let csrf = app.csrf_from(&app.client, "/tasks").await;
    app.client
        .post(app.url("/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    let login = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Signed out"));
}

#[tokio::test]
async fn completing_a_task_and_signing_in_are_confirmed_too() {
    let app = spawn_app().await;
    let user = app.api_signup("flash2@example.com").await;
    let task = app.api_create_task(&user.access, "Confirm me").await;
    let client = browser();
    app.web_login(&client, "flash2@example.com", PASSWORD, None)
        .await;
    let page = client
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in"));
    let csrf = csrf_in(&page).unwrap();
    let id = task["id"].as_str().unwrap();
    client
        .post(app.url(&format!("/tasks/{id}/toggle")))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    let page = client
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Task completed"));
}
