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
