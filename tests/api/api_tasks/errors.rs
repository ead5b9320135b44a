//! Error handling on the task routes: bodies that are not JSON, too big or
//! malformed, and unauthenticated requests.

use super::*;

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let (app, user) = spawn_app().await.with_user().await;
    let t = app.api_create_task(&user.access, "t").await;

    let plain = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"title":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    let form = browser()
        .patch(app.url(&format!("/api/tasks/{}", id_of(&t))))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("title=sneaky")
        .send()
        .await
        .unwrap();
    let none = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .body(r#"{"title":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    let signup = browser()
        .post(app.url("/api/auth/signup"))
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"email":"b@example.com","password":"correct horse battery staple"}"#)
        .send()
        .await
        .unwrap();

    for (res, what) in [
        (plain, "text/plain"),
        (form, "form"),
        (none, "no content type"),
        (signup, "signup text/plain"),
    ] {
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type", "{what}");
    }
    let all = list(&app, &user.access, "").await;
    assert_eq!(titles(&all), ["t"]);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = create(
        &app,
        &user.access,
        json!({ "title": "big", "description": "x".repeat(65 * 1024) }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (app, user) = spawn_app().await.with_user().await;

    for raw in [
        r#"{"title": "#,
        "{title: 'x'}",
        "not json at all",
        r#"{"title":"x"}}"#,
    ] {
        let res = browser()
            .post(app.url("/api/tasks"))
            .bearer_auth(&user.access)
            .header(CONTENT_TYPE, "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();

        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{raw}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{raw}");
    }
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn non_utf8_json_bodies_are_refused_without_a_server_error() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "application/json")
        .body(b"{\"title\":\"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();

    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_not_found() {
    let (app, user) = spawn_app().await.with_user().await;

    let authed = get(&app, &user.access, "/api/does-not-exist").await;
    let nested = get(&app, &user.access, "/api/tasks/a/b/c").await;
    let anonymous = browser()
        .get(app.url("/api/nothing/here"))
        .send()
        .await
        .unwrap();

    for (res, what) in [
        (authed, "authed"),
        (nested, "nested"),
        (anonymous, "anonymous"),
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{what}");
        let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{what}: {ct}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{what}");
        assert!(body["error"]["message"].is_string(), "{what}");
    }
}

#[tokio::test]
async fn unauthenticated_requests_are_401_with_a_bare_bearer_challenge() {
    let (app, user) = spawn_app().await.with_user().await;
    let t = app.api_create_task(&user.access, "t").await;
    let task_path = format!("/api/tasks/{}", id_of(&t));
    let requests = [
        (Method::GET, "/api/tasks".to_owned(), None),
        (
            Method::POST,
            "/api/tasks".to_owned(),
            Some(json!({ "title": "x" })),
        ),
        (Method::GET, task_path.clone(), None),
        (
            Method::PATCH,
            task_path.clone(),
            Some(json!({ "title": "x" })),
        ),
        (Method::DELETE, task_path.clone(), None),
        (Method::GET, "/api/auth/me".to_owned(), None),
        (Method::GET, "/api/auth/sessions".to_owned(), None),
        (Method::POST, "/api/auth/logout".to_owned(), None),
    ];

    for (method, path, body) in requests {
        let mut req = reqwest::Client::new().request(method.clone(), app.url(&path));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();

        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let www = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            www.as_deref(),
            Some(r#"Bearer realm="taskgate""#),
            "{method} {path}"
        );
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"]["code"], "unauthorized", "{method} {path}");
    }
    assert_eq!(task(&app, &user.access, &id_of(&t)).await, t);
}
