//! `/api/tasks` over HTTP, one file per part of the flow; this file holds the
//! helpers they share.

mod create;
mod errors;
mod isolation;
mod list;
mod update;

use crate::helpers::*;

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

async fn get(app: &TestApp, token: &str, path: &str) -> Response {
    app.bearer(Method::GET, path, token, None).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> Response {
    app.bearer(Method::POST, "/api/tasks", token, Some(&body))
        .await
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> Response {
    app.bearer(
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        token,
        Some(&body),
    )
    .await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> Response {
    app.bearer(Method::DELETE, &format!("/api/tasks/{id}"), token, None)
        .await
}

async fn task(app: &TestApp, token: &str, id: &str) -> Value {
    let res = get(app, token, &format!("/api/tasks/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK, "GET task {id}");
    res.json().await.unwrap()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let res = get(app, token, &format!("/api/tasks{query}")).await;
    assert_eq!(res.status(), StatusCode::OK, "list {query}");
    res.json().await.unwrap()
}

fn titles(list: &Value) -> Vec<String> {
    list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

fn assert_task_shape(t: &Value) {
    let obj = t.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "completed",
            "created_at",
            "description",
            "id",
            "title",
            "updated_at"
        ],
        "task shape: {t}"
    );
    assert!(
        uuid::Uuid::parse_str(t["id"].as_str().unwrap()).is_ok(),
        "{t}"
    );
    assert!(t["title"].is_string(), "{t}");
    assert!(
        t["description"].is_string() || t["description"].is_null(),
        "{t}"
    );
    assert!(t["completed"].is_boolean(), "{t}");
    assert!(is_rfc3339_utc(t["created_at"].as_str().unwrap()), "{t}");
    assert!(is_rfc3339_utc(t["updated_at"].as_str().unwrap()), "{t}");
}

fn time(t: &Value, key: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(t[key].as_str().unwrap()).unwrap()
}

async fn status_and_body(res: Response) -> (StatusCode, String) {
    (res.status(), res.text().await.unwrap())
}
