//! Audit events: every security-relevant action is logged as a structured
//! event carrying the user, session, client IP and request id, and no log
//! line ever contains a password, a token or the secret.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn send(
    server: &ServerProcess,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = browser()
        .request(method, server.url(path))
        .header("x-request-id", "audit-test-1");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

fn find<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["fields"]["event"] == name)
        .unwrap_or_else(|| panic!("no audit event {name:?} in {events:#?}"))
}

#[tokio::test]
async fn security_events_are_audited_with_context_and_logs_never_hold_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &fresh_database_url(&dir),
        &[("REFRESH_REUSE_GRACE_SECS", "0")],
    )
    .await;
    let new_password = "another fine horse battery";

    let signup: Value = send(
        &server,
        Method::POST,
        "/api/auth/signup",
        None,
        Some(json!({ "email": "audit@example.com", "password": PASSWORD })),
    )
    .await
    .json()
    .await
    .unwrap();
    let (access, refresh) = (
        signup["access_token"].as_str().unwrap().to_owned(),
        signup["refresh_token"].as_str().unwrap().to_owned(),
    );
    let user_id = signup["user"]["id"].as_str().unwrap().to_owned();

    let failed = send(
        &server,
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({ "email": "audit@example.com", "password": "wrong horse battery" })),
    )
    .await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    let login: Value = send(
        &server,
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({ "email": "audit@example.com", "password": PASSWORD })),
    )
    .await
    .json()
    .await
    .unwrap();
    let second_access = login["access_token"].as_str().unwrap().to_owned();
    let second_refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let second_sid = send(
        &server,
        Method::GET,
        "/api/auth/sessions",
        Some(&second_access),
        None,
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Refresh the second session, then replay its old refresh token: reuse.
    let rotated = send(
        &server,
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({ "refresh_token": second_refresh })),
    )
    .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let reuse = send(
        &server,
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({ "refresh_token": second_refresh })),
    )
    .await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);

    let tampered = format!("{}x", &access[..access.len() - 1]);
    assert_eq!(
        send(&server, Method::GET, "/api/auth/me", Some(&tampered), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let revoke = send(
        &server,
        Method::DELETE,
        &format!("/api/auth/sessions/{second_sid}"),
        Some(&access),
        None,
    )
    .await;
    assert!(revoke.status() == StatusCode::NO_CONTENT || revoke.status() == StatusCode::NOT_FOUND);
    let changed = send(
        &server,
        Method::POST,
        "/api/auth/password",
        Some(&access),
        Some(json!({ "current_password": PASSWORD, "new_password": new_password })),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        send(
            &server,
            Method::POST,
            "/api/auth/logout",
            Some(&access),
            None
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    let third: Value = send(
        &server,
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({ "email": "audit@example.com", "password": new_password })),
    )
    .await
    .json()
    .await
    .unwrap();
    let third_access = third["access_token"].as_str().unwrap().to_owned();
    let deleted = send(
        &server,
        Method::DELETE,
        "/api/auth/account",
        Some(&third_access),
        Some(json!({ "password": new_password })),
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = server.audit_events();
    for name in [
        "signup",
        "login",
        "login_failed",
        "refresh_token_reuse",
        "token_refused",
        "password_changed",
        "logout",
        "account_deleted",
    ] {
        let e = find(&events, name);
        assert_eq!(
            e["span"]["request_id"], "audit-test-1",
            "{name} carries the request id"
        );
        assert_eq!(
            e["span"]["client_ip"], "127.0.0.1",
            "{name} carries the client IP"
        );
    }
    for name in [
        "signup",
        "login",
        "password_changed",
        "logout",
        "account_deleted",
    ] {
        let e = find(&events, name);
        assert_eq!(
            e["fields"]["user_id"],
            user_id.as_str(),
            "{name} names the user"
        );
        assert!(
            e["fields"]["session_id"].is_string(),
            "{name} names the session"
        );
    }
    let failed = find(&events, "login_failed");
    assert_eq!(
        failed["fields"]["user_id"],
        user_id.as_str(),
        "a failed login on a known account names the account by id"
    );
    assert!(failed["fields"]["email"].is_null(), "never the typed email");
    assert_eq!(
        find(&events, "refresh_token_reuse")["fields"]["session_id"],
        second_sid.as_str()
    );

    let all = server.logs.lock().unwrap().join("\n");
    for secret in [
        PASSWORD,
        new_password,
        "wrong horse battery",
        TEST_SECRET,
        &access,
        &refresh,
        &second_access,
        &second_refresh,
        &third_access,
    ] {
        assert!(
            !all.contains(secret),
            "a log line contains a secret: {secret}"
        );
    }
}
