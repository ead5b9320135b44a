//! Regressions of the security review (issue 9) about input: compressed and
//! trickling bodies, body-less routes, malformed JSON, body-less forms,
//! control and invisible characters, log injection, `.env` lookup and
//! configuration messages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// A 60 MB JSON document gzipped to ~60 KB (a decompression bomb).
fn gzip_bomb() -> Vec<u8> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import gzip,sys; sys.stdout.buffer.write(gzip.compress(b'{\"refresh_token\":\"' + b'a'*60000000 + b'\"}', 9))",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn compressed_bodies_are_refused_with_415_and_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&fresh_database_url(&dir), &[]).await;
    let bomb = gzip_bomb();
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    let before = rss_kib(server.child.id());
    let burst: Vec<_> = (0..32)
        .map(|_| {
            let (url, body) = (server.url("/api/auth/refresh"), bomb.clone());
            tokio::spawn(async move {
                browser()
                    .post(url)
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for res in burst {
        let res = res.await.unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }
    let grown = rss_kib(server.child.id()).saturating_sub(before);
    assert!(grown < 64 * 1024, "the process grew by {grown} KiB");
    // `identity` is no encoding at all, and pages refuse compressed forms too.
    let plain = browser()
        .post(server.url("/api/auth/refresh"))
        .header("content-encoding", "identity")
        .json(&json!({ "refresh_token": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let form = browser()
        .post(server.url("/login"))
        .header("content-encoding", "deflate")
        .body("email=a&password=b")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn body_less_routes_refuse_bodies_that_are_not_json_or_too_big() {
    let app = spawn_app().await;
    let user = app.api_signup("nobody@example.com").await;
    let task = app.api_create_task(&user.access, "keep me").await;
    let delete_path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    for (method, path) in [
        (Method::POST, "/api/auth/logout"),
        (Method::DELETE, delete_path.as_str()),
    ] {
        let res = browser()
            .request(method.clone(), app.url(path))
            .bearer_auth(&user.access)
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {path}"
        );
        let res = browser()
            .request(method.clone(), app.url(path))
            .bearer_auth(&user.access)
            .header("content-type", "application/json")
            .body(format!("\"{}\"", "x".repeat(70 * 1024)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path}"
        );
    }
    // Nothing was done by the refused requests.
    let res = app
        .bearer(Method::GET, &delete_path, &user.access, None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // `text/json` is not `application/json`.
    let res = browser()
        .post(app.url("/api/auth/signup"))
        .header("content-type", "text/json")
        .body(json!({ "email": "t@example.com", "password": PASSWORD }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn truncated_json_is_400_even_when_its_first_value_has_the_wrong_type() {
    let app = spawn_app().await;
    for body in ["[1,2", "{\"email\": 1,", "[\"a\""] {
        let res = browser()
            .post(app.url("/api/auth/signup"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "bad_request");
    }
}

#[tokio::test]
async fn a_form_post_without_a_body_is_403_and_never_mentions_json() {
    let app = spawn_app().await;
    for path in ["/login", "/signup", "/logout"] {
        let res = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("application/json"), "{path}: {html}");
        assert!(html.contains("CSRF"), "{path}");
    }
}

#[tokio::test]
async fn a_trickling_body_is_cut_off_after_the_read_timeout() {
    let app = spawn_app_with(|c| c.body_read_timeout = Duration::from_secs(2)).await;
    let port = app.port;
    // Raw socket work blocks: keep it off the runtime the server runs on.
    let (head, waited) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(
                b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            )
            .unwrap();
        let started = Instant::now();
        stream.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf) {
                Ok(n) => return (String::from_utf8_lossy(&buf[..n]).into_owned(), started.elapsed()),
                // One more byte now and then: a body that trickles in.
                Err(_) if started.elapsed() < Duration::from_secs(10) => {
                    let _ = stream.write_all(b" ");
                }
                Err(e) => panic!("no answer after {:?}: {e}", started.elapsed()),
            }
        }
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test]
async fn names_and_titles_refuse_control_characters_and_emails_refuse_invisible_ones() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/auth/signup",
            &json!({ "email": "ctl@example.com", "password": PASSWORD, "name": "Ann\u{1b}[2J\nroot  0  admin" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["name"].is_string(), "{body}");

    for email in [
        "ad\u{200B}min@example.com",
        "\u{202E}moc.elpmaxe@nimda",
        "admin@example.com\u{FEFF}",
    ] {
        let res = app
            .post_json(
                "/api/auth/signup",
                &json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
    }

    let user = app.api_signup("titles@example.com").await;
    let res = app
        .bearer(
            Method::POST,
            "/api/tasks",
            &user.access,
            Some(&json!({ "title": "a\u{7}b" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .bearer(
            Method::POST,
            "/api/tasks",
            &user.access,
            Some(&json!({ "title": "fine", "description": "line one\r\nline two\tindented" })),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "line breaks and tabs in a description"
    );
}

#[tokio::test]
async fn the_cli_escapes_what_it_prints() {
    let app = spawn_app().await;
    let user = app.api_signup("legacy@example.com").await;
    // A name stored before the rule existed.
    app.with_conn(|c| {
        use diesel::prelude::*;
        use taskgate::db::schema::users;
        diesel::update(users::table)
            .set(users::name.eq(Some("Mallory\u{1b}[2J\nfake row")))
            .execute(c)
            .unwrap();
    });
    let out = Command::new(binary())
        .args(["users", "list"])
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert_eq!(text.lines().count(), 2, "header and one row: {text:?}");
    assert!(text.contains(&user.id));
}

#[tokio::test]
async fn failed_logins_never_log_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&fresh_database_url(&dir), &[]).await;
    let signup = browser()
        .post(server.url("/api/auth/signup"))
        .json(&json!({ "email": "known@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::CREATED);
    for email in [
        "known@example.com",
        "victim@example.com\n2026-01-01T00:00:00Z INFO audit: event=login user_id=forged",
        "esc\u{1b}[31mred\r\u{0}@example.com",
        "MyS3cretPassw0rd-typed-in-the-wrong-field",
    ] {
        let res = browser()
            .post(server.url("/api/auth/login"))
            .json(&json!({ "email": email, "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = server.logs.lock().unwrap().join("\n");
    for typed in [
        "forged",
        "victim@example.com",
        "esc",
        "MyS3cretPassw0rd",
        "known@example.com",
    ] {
        assert!(!logs.contains(typed), "the log holds {typed:?}");
    }
    let failed: Vec<Value> = server
        .audit_events()
        .into_iter()
        .filter(|e| e["fields"]["event"] == "login_failed")
        .collect();
    assert_eq!(failed.len(), 4);
    assert!(
        failed[0]["fields"]["user_id"].is_string(),
        "a known account by id"
    );
    assert!(
        failed[1]["fields"]["account"].is_string(),
        "an unknown one by a keyed hash"
    );
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

#[tokio::test]
async fn dotenv_is_read_from_the_working_folder_only() {
    let top = tempfile::tempdir().unwrap();
    std::fs::write(top.path().join(".env"), "JWT_SECRET=short\n").unwrap();
    let child = top.path().join("app");
    std::fs::create_dir(&child).unwrap();
    let out = run_in(&child, &["migrate"]);
    assert!(
        out.status.success(),
        "a parent's .env was read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The working folder's own .env is read.
    std::fs::write(child.join(".env"), "JWT_SECRET=short\n").unwrap();
    let out = run_in(&child, &["migrate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET must be at least 32 bytes"));
}

#[tokio::test]
async fn an_impossible_database_folder_names_the_variable() {
    let out = Command::new(binary())
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", "/proc/no-such-folder/taskgate.db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("taskgate: error: DATABASE_URL: "), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
