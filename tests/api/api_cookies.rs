//! The API with the access cookie instead of a Bearer token: reads work,
//! writes need the page's CSRF token in `X-CSRF-Token`.

use crate::helpers::*;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A client with no cookie jar that sends exactly the cookie given.
fn cookie_request(method: Method, url: String, access: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, url)
        .header(reqwest::header::COOKIE, format!("tg_access={access}"))
}

// ---------------------------------------------------------------------------
// Cookie-authenticated API and CSRF
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_access_cookie_authenticates_api_reads() {
    let (app, user) = spawn_app().await.with_user().await;
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
    let (app, user) = spawn_app().await.with_user().await;
    let res = app.logout(&user.access).await;
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
    let (app, user) = spawn_app().await.with_user().await;
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
    let list: Value = app.get_tasks(&user.access).await.json().await.unwrap();
    assert_eq!(list["total"], 1, "nothing was created");
    assert_eq!(
        app.me(&user.access).await.status(),
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
    let (app, user) = spawn_app().await.with_user().await;

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
