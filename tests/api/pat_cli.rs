//! `taskgate tokens list|revoke`, run as a real process next to a running app
//! on the engine under test.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn taskgate(app: &TestApp, args: &[&str]) -> Output {
    let db = app.database_url.clone();
    Command::new(binary())
        .args(args)
        .env_clear()
        .env("DATABASE_URL", db)
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Waits (at most 2 s, the contract's bound for another process) until the app refuses `token`.
async fn refused_within_two_seconds(app: &TestApp, token: &str) {
    let start = Instant::now();
    loop {
        let status = app
            .bearer(Method::GET, "/api/tasks", token, None)
            .await
            .status();
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "still {status} after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tokens_list_shows_every_users_tokens_escaped_and_as_json() {
    let app = spawn_app().await;
    let alice = app.api_signup("cli-alice@example.com").await;
    let bob = app.api_signup("cli-bob@example.com").await;
    let res = app
        .bearer(
            Method::POST,
            "/api/auth/tokens",
            &alice.access,
            // U+202E (right-to-left override) is allowed in a name, and must not reorder the terminal line.
            Some(&json!({ "name": "deploy\u{202e}gnp.exe", "scopes": ["tasks:write", "introspect"] })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (bobs_id, bobs_token) = app.api_create_pat(&bob.access, &["tasks:read"]).await;

    let table = taskgate(&app, &["tokens", "list"]);
    assert!(table.status.success());
    let text = stdout(&table);
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains("cli-alice@example.com") && text.contains("cli-bob@example.com"),
        "{text}"
    );
    assert!(text.contains("deploy\\u{202e}gnp.exe"), "escaped: {text}");
    assert!(!text.contains('\u{202e}'), "{text}");
    assert!(!text.contains(&bobs_token), "never the secret");

    let json = taskgate(
        &app,
        &["tokens", "list", "--user", "CLI-Bob@example.com", "--json"],
    );
    assert!(json.status.success());
    let rows: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["id"], bobs_id.as_str());
    assert_eq!(rows[0]["user_email"], "cli-bob@example.com");
    assert_eq!(rows[0]["scopes"], json!(["tasks:read"]));
    assert!(rows[0].get("token").is_none() && rows[0].get("token_hash").is_none());

    let unknown = taskgate(&app, &["tokens", "list", "--user", "nobody@example.com"]);
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn tokens_revoke_by_id_or_by_user_is_seen_by_the_running_server() {
    let app = spawn_app().await;
    let user = app.api_signup("cli-revoke@example.com").await;
    let (id, one) = app.api_create_pat(&user.access, &["tasks:read"]).await;
    let (_, two) = app.api_create_pat(&user.access, &["tasks:read"]).await;
    let (_, three) = app.api_create_pat(&user.access, &["tasks:write"]).await;
    for token in [&one, &two, &three] {
        let res = app.bearer(Method::GET, "/api/tasks", token, None).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    let revoked = taskgate(&app, &["tokens", "revoke", "--id", &id]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    refused_within_two_seconds(&app, &one).await;
    let res = app.bearer(Method::GET, "/api/tasks", &two, None).await;
    assert_eq!(res.status(), StatusCode::OK, "only that one");

    let again = taskgate(&app, &["tokens", "revoke", "--id", &id]);
    assert!(!again.status.success(), "already revoked");
    let line = String::from_utf8_lossy(&again.stderr).trim().to_owned();
    assert_eq!(line.lines().count(), 1, "{line}");

    let all = taskgate(
        &app,
        &["tokens", "revoke", "--user", "cli-revoke@example.com"],
    );
    assert!(all.status.success());
    assert!(
        stdout(&all).contains("revoked 2 token(s)"),
        "{}",
        stdout(&all)
    );
    refused_within_two_seconds(&app, &two).await;
    refused_within_two_seconds(&app, &three).await;

    for args in [
        &["tokens", "revoke"][..],
        &[
            "tokens",
            "revoke",
            "--id",
            &id,
            "--user",
            "cli-revoke@example.com",
        ],
        &["tokens", "revoke", "--id", "not-a-uuid"],
    ] {
        assert!(!taskgate(&app, args).status.success(), "{args:?}");
    }
}
