//! Several real taskgate processes on one database (PostgreSQL in the
//! PostgreSQL run, one SQLite file otherwise): revocation, sign-up races and
//! writes are shared.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn two_servers() -> (tempfile::TempDir, ServerProcess, ServerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(&dir);
    // Start one first so migrations are not raced (operators run `taskgate migrate` once).
    let a = ServerProcess::start(&url, &[]).await;
    let b = ServerProcess::start(&url, &[]).await;
    (dir, a, b)
}

#[tokio::test]
async fn a_session_revoked_through_one_process_is_refused_by_the_other_within_two_seconds() {
    let (_dir, a, b) = two_servers().await;
    let body: Value = a
        .signup(&json!({ "email": "shared@example.com", "password": PASSWORD }))
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(b.me_status(&token).await, StatusCode::OK);

    assert_eq!(a.logout(&token).await.status(), StatusCode::NO_CONTENT);

    let start = Instant::now();
    loop {
        let status = b.me_status(&token).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "process B still accepts a revoked session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn racing_signups_for_one_email_across_processes_create_exactly_one_account() {
    let (_dir, a, b) = two_servers().await;
    let attempts = (0..8).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        async move {
            let body = json!({ "email": "race@example.com", "password": PASSWORD });
            server.signup(&body).await
        }
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let login = b.login("race@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn task_writes_through_both_processes_are_all_there() {
    let (_dir, a, b) = two_servers().await;
    let body: Value = a
        .signup(&json!({ "email": "writer@example.com", "password": PASSWORD }))
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let writes = (0..20).map(|i| {
        let (server, token) = (if i % 2 == 0 { &a } else { &b }, &token);
        async move {
            let body = json!({ "title": format!("task {i}") });
            server
                .bearer(Method::POST, "/api/tasks", token, Some(&body))
                .await
        }
    });
    let results = futures_util::future::join_all(writes).await;
    assert!(results.iter().all(|r| r.status() == StatusCode::CREATED));

    for server in [&a, &b] {
        let list: Value = server
            .bearer(Method::GET, "/api/tasks?limit=200", &token, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 20);
        let mut titles: Vec<String> = list["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        let mut expected: Vec<String> = (0..20).map(|i| format!("task {i}")).collect();
        expected.sort();
        assert_eq!(titles, expected);
    }
}

async fn page(server: &ServerProcess, token: &str) -> Value {
    let res = server.bearer(Method::GET, "/api/tasks", token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// A process answers repeated pages from memory while the owner's tasks are
/// unchanged; a write through the other process (create, edit, toggle,
/// delete) must show in the very next page, not after a cache expiry.
#[tokio::test]
async fn a_page_shows_a_write_through_the_other_process_at_once() {
    let (_dir, a, b) = two_servers().await;
    let user = a.api_signup("pages@example.com").await;
    let token = user.access.as_str();
    let first = a.api_create_task(token, "first").await;
    let id = first["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(page(&b, token).await["total"], 1);
    }

    b.api_create_task(token, "kept in memory?").await;
    let seen = page(&b, token).await;
    assert_eq!(seen["total"], 2);
    a.api_create_task(token, "second").await;
    assert_eq!(page(&b, token).await["total"], 3, "a create through A");

    let path = format!("/api/tasks/{id}");
    let res = a
        .bearer(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "title": "renamed", "completed": true })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen = page(&b, token).await;
    assert_eq!(seen["tasks"][0]["title"], "renamed", "an edit through A");
    assert_eq!(seen["tasks"][0]["completed"], true);

    let res = a.bearer(Method::DELETE, &path, token, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let seen = page(&b, token).await;
    assert_eq!(seen["total"], 2, "a delete through A");
    assert!(seen["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["id"] != id.as_str()));
}
