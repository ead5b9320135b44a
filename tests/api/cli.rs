//! The admin command line, run as a real process against the engine under test.

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::helpers::*;

fn taskgate(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = cli(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn users_create_list_and_delete_work_and_the_account_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let created = taskgate(
        &db,
        &[
            "users",
            "create",
            "--email",
            "Admin@Example.com",
            "--name",
            "Ada",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let rows: Value = serde_json::from_str(&stdout(&created)).unwrap();
    assert_eq!(rows[0]["email"], "admin@example.com");

    let table = taskgate(&db, &["users", "list"], "");
    assert!(table.status.success());
    assert!(stdout(&table).contains("EMAIL") && stdout(&table).contains("admin@example.com"));

    // The account works on a server sharing the database.
    let server = ServerProcess::start(&db, &[]).await;
    let login = browser()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({ "email": "admin@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::OK);

    let deleted = taskgate(
        &db,
        &["users", "delete", "--email", "admin@example.com"],
        "",
    );
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    let list: Value =
        serde_json::from_str(&stdout(&taskgate(&db, &["users", "list", "--json"], ""))).unwrap();
    assert_eq!(list, serde_json::json!([]));
}

#[tokio::test]
async fn sessions_revoke_for_a_user_signs_them_out_of_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let server = ServerProcess::start(&db, &[]).await;
    let body: Value = browser()
        .post(server.url("/api/auth/signup"))
        .json(&serde_json::json!({ "email": "victim@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap();

    let listed = taskgate(
        &db,
        &["sessions", "list", "--user", "victim@example.com", "--json"],
        "",
    );
    let sessions: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1);

    let revoked = taskgate(
        &db,
        &["sessions", "revoke", "--user", "victim@example.com"],
        "",
    );
    assert!(revoked.status.success());
    assert!(stdout(&revoked).contains("revoked 1"));
    let me = browser()
        .get(server.url("/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::UNAUTHORIZED);
}

#[test]
fn bad_input_exits_non_zero_with_a_one_line_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").display().to_string();
    let weak = taskgate(
        &db,
        &["users", "create", "--email", "a@example.com"],
        "password\n",
    );
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("too common"), "{}", stderr(&weak));
    assert_eq!(stderr(&weak).trim().lines().count(), 1);

    let unknown = taskgate(
        &db,
        &["users", "delete", "--email", "nobody@example.com"],
        "",
    );
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("no account"));

    let neither = taskgate(&db, &["sessions", "revoke"], "");
    assert!(!neither.status.success());

    let secret = taskgate(&db, &["gen-secret"], "");
    assert!(secret.status.success());
    assert!(stdout(&secret).trim().len() >= 32);
}

#[tokio::test]
async fn a_revocation_by_another_process_beats_a_warm_session_cache_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let server = ServerProcess::start(&db, &[]).await;
    let body: Value = browser()
        .post(server.url("/api/auth/signup"))
        .json(&serde_json::json!({ "email": "warm@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let me = || {
        browser()
            .get(server.url("/api/auth/me"))
            .bearer_auth(&token)
            .send()
    };
    // Warm whatever the server caches about this session, on every worker.
    for _ in 0..20 {
        assert_eq!(me().await.unwrap().status(), reqwest::StatusCode::OK);
    }
    let revoked = taskgate(
        &db,
        &["sessions", "revoke", "--user", "warm@example.com"],
        "",
    );
    assert!(revoked.status.success());
    let started = std::time::Instant::now();
    loop {
        if me().await.unwrap().status() == reqwest::StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "revocation not seen within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn an_unreachable_or_missing_postgres_database_gets_a_one_line_reason() {
    let port = free_port();
    let unreachable = taskgate(
        &format!("postgres://taskgate:secret@127.0.0.1:{port}/taskgate"),
        &["migrate"],
        "",
    );
    assert!(!unreachable.status.success());
    let line = stderr(&unreachable);
    assert_eq!(line.trim().lines().count(), 1, "{line}");
    assert!(
        line.contains("cannot connect to PostgreSQL") && line.contains("refused"),
        "{line}"
    );
    assert!(
        !line.contains("secret"),
        "the password is not echoed: {line}"
    );

    if on_postgres() {
        let base = std::env::var("TEST_DATABASE_URL").unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        let missing = taskgate(&format!("{server}/no_such_database_here"), &["migrate"], "");
        assert!(!missing.status.success());
        let line = stderr(&missing);
        assert_eq!(line.trim().lines().count(), 1, "{line}");
        assert!(
            line.contains("no_such_database_here") && line.contains("does not exist"),
            "{line}"
        );
    }
}
