//! Personal access tokens over HTTP (contract section 7): the API that makes
//! them, what they may and may never do, isolation between users, and
//! revocation — each tested by attacking it.

use std::time::{Duration, Instant};

use reqwest::header::{CACHE_CONTROL, COOKIE, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::*;

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    app.bearer(method, path, token, body.as_ref()).await
}

/// A 403 `insufficient_scope` naming `scope` in the RFC 6750 header.
pub async fn assert_insufficient_scope(res: Response, scope: &str, what: &str) {
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        format!(r#"Bearer realm="taskgate", error="insufficient_scope", scope="{scope}""#),
        "{what}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_scope", "{what}");
}

/// A 401 `unauthorized` with RFC 6750's `invalid_token`.
pub async fn assert_invalid_token(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        r#"Bearer realm="taskgate", error="invalid_token""#,
        "{what}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{what}");
}

async fn list_tokens(app: &TestApp, access: &str) -> Vec<Value> {
    let res = call(app, Method::GET, "/api/auth/tokens", access, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["tokens"].as_array().unwrap().clone()
}

fn days_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    (parse(to) - parse(from)).num_days()
}

#[tokio::test]
async fn a_session_creates_lists_and_revokes_tokens_and_the_secret_is_shown_once() {
    let app = spawn_app().await;
    let user = app.api_signup("pat-owner@example.com").await;

    let res = call(
        &app,
        Method::POST,
        "/api/auth/tokens",
        &user.access,
        Some(json!({ "name": "  nightly backup ", "scopes": ["tasks:read", "introspect"], "expires_in_days": 30 })),
    )
    .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    let created: Value = res.json().await.unwrap();
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("tgp_"), "{token}");
    assert!(token.len() >= 4 + 43, "{token}");
    assert!(
        token[4..].bytes().all(|b| b.is_ascii_alphanumeric()),
        "{token}"
    );
    assert_eq!(created["name"], "nightly backup");
    assert_eq!(created["scopes"], json!(["tasks:read", "introspect"]));
    assert_eq!(created["last_used_at"], Value::Null);
    assert_eq!(
        days_between(&created["created_at"], &created["expires_at"]),
        30
    );

    let listed = list_tokens(&app, &user.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    assert!(
        listed[0].get("token").is_none(),
        "the secret is never listed"
    );
    assert!(!listed[0].to_string().contains(token));

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/auth/tokens/{id}");
    let res = call(&app, Method::DELETE, &path, &user.access, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(list_tokens(&app, &user.access).await.is_empty());
    let again = call(&app, Method::DELETE, &path, &user.access, None).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "already revoked");
}

#[tokio::test]
async fn token_requests_are_validated_field_by_field() {
    let app = spawn_app().await;
    let user = app.api_signup("pat-rules@example.com").await;
    let cases = [
        (json!({ "scopes": ["tasks:read"] }), "name"),
        (json!({ "name": "", "scopes": ["tasks:read"] }), "name"),
        (json!({ "name": "   ", "scopes": ["tasks:read"] }), "name"),
        (
            json!({ "name": "x".repeat(101), "scopes": ["tasks:read"] }),
            "name",
        ),
        (
            json!({ "name": "a\u{1b}[31mb", "scopes": ["tasks:read"] }),
            "name",
        ),
        (
            json!({ "name": "nul\u{0}", "scopes": ["tasks:read"] }),
            "name",
        ),
        (json!({ "name": 42, "scopes": ["tasks:read"] }), "name"),
        (json!({ "name": "ci" }), "scopes"),
        (json!({ "name": "ci", "scopes": [] }), "scopes"),
        (json!({ "name": "ci", "scopes": ["tasks:admin"] }), "scopes"),
        (
            json!({ "name": "ci", "scopes": ["tasks:read", "session"] }),
            "scopes",
        ),
        (json!({ "name": "ci", "scopes": "tasks:read" }), "scopes"),
        (json!({ "name": "ci", "scopes": [1] }), "scopes"),
        (
            json!({ "name": "ci", "scopes": ["tasks:read"], "expires_in_days": 0 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "ci", "scopes": ["tasks:read"], "expires_in_days": 366 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "ci", "scopes": ["tasks:read"], "expires_in_days": -5 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "ci", "scopes": ["tasks:read"], "expires_in_days": 1.5 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "ci", "scopes": ["tasks:read"], "expires_in_days": "30" }),
            "expires_in_days",
        ),
    ];
    for (body, field) in cases {
        let res = call(
            &app,
            Method::POST,
            "/api/auth/tokens",
            &user.access,
            Some(body.clone()),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "validation_failed", "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{body}: {err}");
    }
    assert!(
        list_tokens(&app, &user.access).await.is_empty(),
        "nothing was made"
    );

    for (body, days) in [
        (
            json!({ "name": "x".repeat(100), "scopes": ["tasks:write"] }),
            90,
        ),
        (
            json!({ "name": "é", "scopes": ["introspect"], "expires_in_days": 1 }),
            1,
        ),
        (
            json!({ "name": "year", "scopes": ["tasks:read"], "expires_in_days": 365 }),
            365,
        ),
    ] {
        let res = call(
            &app,
            Method::POST,
            "/api/auth/tokens",
            &user.access,
            Some(body.clone()),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        let made: Value = res.json().await.unwrap();
        assert_eq!(
            days_between(&made["created_at"], &made["expires_at"]),
            days,
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_pat_works_on_tasks_within_its_scopes_and_on_me() {
    let app = spawn_app().await;
    let user = app.api_signup("scoped@example.com").await;
    let task = app.api_create_task(&user.access, "existing").await;
    let task_path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let (_, read) = app.api_create_pat(&user.access, &["tasks:read"]).await;
    let (_, write) = app.api_create_pat(&user.access, &["tasks:write"]).await;
    let (_, introspect) = app.api_create_pat(&user.access, &["introspect"]).await;

    // tasks:read reads, and may not write.
    for path in ["/api/tasks", task_path.as_str()] {
        let res = call(&app, Method::GET, path, &read, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let writes = [
        (
            Method::POST,
            "/api/tasks".to_owned(),
            Some(json!({ "title": "nope" })),
        ),
        (
            Method::PATCH,
            task_path.clone(),
            Some(json!({ "completed": true })),
        ),
        (Method::DELETE, task_path.clone(), None),
    ];
    for (method, path, body) in writes.clone() {
        let res = call(&app, method.clone(), &path, &read, body).await;
        assert_insufficient_scope(
            res,
            "tasks:write",
            &format!("{method} {path} with tasks:read"),
        )
        .await;
    }
    let res = call(&app, Method::GET, &task_path, &user.access, None).await;
    let unchanged: Value = res.json().await.unwrap();
    assert_eq!(
        unchanged["completed"], false,
        "the refused PATCH changed nothing"
    );

    // tasks:write implies read; a PAT request needs no CSRF token.
    let res = call(&app, Method::GET, "/api/tasks", &write, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let made = app.api_create_task(&write, "via a token").await;
    let made_path = format!("/api/tasks/{}", made["id"].as_str().unwrap());
    let res = call(
        &app,
        Method::PATCH,
        &made_path,
        &write,
        Some(json!({ "completed": true })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call(&app, Method::DELETE, &made_path, &write, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // introspect alone reaches no task.
    let res = call(&app, Method::GET, "/api/tasks", &introspect, None).await;
    assert_insufficient_scope(res, "tasks:read", "GET /api/tasks with introspect").await;
    let res = call(
        &app,
        Method::POST,
        "/api/tasks",
        &introspect,
        Some(json!({ "title": "x" })),
    )
    .await;
    assert_insufficient_scope(res, "tasks:write", "POST /api/tasks with introspect").await;

    // Every token answers GET /api/auth/me with its owner.
    for token in [&read, &write, &introspect] {
        let res = call(&app, Method::GET, "/api/auth/me", token, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["id"], user.id.as_str());
    }
}

#[tokio::test]
async fn a_pat_sees_and_changes_only_its_owners_tasks() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice-pat@example.com").await;
    let bob = app.api_signup("bob-pat@example.com").await;
    let secret = app.api_create_task(&alice.access, "alice's secret").await;
    app.api_create_task(&bob.access, "bob's own").await;
    let (_, bobs) = app.api_create_pat(&bob.access, &["tasks:write"]).await;

    let res = call(&app, Method::GET, "/api/tasks", &bobs, None).await;
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tasks"][0]["title"], "bob's own");

    let path = format!("/api/tasks/{}", secret["id"].as_str().unwrap());
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({ "title": "pwned" }))),
        (Method::DELETE, None),
    ] {
        let res = call(&app, method.clone(), &path, &bobs, body).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{method} on alice's task"
        );
    }
    let res = call(&app, Method::GET, &path, &alice.access, None).await;
    let kept: Value = res.json().await.unwrap();
    assert_eq!(kept["title"], "alice's secret");
}

#[tokio::test]
async fn a_pat_can_never_manage_tokens_sessions_the_password_or_the_account() {
    let app = spawn_app().await;
    let user = app.api_signup("locked-down@example.com").await;
    let (id, pat) = app
        .api_create_pat(&user.access, &["tasks:read", "tasks:write", "introspect"])
        .await;
    let session_id = {
        let res = call(&app, Method::GET, "/api/auth/sessions", &user.access, None).await;
        let body: Value = res.json().await.unwrap();
        body["sessions"][0]["id"].as_str().unwrap().to_owned()
    };
    let new_password = "a brand new horse battery";
    let attempts = [
        (
            Method::POST,
            "/api/auth/tokens".to_owned(),
            Some(json!({ "name": "more", "scopes": ["tasks:write"] })),
        ),
        (Method::GET, "/api/auth/tokens".to_owned(), None),
        (Method::DELETE, format!("/api/auth/tokens/{id}"), None),
        (Method::GET, "/api/auth/sessions".to_owned(), None),
        (
            Method::DELETE,
            format!("/api/auth/sessions/{session_id}"),
            None,
        ),
        (
            Method::POST,
            "/api/auth/password".to_owned(),
            Some(json!({ "current_password": PASSWORD, "new_password": new_password })),
        ),
        (
            Method::DELETE,
            "/api/auth/account".to_owned(),
            Some(json!({ "password": PASSWORD })),
        ),
        (Method::POST, "/api/auth/logout".to_owned(), None),
    ];
    for (method, path, body) in attempts {
        let res = call(&app, method.clone(), &path, &pat, body).await;
        assert_insufficient_scope(res, "session", &format!("{method} {path} with a PAT")).await;
    }

    // Nothing changed: the token, the session, the password and the account are all still there.
    assert_eq!(list_tokens(&app, &user.access).await.len(), 1);
    let res = call(&app, Method::GET, "/api/auth/me", &user.access, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the session was not revoked");
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({ "email": user.email, "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "the password was not changed");
    let res = call(&app, Method::GET, "/api/tasks", &pat, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the token still works");
}

#[tokio::test]
async fn another_users_token_ids_are_404_and_their_tokens_keep_working() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice-ids@example.com").await;
    let mallory = app.api_signup("mallory-ids@example.com").await;
    let (alices_id, alices_token) = app.api_create_pat(&alice.access, &["tasks:read"]).await;
    let (mallorys_id, _) = app.api_create_pat(&mallory.access, &["tasks:read"]).await;

    for id in [
        alices_id.as_str(),
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        "tgp_x",
    ] {
        let res = call(
            &app,
            Method::DELETE,
            &format!("/api/auth/tokens/{id}"),
            &mallory.access,
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    let res = call(&app, Method::GET, "/api/tasks", &alices_token, None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "alice's token was not revoked"
    );
    let mallorys_list = list_tokens(&app, &mallory.access).await;
    assert_eq!(mallorys_list.len(), 1);
    assert_eq!(
        mallorys_list[0]["id"],
        mallorys_id.as_str(),
        "only her own token is listed"
    );
}

#[tokio::test]
async fn a_revoked_pat_is_refused_on_the_very_next_request() {
    let app = spawn_app().await;
    let user = app.api_signup("revoke-now@example.com").await;
    let (id, pat) = app.api_create_pat(&user.access, &["tasks:write"]).await;
    for _ in 0..3 {
        // Warm whatever the guard remembers about the token.
        let res = call(&app, Method::GET, "/api/tasks", &pat, None).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/auth/tokens/{id}"),
        &user.access,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    for (method, path) in [(Method::GET, "/api/tasks"), (Method::GET, "/api/auth/me")] {
        let res = call(&app, method, path, &pat, None).await;
        assert_invalid_token(res, path).await;
    }
}

#[tokio::test]
async fn forged_malformed_and_expired_pats_are_401_invalid_token() {
    let app = spawn_app().await;
    let user = app.api_signup("forger@example.com").await;
    let (id, real) = app.api_create_pat(&user.access, &["tasks:read"]).await;

    // One character of the random part changed: the checksum no longer matches.
    let mut bad_checksum = real.clone().into_bytes();
    bad_checksum[10] = if bad_checksum[10] == b'a' { b'b' } else { b'a' };
    let bad_checksum = String::from_utf8(bad_checksum).unwrap();
    // A well-formed token with a valid checksum that taskgate never issued.
    let unknown = taskgate::auth::pat_token::generate();
    let unknown = unknown.token.expose_secret();
    assert!(taskgate::auth::pat_token::well_formed(unknown));
    let forgeries = [
        bad_checksum.as_str(),
        unknown,
        "tgp_",
        "tgp_short",
        &real[..real.len() - 1],
        &format!("{real}x"),
        &real.to_uppercase(),
    ];
    for forged in forgeries {
        let res = call(&app, Method::GET, "/api/tasks", forged, None).await;
        assert_invalid_token(res, forged).await;
    }

    // Expired: refused although never revoked (the row is read fresh: it was never cached).
    app.execute_sql(&format!(
        "UPDATE personal_access_tokens SET expires_at = '2000-01-01 00:00:00' WHERE id = '{id}'"
    ));
    let res = call(&app, Method::GET, "/api/tasks", &real, None).await;
    assert_invalid_token(res, "expired token").await;
}

#[tokio::test]
async fn a_pat_in_a_cookie_is_ignored() {
    let app = spawn_app().await;
    let user = app.api_signup("cookie-pat@example.com").await;
    let (_, pat) = app.api_create_pat(&user.access, &["tasks:write"]).await;

    for (method, path) in [(Method::GET, "/api/tasks"), (Method::GET, "/api/auth/me")] {
        let res = browser()
            .request(method, app.url(path))
            .header(COOKIE, format!("tg_access={pat}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            res.headers()[WWW_AUTHENTICATE],
            r#"Bearer realm="taskgate""#,
            "as if no credentials"
        );
    }
    let res = browser()
        .get(app.url("/tasks"))
        .header(COOKIE, format!("tg_access={pat}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the pages ignore it too"
    );
}

#[tokio::test]
async fn a_cookie_session_manages_tokens_with_its_csrf_token() {
    let app = spawn_app().await;
    let client = browser();
    app.web_signup(&client, "web-pat@example.com").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let body = json!({ "name": "from the browser", "scopes": ["tasks:read"] });

    let res = client
        .post(app.url("/api/auth/tokens"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no X-CSRF-Token");
    let res = client
        .post(app.url("/api/auth/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    let res = client
        .get(app.url("/api/auth/tokens"))
        .send()
        .await
        .unwrap();
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed["tokens"][0]["id"], made["id"]);
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let app = spawn_app().await;
    let user = app.api_signup("last-used@example.com").await;
    let (id, pat) = app.api_create_pat(&user.access, &["tasks:read"]).await;

    call(&app, Method::GET, "/api/tasks", &pat, None).await;
    let first = list_tokens(&app, &user.access).await[0]["last_used_at"].clone();
    assert!(first.is_string(), "recorded on first use: {first}");
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the guard's 1 s cache
    call(&app, Method::GET, "/api/tasks", &pat, None).await;
    let second = list_tokens(&app, &user.access).await[0]["last_used_at"].clone();
    assert_eq!(first, second, "not written again within the minute");

    // A minute later (made by moving the last use back), the next use is written.
    app.execute_sql(&format!(
        "UPDATE personal_access_tokens SET last_used_at = '2000-01-01 00:00:00' WHERE id = '{id}'"
    ));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    call(&app, Method::GET, "/api/tasks", &pat, None).await;
    let third = list_tokens(&app, &user.access).await[0]["last_used_at"].clone();
    assert!(third.as_str().unwrap() > "2001", "{third}");
}

#[tokio::test]
async fn deleting_the_account_kills_its_pats_and_a_password_change_keeps_them() {
    let app = spawn_app().await;
    let user = app.api_signup("pat-lifecycle@example.com").await;
    let (_, pat) = app.api_create_pat(&user.access, &["tasks:read"]).await;
    let new_password = "a fresh and long passphrase";

    let res = call(
        &app,
        Method::POST,
        "/api/auth/password",
        &user.access,
        Some(json!({ "current_password": PASSWORD, "new_password": new_password })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = call(&app, Method::GET, "/api/tasks", &pat, None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a password change keeps tokens"
    );

    let res = call(
        &app,
        Method::DELETE,
        "/api/auth/account",
        &user.access,
        Some(json!({ "password": new_password })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = call(&app, Method::GET, "/api/tasks", &pat, None).await;
    assert_invalid_token(res, "the deleted account's token").await;
}

#[tokio::test]
async fn creating_a_token_mails_a_notice_without_the_secret() {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(move |c| c.smtp_url = Some(url.into())).await;
    let user = app.api_signup("noticed@example.com").await;

    let (_, pat) = app
        .api_create_pat(&user.access, &["tasks:read", "introspect"])
        .await;

    let is_notice = |m: &crate::smtp_sink::Received| {
        m.header("Subject").as_deref() == Some("New personal access token")
    };
    let mails = sink
        .wait_for(|m| m.iter().any(is_notice), Duration::from_secs(20))
        .await;
    let notice = mails.iter().find(|m| is_notice(m)).unwrap();
    assert_eq!(notice.rcpt_to, ["noticed@example.com"]);
    let body = notice
        .body()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(body.contains("named \"test token\""), "{body}");
    assert!(body.contains("Scopes: tasks:read, introspect."), "{body}");
    assert!(body.contains("/account/tokens"), "{body}");
    assert!(
        !notice.data.contains(&pat[4..20]),
        "the secret is never mailed"
    );
}

#[tokio::test]
async fn a_pat_revoked_through_one_process_is_refused_by_another_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(&dir);
    let mail_dir = dir.path().join("mail").display().to_string();
    let env = [("MAIL_DIR", mail_dir.as_str())];
    let a = ServerProcess::start(&url, &env).await;
    let b = ServerProcess::start(&url, &env).await;
    let signup: Value = browser()
        .post(a.url("/api/auth/signup"))
        .json(&json!({ "email": "two-procs@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = signup["access_token"].as_str().unwrap();
    let created: Value = browser()
        .post(a.url("/api/auth/tokens"))
        .bearer_auth(access)
        .json(&json!({ "name": "shared", "scopes": ["tasks:read"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, pat) = (
        created["id"].as_str().unwrap(),
        created["token"].as_str().unwrap(),
    );
    let get = |server: &ServerProcess| {
        browser()
            .get(server.url("/api/tasks"))
            .bearer_auth(pat)
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            get(&b).await.unwrap().status(),
            StatusCode::OK,
            "B accepts it (and may cache it)"
        );
    }

    let res = browser()
        .delete(a.url(&format!("/api/auth/tokens/{id}")))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&a).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "A at once"
    );
    let revoked = Instant::now();
    loop {
        let status = get(&b).await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(2),
            "process B still accepts a revoked token after {:?} ({status})",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Audit: created and revoked on A; use after revocation on both; never the secret.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = |s: &ServerProcess| -> Vec<String> {
        s.audit_events()
            .iter()
            .map(|e| e["fields"]["event"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (on_a, on_b) = (events(&a), events(&b));
    for event in ["pat_created", "pat_revoked", "pat_use_after_revoke"] {
        assert!(
            on_a.iter().any(|e| e == event),
            "{event} missing on A: {on_a:?}"
        );
    }
    assert!(on_b.iter().any(|e| e == "pat_use_after_revoke"), "{on_b:?}");
    let created_event = a
        .audit_events()
        .into_iter()
        .find(|e| e["fields"]["event"] == "pat_created")
        .unwrap();
    assert_eq!(created_event["fields"]["pat_id"], id);
    assert_eq!(created_event["fields"]["user_id"], signup["user"]["id"]);
    for server in [&a, &b] {
        let logs = server.logs.lock().unwrap().join("\n");
        assert!(!logs.contains(&pat[4..]), "a log line holds the token");
        assert!(
            !logs.contains("\"shared\""),
            "a log line holds the token's name"
        );
    }
}
